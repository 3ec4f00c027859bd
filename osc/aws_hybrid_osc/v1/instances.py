"""``openstack aws instance`` commands: EC2 instances of the current project."""

import base64
import logging

from osc_lib import exceptions
from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common
from aws_hybrid_osc.v1 import instance_operations

LOG = logging.getLogger(__name__)

STATES = ("pending", "running", "stopping", "stopped", "shutting-down", "terminated")

FORMATTERS = {
    "tags": format_columns.DictColumn,
    "security_group_ids": format_columns.ListColumn,
    "metadata_options": format_columns.DictColumn,
    "block_device_mappings": format_columns.ListDictColumn,
}

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("State", "state"),
    ("Instance Type", "instance_type"),
    ("Image ID", "image_id"),
    ("Availability Zone", "availability_zone"),
    ("Private IP Address", "private_ip_address"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Public IP Address", "public_ip_address"),
    ("Key Name", "key_name"),
    ("Security Group IDs", "security_group_ids"),
    ("Subnet ID", "subnet_id"),
    ("Launched At", "launched_at"),
    ("Tags", "tags"),
)


# Column added to lists that span projects.
PROJECT_COLUMN = ("Project ID", "project_id")


def _instance_path(instance_id, *rest):
    return api.resource_path("instances", instance_id, *rest)


class ListInstance(command.Lister):
    """List the AWS EC2 instances of the current project

    Administrators may list those of every mapped project (--all-projects) or of another one
    (--project). The policy rule aws-hybrid:instance:list:all_projects decides who may do so.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--state",
            metavar="<state>",
            choices=STATES,
            help="Only instances in this state (%s)" % ", ".join(STATES),
        )
        parser.add_argument("--name", metavar="<name>", help="Only instances with this name")
        parser.add_argument(
            "--type",
            metavar="<instance-type>",
            dest="instance_type",
            help="Only instances of this instance type, e.g. t3.micro",
        )
        parser.add_argument(
            "--image",
            metavar="<image-id>",
            dest="image_id",
            help="Only instances launched from this AMI id",
        )
        parser.add_argument(
            "--long",
            action="store_true",
            help="Also show addresses, key name, security groups, subnet, launch time and tags",
        )
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--all-projects",
            action="store_true",
            help="List the instances of every mapped project (admin only by default)",
        )
        scope.add_argument(
            "--project",
            metavar="<project-id>",
            help="List the instances of this project ID instead (admin only by default)",
        )
        common.add_pagination_arguments(parser, "instances")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        instances = client.list_resources(
            "instances",
            "instances",
            filters={
                "state": parsed_args.state,
                "name": parsed_args.name,
                "instance_type": parsed_args.instance_type,
                "image_id": parsed_args.image_id,
                "all_projects": "true" if parsed_args.all_projects else None,
                "project_id": parsed_args.project,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        if parsed_args.all_projects or parsed_args.project:
            columns = columns[:1] + (PROJECT_COLUMN,) + columns[1:]
        return common.list_output(columns, instances, FORMATTERS)


class ShowInstance(command.ShowOne):
    """Show one AWS EC2 instance of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<instance-id>", help="Instance id (i-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_instance_path(parsed_args.instance))
        return common.show_output(body["instance"], FORMATTERS)


def _read_user_data(path):
    """Return the contents of the file at ``path``, base64-encoded as the API takes them."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise exceptions.CommandError(
            "Cannot read the user data file %s: %s" % (path, error.strerror)
        ) from error
    return base64.b64encode(data).decode("ascii")


class CreateInstance(command.ShowOne):
    """Launch AWS EC2 instances in the current project's AWS account

    With --count greater than 1, the output shows the first instance, and the field
    launched_instance_ids lists the ids of all of them.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--image", metavar="<image-id>", required=True, help="AMI id to launch (ami-...)"
        )
        parser.add_argument(
            "--type",
            metavar="<instance-type>",
            dest="instance_type",
            required=True,
            help="Instance type, e.g. t3.micro (see `openstack aws instance type list`)",
        )

        parser.add_argument("--name", metavar="<name>", help="Instance name (the Name tag)")
        parser.add_argument("--key-name", metavar="<key-name>", help="EC2 key pair name")
        parser.add_argument(
            "--security-group",
            metavar="<security-group-id>",
            dest="security_group_ids",
            action="append",
            default=[],
            help="Security group id (sg-...); repeat the option to add several",
        )
        parser.add_argument("--subnet", metavar="<subnet-id>", help="Subnet id (subnet-...)")
        parser.add_argument(
            "--availability-zone",
            metavar="<zone>",
            help="Availability zone, e.g. us-east-1a (see `openstack aws availability zone list`)",
        )
        parser.add_argument(
            "--count",
            metavar="<count>",
            type=common.positive_int,
            help="Number of instances to launch (the API accepts 1 to 20; default 1)",
        )

        parser.add_argument(
            "--user-data",
            metavar="<file>",
            help="File with the user data, e.g. a cloud-init script; the client base64-encodes it",
        )
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the instance; repeat the option to set several",
        )
        instance_operations.add_block_device_argument(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        request = {
            "image_id": parsed_args.image,
            "instance_type": parsed_args.instance_type,
        }
        optional = {
            "name": parsed_args.name,
            "key_name": parsed_args.key_name,
            "subnet_id": parsed_args.subnet,
            "availability_zone": parsed_args.availability_zone,
            "count": parsed_args.count,
            "tags": parsed_args.tags,
        }
        request.update({field: value for field, value in optional.items() if value is not None})
        if parsed_args.security_group_ids:
            request["security_group_ids"] = parsed_args.security_group_ids
        if parsed_args.user_data is not None:
            request["user_data"] = _read_user_data(parsed_args.user_data)
        if parsed_args.block_devices:
            request["block_device_mappings"] = instance_operations.block_device_mappings(
                parsed_args.block_devices
            )

        body = client.post_json("instances", {"instance": request})
        if "instance" in body:
            return common.show_output(body["instance"], FORMATTERS)
        instances = body["instances"]
        first = dict(instances[0])
        first["launched_instance_ids"] = [instance["id"] for instance in instances]
        formatters = dict(FORMATTERS, launched_instance_ids=format_columns.ListColumn)
        return common.show_output(first, formatters)


class _InstanceCommand(command.Command):
    """Base of the commands that apply one operation to each instance given."""

    # Infinitive of the operation, used in help and error messages.
    verb = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "instances",
            metavar="<instance-id>",
            nargs="+",
            help="Instance id (i-...) to %s; repeat to name several" % self.verb,
        )
        return parser

    def apply(self, client, instance_id):
        raise NotImplementedError

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        if len(parsed_args.instances) == 1:
            self.apply(client, parsed_args.instances[0])
            return
        failures = 0
        for instance_id in parsed_args.instances:
            try:
                self.apply(client, instance_id)
            except exceptions.CommandError as error:
                failures += 1
                LOG.error("Failed to %s instance %s: %s", self.verb, instance_id, error)
        if failures:
            raise exceptions.CommandError(
                "%d of %d instances failed to %s; the errors are listed above."
                % (failures, len(parsed_args.instances), self.verb)
            )


class DeleteInstance(_InstanceCommand):
    """Terminate AWS EC2 instances of the current project"""

    verb = "terminate"

    def apply(self, client, instance_id):
        client.delete(_instance_path(instance_id))


class _ActionCommand(_InstanceCommand):
    def apply(self, client, instance_id):
        client.post(_instance_path(instance_id, "action"), json={self.verb: None})


class StartInstance(_ActionCommand):
    """Start stopped AWS EC2 instances of the current project"""

    verb = "start"


class StopInstance(_ActionCommand):
    """Stop running AWS EC2 instances of the current project"""

    verb = "stop"


class RebootInstance(_ActionCommand):
    """Reboot running AWS EC2 instances of the current project"""

    verb = "reboot"
