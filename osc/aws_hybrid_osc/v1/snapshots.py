"""``openstack aws snapshot`` commands: EBS snapshots of the current project's volumes."""

from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common
from aws_hybrid_osc.v1.volumes import apply_to_each

STATES = ("pending", "completed", "error", "recoverable", "recovering")

FORMATTERS = {"tags": format_columns.DictColumn}

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("State", "state"),
    ("Progress", "progress"),
    ("Volume ID", "volume_id"),
    ("Volume Size", "volume_size"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Description", "description"),
    ("Encrypted", "encrypted"),
    ("Started At", "started_at"),
    ("Tags", "tags"),
)


def _snapshot_path(snapshot_id):
    return api.resource_path("snapshots", snapshot_id)


class ListSnapshot(command.Lister):
    """List the EBS snapshots of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--state",
            metavar="<state>",
            choices=STATES,
            help="Only snapshots in this state (%s)" % ", ".join(STATES),
        )
        parser.add_argument(
            "--volume", metavar="<volume-id>", help="Only snapshots of this volume"
        )
        parser.add_argument("--name", metavar="<name>", help="Only snapshots with this name")
        parser.add_argument(
            "--long",
            action="store_true",
            help="Also show description, encryption, start time and tags",
        )
        common.add_pagination_arguments(parser, "snapshots")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        snapshots = client.list_resources(
            "snapshots",
            "snapshots",
            filters={
                "state": parsed_args.state,
                "volume_id": parsed_args.volume,
                "name": parsed_args.name,
            },
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, snapshots, FORMATTERS)


class ShowSnapshot(command.ShowOne):
    """Show one EBS snapshot of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("snapshot", metavar="<snapshot-id>", help="Snapshot id (snap-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_snapshot_path(parsed_args.snapshot))
        return common.show_output(body["snapshot"], FORMATTERS)


class CreateSnapshot(command.ShowOne):
    """Snapshot an EBS volume of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--volume", metavar="<volume-id>", required=True, help="Volume id (vol-...) to snapshot"
        )
        parser.add_argument("--name", metavar="<name>", help="Snapshot name (the Name tag)")
        parser.add_argument(
            "--description", metavar="<description>", help="Description, at most 255 characters"
        )
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the snapshot; repeat the option to set several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        optional = {
            "name": parsed_args.name,
            "description": parsed_args.description,
            "tags": parsed_args.tags,
        }
        request = {"volume_id": parsed_args.volume}
        request.update({field: value for field, value in optional.items() if value is not None})
        body = client.post_json("snapshots", {"snapshot": request})
        return common.show_output(body["snapshot"], FORMATTERS)


class DeleteSnapshot(command.Command):
    """Delete EBS snapshots of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "snapshots",
            metavar="<snapshot-id>",
            nargs="+",
            help="Snapshot id (snap-...) to delete; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.snapshots,
            "snapshot",
            "delete",
            lambda snapshot_id: client.delete(_snapshot_path(snapshot_id)),
        )
