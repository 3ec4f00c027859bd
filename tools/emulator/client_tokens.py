"""RunInstances client tokens that make a retried launch idempotent, as in AWS.

moto 5.2.5 stores the ClientToken of RunInstances on the instance but never
looks at it again, so every retry launches new instances. install() wraps
moto's handler so that, per account and region:
  - the first request with a token launches as usual and is remembered;
  - a later request with the same token and the same parameters launches
    nothing and returns the first reservation, in its current state;
  - a later request with the same token and any other parameter returns
    IdempotentParameterMismatch (HTTP 400).
This follows the EC2 documentation "Ensuring idempotency in Amazon EC2 API
requests": a client token is case-sensitive and scoped to a region, and a
retry that changes a parameter other than the Region or Availability Zone
fails with IdempotentParameterMismatch. The error message is the one AWS
sends, as quoted in published AWS CLI output.

NOTE: a token is remembered until moto's state is reset. AWS keeps it for at
least 24 hours after the instances terminate; no test runs that long.
"""

import logging
import threading

from moto.core.responses import ActionResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.responses.instances import InstanceResponse

from emulator.errors import EmulatedError, error_response

LOG = logging.getLogger("aws_hybrid.emulator.client_tokens")

MISMATCH_MESSAGE = ("Arguments on this idempotent request are inconsistent with arguments "
                    "used in previous request(s).")
# Request parameters that do not take part in the comparison: the token itself
# and the protocol fields of the query API.
IGNORED_PARAMETERS = {"ClientToken", "Action", "Version"}


class LaunchRecord:
    """The parameters and the reservation of the first launch with a token."""

    def __init__(self, parameters, reservation):
        self.parameters = parameters
        self.reservation = reservation


# (account, region, token) -> LaunchRecord. The lock also serialises launches
# that carry a token, so that two concurrent retries cannot both launch.
_LAUNCHES = {}
_LOCK = threading.Lock()


def request_parameters(response):
    """Return the request's parameters as a comparable value, without ignored ones."""
    return tuple(sorted(
        (name, tuple(values))
        for name, values in response.querystring.items()
        if name not in IGNORED_PARAMETERS
    ))


def install():
    """Wrap moto's RunInstances handler once, and let DescribeInstances filter on
    client-token, which EC2 supports and moto 5.2.5 rejects as not implemented."""
    ec2_utils.filter_dict_attribute_mapping.setdefault("client-token", "client_token")
    original = InstanceResponse.run_instances
    if getattr(original, "aws_hybrid_wrapped", False):
        return

    def run_instances(self):
        token = self._get_param("ClientToken")
        if not token:
            return original(self)
        key = (self.current_account, self.region, token)
        parameters = request_parameters(self)
        with _LOCK:
            record = _LAUNCHES.get(key)
            # After POST /moto-api/reset the backend no longer has the reservation,
            # and the token is as good as new.
            if record is not None and record.reservation.id not in self.ec2_backend.reservations:
                record = None
            if record is not None:
                if record.parameters != parameters:
                    LOG.info("RunInstances token reused with other parameters in %s/%s",
                             self.current_account, self.region)
                    return error_response(
                        self, EmulatedError("IdempotentParameterMismatch", MISMATCH_MESSAGE, 400))
                LOG.info("RunInstances retried with a known token; returning reservation %s",
                         record.reservation.id)
                return ActionResult(record.reservation)
            result = original(self)
            _LAUNCHES[key] = LaunchRecord(parameters, result.result)
            return result

    run_instances.aws_hybrid_wrapped = True
    InstanceResponse.run_instances = run_instances
