"""``openstack aws image create|delete|set|unset``: AMIs that the current project creates from
its instances. Only images that the project created can be deleted or tagged.
"""

import logging

from osc_lib import exceptions
from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common

LOG = logging.getLogger(__name__)

FORMATTERS = {"tags": format_columns.DictColumn}


def _tags_path(image_id):
    return api.resource_path("images", image_id, "tags")


class CreateImage(command.ShowOne):
    """Create an AMI from an instance of the current project

    EC2 reboots a running instance first, unless --no-reboot is given. The image is pending
    until EC2 has copied the instance's volumes.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "name",
            metavar="<name>",
            help="Image name: 3 to 128 letters, digits, spaces and ( ) [ ] . / - ' @ _",
        )
        parser.add_argument(
            "--instance",
            metavar="<instance-id>",
            required=True,
            help="Instance of the project to image (i-...), running or stopped",
        )
        parser.add_argument("--description", metavar="<description>", help="Image description")
        parser.add_argument(
            "--no-reboot",
            action="store_true",
            help="Do not reboot a running instance first; its file systems may be inconsistent",
        )
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the image; repeat the option to set several",
        )
        parser.add_argument(
            "--idempotency-key",
            metavar="<key>",
            help="Key that makes a retry of this command return the first image, e.g. a UUID",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        request = {"instance_id": parsed_args.instance, "name": parsed_args.name}
        if parsed_args.description is not None:
            request["description"] = parsed_args.description
        if parsed_args.no_reboot:
            request["no_reboot"] = True
        if parsed_args.tags:
            request["tags"] = parsed_args.tags
        headers = {}
        if parsed_args.idempotency_key is not None:
            headers["Idempotency-Key"] = parsed_args.idempotency_key
        response = client.post("images", json={"image": request}, headers=headers)
        return common.show_output(response.json()["image"], FORMATTERS)


class DeleteImage(command.Command):
    """Deregister AMIs that the current project created

    EC2 deletes the snapshots behind each image with it.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "images",
            metavar="<image-id>",
            nargs="+",
            help="AMI id (ami-...) to deregister; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        failures = 0
        for image_id in parsed_args.images:
            try:
                client.delete(api.resource_path("images", image_id))
            except exceptions.CommandError as error:
                if len(parsed_args.images) == 1:
                    raise
                failures += 1
                LOG.error("Failed to deregister image %s: %s", image_id, error)
        if failures:
            raise exceptions.CommandError(
                "%d of %d images failed to deregister; the errors are listed above."
                % (failures, len(parsed_args.images))
            )


class SetImage(command.Command):
    """Set tags of an AMI that the current project created"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image-id>", help="AMI id (ami-...)")
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to add or change; repeat the option to set several",
        )
        parser.add_argument(
            "--no-tag",
            action="store_true",
            help="Remove every tag first; with --tag, the image has only those tags",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        if parsed_args.no_tag:
            tags = {}
        else:
            tags = client.get_json(api.resource_path("images", parsed_args.image))["image"]["tags"]
        tags.update(parsed_args.tags or {})
        client.put(_tags_path(parsed_args.image), json={"tags": tags})


class UnsetImage(command.Command):
    """Remove tags from an AMI that the current project created"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image-id>", help="AMI id (ami-...)")
        parser.add_argument(
            "--tag",
            metavar="<key>",
            dest="tags",
            action="append",
            required=True,
            help="Key of the tag to remove; repeat the option to remove several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        tags = client.get_json(api.resource_path("images", parsed_args.image))["image"]["tags"]
        for key in parsed_args.tags:
            tags.pop(key, None)
        client.put(_tags_path(parsed_args.image), json={"tags": tags})
