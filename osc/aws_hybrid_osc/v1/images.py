"""``openstack aws image`` commands: AMIs visible to the current project's AWS account."""

from osc_lib.cli import format_columns
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("State", "state"),
    ("Owner ID", "owner_id"),
    ("Architecture", "architecture"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Description", "description"),
    ("Platform", "platform"),
    ("Root Device Type", "root_device_type"),
    ("Virtualization Type", "virtualization_type"),
    ("Public", "public"),
    ("Created At", "created_at"),
)


class ListImage(command.Lister):
    """List AMIs, by default those that the current project's AWS account owns"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--owner",
            metavar="<owner>",
            help=(
                "Owner of the images: self (the server's default), amazon, aws-marketplace "
                "or a 12-digit AWS account id"
            ),
        )
        parser.add_argument("--name", metavar="<name>", help="Only images with this name")
        parser.add_argument(
            "--state", metavar="<state>", help="Only images in this state, e.g. available"
        )
        parser.add_argument(
            "--architecture",
            metavar="<architecture>",
            help="Only images of this architecture, e.g. x86_64 or arm64",
        )
        parser.add_argument(
            "--long",
            action="store_true",
            help="Also show description, platform, root device, virtualization, "
            "visibility and creation time",
        )
        common.add_pagination_arguments(parser, "images")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        images = client.list_resources(
            "images",
            "images",
            filters={
                "owner": parsed_args.owner,
                "name": parsed_args.name,
                "state": parsed_args.state,
                "architecture": parsed_args.architecture,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, images)


class ShowImage(command.ShowOne):
    """Show one AMI"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image-id>", help="AMI id (ami-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(api.resource_path("images", parsed_args.image))
        return common.show_output(body["image"], {"tags": format_columns.DictColumn})
