"""AWS error responses with a fixed HTTP status, serialised by moto.

moto's serializer takes the HTTP status of an error from the service model
and falls back to 400 for codes the model does not define, such as STS's
AccessDenied (403). EmulatedError carries its own status, and
error_response() puts it on the response that moto's serializer builds, so
the body keeps the protocol's usual shape (<ErrorResponse> for query
services, <Response><Errors> for EC2).
"""

import warnings

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult

# moto warns once per error code that its service model does not define. The
# codes raised here are deliberate, so the warning is noise in the server log.
warnings.filterwarnings("ignore", message=r"Exception\(EmulatedError\) with code")


class EmulatedError(ServiceException):
    """An AWS error code and message with the HTTP status AWS sends for it."""

    def __init__(self, code, message, status):
        super().__init__(code, message)
        self.status = status


def error_response(response, error):
    """Serialise error for the request that response handles.

    Returns moto's (status, headers, body) tuple. moto's call_action reads
    the status of a returned tuple from the "status" header.
    """
    _, headers, body = response.serialized(ActionResult(error))
    headers["status"] = error.status
    return error.status, headers, body
