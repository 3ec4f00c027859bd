"""``openstack aws address`` commands: Elastic IP addresses of the current project."""

from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common
from aws_hybrid_osc.v1.volumes import apply_to_each

FORMATTERS = {"tags": format_columns.DictColumn}

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("Public IP", "public_ip"),
    ("Instance ID", "instance_id"),
    ("Network Interface ID", "network_interface_id"),
    ("Private IP Address", "private_ip_address"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Association ID", "association_id"),
    ("Network Border Group", "network_border_group"),
    ("Tags", "tags"),
)


def _address_path(allocation_id, *rest):
    return api.resource_path("addresses", allocation_id, *rest)


class ListAddress(command.Lister):
    """List the Elastic IP addresses of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--name", metavar="<name>", help="Only addresses with this name")
        parser.add_argument(
            "--instance",
            metavar="<instance-id>",
            help="Only the address associated with this instance",
        )
        parser.add_argument(
            "--public-ip", metavar="<ip-address>", help="Only the address with this public IP"
        )
        parser.add_argument(
            "--long", action="store_true", help="Also show association, border group and tags"
        )
        common.add_pagination_arguments(parser, "addresses")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        addresses = client.list_resources(
            "addresses",
            "addresses",
            filters={
                "name": parsed_args.name,
                "instance_id": parsed_args.instance,
                "public_ip": parsed_args.public_ip,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, addresses, FORMATTERS)


class ShowAddress(command.ShowOne):
    """Show one Elastic IP address of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "address", metavar="<allocation-id>", help="Allocation id (eipalloc-...)"
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_address_path(parsed_args.address))
        return common.show_output(body["address"], FORMATTERS)


class CreateAddress(command.ShowOne):
    """Allocate an Elastic IP address in the current project's AWS account"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--name", metavar="<name>", help="Address name (the Name tag)")
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the address; repeat the option to set several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        optional = {"name": parsed_args.name, "tags": parsed_args.tags}
        request = {field: value for field, value in optional.items() if value is not None}
        body = client.post_json("addresses", {"address": request})
        return common.show_output(body["address"], FORMATTERS)


class DeleteAddress(command.Command):
    """Release Elastic IP addresses of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "addresses",
            metavar="<allocation-id>",
            nargs="+",
            help="Allocation id (eipalloc-...) to release; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.addresses,
            "address",
            "release",
            lambda allocation_id: client.delete(_address_path(allocation_id)),
        )


class AssociateAddress(command.Command):
    """Associate an Elastic IP address with an instance or a network interface"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "address", metavar="<allocation-id>", help="Allocation id (eipalloc-...)"
        )
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--instance", metavar="<instance-id>", help="Instance id (i-...) of the project"
        )
        target.add_argument(
            "--network-interface",
            metavar="<interface-id>",
            help="Network interface id (eni-...) of an instance of the project",
        )
        parser.add_argument(
            "--private-ip",
            metavar="<ip-address>",
            help="With --network-interface: the private IPv4 address to map to",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        if parsed_args.instance:
            arguments = {"instance_id": parsed_args.instance}
        else:
            arguments = {"network_interface_id": parsed_args.network_interface}
        if parsed_args.private_ip is not None:
            arguments["private_ip_address"] = parsed_args.private_ip
        client.post(_address_path(parsed_args.address, "action"), json={"associate": arguments})


class DisassociateAddress(command.Command):
    """Disassociate an Elastic IP address from its instance or network interface"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "address", metavar="<allocation-id>", help="Allocation id (eipalloc-...)"
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        client.post(_address_path(parsed_args.address, "action"), json={"disassociate": None})
