"""Start the moto AWS emulator for the aws-hybrid tests, bound to loopback.

Run it with the harness venv's python:
    python tools/moto_server.py --port 25555 [--sts-credential-lifetime SECONDS]

moto itself is not modified. Before the server starts, this launcher
changes moto's behaviour at runtime:
  - EXTRA_EC2_ACTIONS: moto 5.2.5 does not implement the EC2 VM
    Import/Export actions (ImportImage, ExportImage, CreateInstanceExportTask
    and the matching Describe and Cancel calls) and returns HTTP 500 with an
    HTML page for them. moto dispatches an EC2 action to the method of
    moto.ec2.responses.EC2Response named after the action in snake_case, so
    each entry of EXTRA_EC2_ACTIONS is attached to that class.
  - RunInstances (tools/emulator/client_tokens.py): a retry with the same
    ClientToken returns the first reservation instead of launching again, and
    the same token with other parameters is IdempotentParameterMismatch.
  - STS (tools/emulator/): AssumeRole and AssumeRoleWithWebIdentity check
    parameters, trust policies, ExternalId and web identity tokens like AWS,
    and temporary credentials expire. See tools/emulator/sts.py.
  - GET /_aws_hybrid/sts-calls lists every AssumeRole and
    AssumeRoleWithWebIdentity call, and POST /_aws_hybrid/sts-calls/reset
    empties that list. See tools/emulator/introspection.py.
"""

import argparse
import logging
import os
import re
import signal
import sys

# The host is fixed because the emulator must never listen beyond loopback.
HOST = "127.0.0.1"
LIFETIME_ENV = "AWS_HYBRID_EMULATOR_STS_LIFETIME"

# Method name on EC2Response (the action in snake_case) -> function taking the
# EC2Response instance and returning a moto.core.responses.ActionResult.
# TODO: register the VM Import/Export actions here. None is implemented yet.
EXTRA_EC2_ACTIONS = {}


def register_extra_ec2_actions():
    """Attach the handlers of EXTRA_EC2_ACTIONS to moto's EC2Response."""
    from moto.ec2.responses import EC2Response

    for method_name, handler in EXTRA_EC2_ACTIONS.items():
        setattr(EC2Response, method_name, handler)


class OmitQueryStrings(logging.Filter):
    """Remove query strings from werkzeug's request log lines.

    A query string can carry credentials: the X-Amz-Security-Token of a
    presigned URL, or a WebIdentityToken sent with GET.
    """

    QUERY = re.compile(r"\?[^\s\"]*")

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(self.QUERY.sub("?<query omitted>", arg) if isinstance(arg, str)
                                else arg for arg in record.args)
        return True


def positive_seconds(text):
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds >= 1, got {text!r}")
    return seconds


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=f"Run the moto server on {HOST}.")
    parser.add_argument("--port", type=int, default=25555, help="TCP port (default 25555)")
    parser.add_argument(
        "--sts-credential-lifetime", type=positive_seconds, metavar="SECONDS",
        default=os.environ.get(LIFETIME_ENV) or None,
        help="test setting that real AWS does not have: every credential that AssumeRole or "
             "AssumeRoleWithWebIdentity issues expires after SECONDS, whatever "
             "DurationSeconds requests, and the returned Expiration shows it (default: the "
             f"environment variable {LIFETIME_ENV}, else DurationSeconds)",
    )
    return parser.parse_args(argv)


def serve(port):
    """Run moto's WSGI application behind the introspection endpoints until SIGTERM."""
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    from emulator.introspection import IntrospectionMiddleware

    # moto's own launcher sets MOTO_PORT, which some backends use to build
    # URLs that point back at the server.
    os.environ.setdefault("MOTO_PORT", str(port))
    # SystemExit lets werkzeug close the socket, as moto's launcher does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = IntrospectionMiddleware(DomainDispatcherApplication(create_backend_app))
    run_simple(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").addFilter(OmitQueryStrings())

    register_extra_ec2_actions()

    from emulator import client_tokens, images, sts

    client_tokens.install()
    images.install()
    sts.install(lifetime_seconds=args.sts_credential_lifetime)
    if args.sts_credential_lifetime is not None:
        logging.getLogger("aws_hybrid.emulator").info(
            "STS credentials expire %d s after issue (--sts-credential-lifetime)",
            args.sts_credential_lifetime)
    serve(args.port)


if __name__ == "__main__":
    sys.exit(main())
