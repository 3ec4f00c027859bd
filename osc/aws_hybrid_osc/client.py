"""Plugin module that python-openstackclient loads through the ``openstack.cli.extension``
entry point.

openstackclient reads ``API_NAME``, ``API_VERSION_OPTION``, ``DEFAULT_API_VERSION``,
``API_VERSIONS``, ``make_client``, ``build_option_parser`` and ``check_api_version`` from this
module, and loads the commands of the entry point group ``openstack.aws_hybrid.v<major>``.
"""

import logging

from osc_lib import exceptions
from osc_lib import utils

from aws_hybrid_osc import api

LOG = logging.getLogger(__name__)

API_NAME = "aws_hybrid"
API_VERSION_OPTION = "os_aws_hybrid_api_version"
DEFAULT_API_VERSION = "1"
API_VERSIONS = ("1", "1.0")

# Keys of openstack.config (clouds.yaml, or OS_AWS_HYBRID_ENDPOINT_OVERRIDE in the
# environment) that replace the catalog URL of the service.
ENDPOINT_OVERRIDE_KEYS = ("aws_hybrid_endpoint_override", "aws_hybrid_endpoint")

# Key of openstack.config under which the global option --aws-region (or AWS_HYBRID_REGION)
# arrives.
REGION_KEY = "aws_hybrid_region"


def make_client(instance):
    """Create the aws-hybrid API client for the current command.

    ``instance`` is openstackclient's ClientManager, whose session already contains the user's
    Keystone authentication. The endpoint comes from the catalog entry of service type
    ``aws-hybrid`` for the chosen interface and region, unless the configuration overrides
    it. keystoneauth then runs version discovery on that URL to find the ``/v1/`` endpoint.
    With ``--aws-region``, every request carries the ``AWS-Hybrid-Region`` header.
    """
    version = instance._api_version[API_NAME]
    config = instance.get_configuration()
    endpoint_override = None
    for key in ENDPOINT_OVERRIDE_KEYS:
        if config.get(key):
            endpoint_override = config[key]
            break
    aws_region = config.get(REGION_KEY) or None
    LOG.debug(
        "aws-hybrid client: API version %s, interface %s, region %s, endpoint override %s, "
        "AWS region %s",
        version,
        instance.interface,
        instance.region_name,
        endpoint_override,
        aws_region or "(the project's default)",
    )
    return api.Client(
        session=instance.session,
        service_type=api.SERVICE_TYPE,
        interface=instance.interface,
        region_name=instance.region_name,
        endpoint_override=endpoint_override,
        version=version,
        aws_region=aws_region,
    )


def build_option_parser(parser):
    """Add the global options of the ``openstack aws`` commands: the API version and the AWS
    region."""
    parser.add_argument(
        "--os-aws-hybrid-api-version",
        metavar="<aws-hybrid-api-version>",
        default=utils.env("OS_AWS_HYBRID_API_VERSION"),
        help=(
            "aws-hybrid API version, default: %s (Env: OS_AWS_HYBRID_API_VERSION)"
            % DEFAULT_API_VERSION
        ),
    )
    parser.add_argument(
        "--aws-region",
        metavar="<region>",
        dest=REGION_KEY,
        default=utils.env("AWS_HYBRID_REGION"),
        help=(
            "AWS region of the openstack aws commands, such as us-west-2. It must be one of "
            "the project's allowed regions (see `openstack aws region list`). Default: the "
            "project's default region (Env: AWS_HYBRID_REGION)"
        ),
    )
    return parser


def check_api_version(check_version):
    """Reject an API version that this plugin cannot talk to.

    Returns True so that openstackclient skips its own check against ``API_VERSIONS``.
    """
    if str(check_version) not in API_VERSIONS:
        raise exceptions.CommandError(
            "aws-hybrid API version %s is not supported: use one of %s "
            "(--os-aws-hybrid-api-version or OS_AWS_HYBRID_API_VERSION)."
            % (check_version, ", ".join(API_VERSIONS))
        )
    return True
