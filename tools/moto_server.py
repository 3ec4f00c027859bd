"""Start the moto AWS emulator for the aws-hybrid tests, bound to loopback.

Run it with the harness venv's python:
    python tools/moto_server.py --port 25555

moto 5.2.5 does not implement the EC2 VM Import/Export actions (ImportImage,
ExportImage, CreateInstanceExportTask and the matching Describe and Cancel
calls): it returns HTTP 500 with an HTML page for them. This launcher is
the place to add them. moto dispatches an EC2 action to the method of
moto.ec2.responses.EC2Response named after the action in snake_case, so each
entry of EXTRA_EC2_ACTIONS is attached to that class before the server
starts. moto itself is not modified.
"""

import argparse
import sys

# Method name on EC2Response (the action in snake_case) -> function taking the
# EC2Response instance and returning a moto.core.responses.ActionResult.
# TODO: register the VM Import/Export actions here. None is implemented yet.
EXTRA_EC2_ACTIONS = {}


def register_extra_ec2_actions():
    """Attach the handlers of EXTRA_EC2_ACTIONS to moto's EC2Response."""
    from moto.ec2.responses import EC2Response

    for method_name, handler in EXTRA_EC2_ACTIONS.items():
        setattr(EC2Response, method_name, handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the moto server on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=25555, help="TCP port (default 25555)")
    args = parser.parse_args(argv)

    register_extra_ec2_actions()

    from moto.server import main as moto_main

    # The host is fixed because the emulator must never listen beyond loopback.
    moto_main(["--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
