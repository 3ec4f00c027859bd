"""``openstack aws instance resize``, ``openstack aws instance console log show``, and the
``--block-device`` option of ``openstack aws instance create``."""

from osc_lib import exceptions
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common


class ResizeInstance(command.Command):
    """Change the instance type of a stopped AWS EC2 instance of the current project

    The new type takes effect at the next start. Stop the instance and wait until it is
    stopped first.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<instance-id>", help="Instance id (i-...)")
        parser.add_argument(
            "--type",
            metavar="<instance-type>",
            dest="instance_type",
            required=True,
            help="New instance type, e.g. t3.large (see `openstack aws instance type list`)",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        client.post(
            api.resource_path("instances", parsed_args.instance, "action"),
            json={"resize": {"instance_type": parsed_args.instance_type}},
        )


class ShowConsoleLog(command.Command):
    """Show the console output of an AWS EC2 instance of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<instance-id>", help="Instance id (i-...)")
        parser.add_argument(
            "--lines",
            metavar="<num-lines>",
            type=common.positive_int,
            help="Show only this many lines from the end of the output",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        params = {}
        if parsed_args.lines is not None:
            params["length"] = str(parsed_args.lines)
        body = client.get_json(
            api.resource_path("instances", parsed_args.instance, "console-output"),
            params=params,
        )
        output = body["console_output"]["output"]
        self.app.stdout.write(output)
        if output and not output.endswith("\n"):
            self.app.stdout.write("\n")


BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def add_block_device_argument(parser):
    """Add --block-device to the instance create command."""
    parser.add_argument(
        "--block-device",
        metavar=(
            "device_name=<device>,volume_size=<GiB>[,volume_type=<type>]"
            "[,delete_on_termination=<bool>][,encrypted=<bool>]"
        ),
        dest="block_devices",
        action=parseractions.MultiKeyValueAction,
        required_keys=["device_name", "volume_size"],
        optional_keys=["volume_type", "delete_on_termination", "encrypted"],
        default=[],
        help=(
            "EBS volume to create and attach to each instance, e.g. "
            "device_name=/dev/sdf,volume_size=100,volume_type=gp3; volume_type defaults to "
            "gp3, delete_on_termination to true and encrypted to false. Repeat the option "
            "to add several"
        ),
    )


def _boolean(name, text):
    try:
        return BOOLEAN_WORDS[text.lower()]
    except KeyError:
        raise exceptions.CommandError(
            "Invalid --block-device %s=%s: use true or false" % (name, text)
        ) from None


def block_device_mappings(block_devices):
    """Return the API's block_device_mappings for the --block-device values."""
    mappings = []
    for device in block_devices:
        mapping = {"device_name": device["device_name"]}
        try:
            mapping["volume_size"] = int(device["volume_size"])
        except ValueError:
            raise exceptions.CommandError(
                "Invalid --block-device volume_size=%s: use a whole number of GiB"
                % device["volume_size"]
            ) from None
        if "volume_type" in device:
            mapping["volume_type"] = device["volume_type"]
        for flag in ("delete_on_termination", "encrypted"):
            if flag in device:
                mapping[flag] = _boolean(flag, device[flag])
        mappings.append(mapping)
    return mappings
