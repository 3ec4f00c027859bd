"""``openstack aws volume`` commands: EBS volumes of the current project."""

import logging

from osc_lib import exceptions
from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common

LOG = logging.getLogger(__name__)

STATES = ("creating", "available", "in-use", "deleting", "deleted", "error")
VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")


class AttachmentsColumn(format_columns.ListColumn):
    """The attachments of a volume, shown as ``<instance-id>:<device> (<state>)``."""

    def human_readable(self):
        return ", ".join(
            "%s:%s (%s)" % (item.get("instance_id"), item.get("device"), item.get("state"))
            for item in self._value or []
        )


FORMATTERS = {
    "tags": format_columns.DictColumn,
    "attachments": AttachmentsColumn,
}

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("State", "state"),
    ("Size", "size"),
    ("Volume Type", "volume_type"),
    ("Availability Zone", "availability_zone"),
    ("Attachments", "attachments"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Encrypted", "encrypted"),
    ("IOPS", "iops"),
    ("Throughput", "throughput"),
    ("Snapshot ID", "snapshot_id"),
    ("Created At", "created_at"),
    ("Tags", "tags"),
)


def _volume_path(volume_id, *rest):
    return api.resource_path("volumes", volume_id, *rest)


def apply_to_each(ids, noun, verb, apply):
    """Call ``apply(id)`` for each id.

    With one id, its error goes to the caller as it is. With several, each failure is logged
    and the others still run, and one error at the end says how many failed.
    """
    if len(ids) == 1:
        apply(ids[0])
        return
    failures = 0
    for resource_id in ids:
        try:
            apply(resource_id)
        except exceptions.CommandError as error:
            failures += 1
            LOG.error("Failed to %s %s %s: %s", verb, noun, resource_id, error)
    if failures:
        raise exceptions.CommandError(
            "%d of %d %ss failed to %s; the errors are listed above."
            % (failures, len(ids), noun, verb)
        )


class ListVolume(command.Lister):
    """List the EBS volumes of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--state",
            metavar="<state>",
            choices=STATES,
            help="Only volumes in this state (%s)" % ", ".join(STATES),
        )
        parser.add_argument(
            "--availability-zone",
            metavar="<zone>",
            help="Only volumes in this availability zone, e.g. us-east-1a",
        )
        parser.add_argument("--name", metavar="<name>", help="Only volumes with this name")
        parser.add_argument(
            "--long",
            action="store_true",
            help="Also show encryption, IOPS, throughput, source snapshot, creation time and tags",
        )
        common.add_pagination_arguments(parser, "volumes")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        volumes = client.list_resources(
            "volumes",
            "volumes",
            filters={
                "state": parsed_args.state,
                "availability_zone": parsed_args.availability_zone,
                "name": parsed_args.name,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, volumes, FORMATTERS)


class ShowVolume(command.ShowOne):
    """Show one EBS volume of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume-id>", help="Volume id (vol-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_volume_path(parsed_args.volume))
        return common.show_output(body["volume"], FORMATTERS)


class CreateVolume(command.ShowOne):
    """Create an EBS volume in the current project's AWS account

    Without --availability-zone, the service picks the first zone of the region. With
    --snapshot, the size defaults to the snapshot's.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--size",
            metavar="<size-gib>",
            type=common.positive_int,
            help="Size in GiB; required unless --snapshot is given",
        )
        parser.add_argument(
            "--type",
            metavar="<volume-type>",
            dest="volume_type",
            choices=VOLUME_TYPES,
            help="Volume type (%s); the server's default is gp2" % ", ".join(VOLUME_TYPES),
        )
        parser.add_argument(
            "--iops",
            metavar="<iops>",
            type=common.positive_int,
            help="Provisioned IOPS, required for io1 and io2, optional for gp3",
        )
        parser.add_argument(
            "--throughput",
            metavar="<mib-per-second>",
            type=common.positive_int,
            help="Provisioned throughput in MiB/s, for gp3 only",
        )
        parser.add_argument(
            "--availability-zone",
            metavar="<zone>",
            help="Availability zone, e.g. us-east-1a (see `openstack aws availability zone list`)",
        )
        parser.add_argument(
            "--encrypted", action="store_true", help="Encrypt the volume with the account's EBS key"
        )
        parser.add_argument(
            "--snapshot", metavar="<snapshot-id>", help="Create the volume from this snapshot"
        )
        parser.add_argument("--name", metavar="<name>", help="Volume name (the Name tag)")
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the volume; repeat the option to set several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        optional = {
            "size": parsed_args.size,
            "volume_type": parsed_args.volume_type,
            "iops": parsed_args.iops,
            "throughput": parsed_args.throughput,
            "availability_zone": parsed_args.availability_zone,
            "snapshot_id": parsed_args.snapshot,
            "name": parsed_args.name,
            "tags": parsed_args.tags,
        }
        request = {field: value for field, value in optional.items() if value is not None}
        if parsed_args.encrypted:
            request["encrypted"] = True
        body = client.post_json("volumes", {"volume": request})
        return common.show_output(body["volume"], FORMATTERS)


class DeleteVolume(command.Command):
    """Delete EBS volumes of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "volumes",
            metavar="<volume-id>",
            nargs="+",
            help="Volume id (vol-...) to delete; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.volumes,
            "volume",
            "delete",
            lambda volume_id: client.delete(_volume_path(volume_id)),
        )


class AttachVolume(command.Command):
    """Attach an EBS volume to an instance of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume-id>", help="Volume id (vol-...)")
        parser.add_argument(
            "--instance",
            metavar="<instance-id>",
            required=True,
            help="Instance id (i-...) in the volume's availability zone",
        )
        parser.add_argument(
            "--device",
            metavar="<device>",
            required=True,
            help="Device name, /dev/sdf to /dev/sdp or /dev/xvdf to /dev/xvdp",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        client.post(
            _volume_path(parsed_args.volume, "action"),
            json={"attach": {"instance_id": parsed_args.instance, "device": parsed_args.device}},
        )


class DetachVolume(command.Command):
    """Detach an EBS volume from its instance"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume-id>", help="Volume id (vol-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        client.post(_volume_path(parsed_args.volume, "action"), json={"detach": None})
