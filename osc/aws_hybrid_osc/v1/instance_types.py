"""``openstack aws instance type`` commands: EC2 instance types of the project's region."""

from osc_lib.cli import format_columns
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common

FORMATTERS = {"architectures": format_columns.ListColumn}

LIST_COLUMNS = (
    ("Name", "name"),
    ("vCPUs", "vcpus"),
    ("Memory (MiB)", "memory_mib"),
    ("Architectures", "architectures"),
    ("Current Generation", "current_generation"),
)

LONG_COLUMNS = LIST_COLUMNS + (("ENA Support", "ena_support"),)


class ListInstanceType(command.Lister):
    """List the EC2 instance types offered in the current project's AWS region"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--vcpus",
            metavar="<count>",
            type=common.positive_int,
            help="Only instance types with this default number of vCPUs",
        )
        parser.add_argument(
            "--architecture",
            metavar="<architecture>",
            help="Only instance types that support this architecture, e.g. x86_64 or arm64",
        )
        parser.add_argument("--long", action="store_true", help="Also show ENA support")
        common.add_pagination_arguments(parser, "instance types", marker_field="name")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        vcpus = str(parsed_args.vcpus) if parsed_args.vcpus is not None else None
        instance_types = client.list_resources(
            "instance-types",
            "instance_types",
            filters={"vcpus": vcpus, "architecture": parsed_args.architecture},
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, instance_types, FORMATTERS)


class ShowInstanceType(command.ShowOne):
    """Show one EC2 instance type offered in the current project's AWS region"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "instance_type", metavar="<instance-type>", help="Instance type name, e.g. t3.micro"
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(api.resource_path("instance-types", parsed_args.instance_type))
        return common.show_output(body["instance_type"], FORMATTERS)
