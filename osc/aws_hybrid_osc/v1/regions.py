"""``openstack aws region list`` and ``openstack aws availability zone list``."""

from osc_lib.command import command

from aws_hybrid_osc.v1 import common

REGION_COLUMNS = (
    ("Name", "name"),
    ("Endpoint", "endpoint"),
    ("Allowed", "allowed"),
)

AVAILABILITY_ZONE_COLUMNS = (
    ("Name", "name"),
    ("Zone ID", "zone_id"),
    ("State", "state"),
    ("Region", "region"),
)


class ListRegion(command.Lister):
    """List AWS regions, with Allowed true for those the current project may use"""

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        regions = client.get_json("regions")["regions"]
        return common.list_output(REGION_COLUMNS, regions)


class ListAvailabilityZone(command.Lister):
    """List the availability zones of the current project's AWS region"""

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        zones = client.get_json("availability-zones")["availability_zones"]
        return common.list_output(AVAILABILITY_ZONE_COLUMNS, zones)
