"""``openstack aws vpc`` and ``openstack aws subnet`` commands: the VPCs and subnets of the
current project's AWS account, read-only.

They belong to the AWS account, not to the project, so every project mapped to the same
account lists the same ones.
"""

from osc_lib.cli import format_columns
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common

FORMATTERS = {
    "tags": format_columns.DictColumn,
    "cidr_blocks": format_columns.ListColumn,
    "ipv6_cidr_blocks": format_columns.ListColumn,
}

VPC_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("CIDR Block", "cidr_block"),
    ("State", "state"),
    ("Default", "is_default"),
)

VPC_LONG_COLUMNS = VPC_COLUMNS + (
    ("CIDR Blocks", "cidr_blocks"),
    ("Owner ID", "owner_id"),
    ("Tags", "tags"),
)

SUBNET_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("VPC ID", "vpc_id"),
    ("CIDR Block", "cidr_block"),
    ("Availability Zone", "availability_zone"),
    ("Available IP Addresses", "available_ip_address_count"),
)

SUBNET_LONG_COLUMNS = SUBNET_COLUMNS + (
    ("State", "state"),
    ("Default For Zone", "default_for_az"),
    ("Public IP On Launch", "map_public_ip_on_launch"),
    ("IPv6 CIDR Blocks", "ipv6_cidr_blocks"),
    ("Tags", "tags"),
)


class ListVpc(command.Lister):
    """List the VPCs of the current project's AWS account in the region"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--long", action="store_true", help="Also show all CIDR blocks, owner and tags"
        )
        common.add_pagination_arguments(parser, "VPCs")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        vpcs = client.list_resources(
            "vpcs", "vpcs", limit=parsed_args.limit, marker=parsed_args.marker
        )
        columns = VPC_LONG_COLUMNS if parsed_args.long else VPC_COLUMNS
        return common.list_output(columns, vpcs, FORMATTERS)


class ShowVpc(command.ShowOne):
    """Show one VPC of the current project's AWS account"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("vpc", metavar="<vpc-id>", help="VPC id (vpc-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(api.resource_path("vpcs", parsed_args.vpc))
        return common.show_output(body["vpc"], FORMATTERS)


class ListSubnet(command.Lister):
    """List the subnets of the current project's AWS account in the region"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--vpc", metavar="<vpc-id>", help="Only subnets of this VPC (vpc-...)"
        )
        parser.add_argument(
            "--availability-zone",
            metavar="<zone>",
            help="Only subnets in this availability zone, e.g. us-east-1a",
        )
        parser.add_argument(
            "--long",
            action="store_true",
            help="Also show state, default and public IP settings, IPv6 blocks and tags",
        )
        common.add_pagination_arguments(parser, "subnets")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        subnets = client.list_resources(
            "subnets",
            "subnets",
            filters={
                "vpc_id": parsed_args.vpc,
                "availability_zone": parsed_args.availability_zone,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = SUBNET_LONG_COLUMNS if parsed_args.long else SUBNET_COLUMNS
        return common.list_output(columns, subnets, FORMATTERS)


class ShowSubnet(command.ShowOne):
    """Show one subnet of the current project's AWS account"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("subnet", metavar="<subnet-id>", help="Subnet id (subnet-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(api.resource_path("subnets", parsed_args.subnet))
        return common.show_output(body["subnet"], FORMATTERS)
