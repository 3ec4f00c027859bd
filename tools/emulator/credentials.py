"""Expiry and session-token checks for the temporary credentials STS issues.

moto accepts an assumed-role access key forever and ignores its session
token. install() wraps moto's BaseResponse.call_action, which every EC2,
IAM and STS request passes through. A request signed with a key from the
registry then fails like on AWS when the key has expired, or when the
request lacks the key's session token.

Error codes and their sources:
  - expired, EC2: RequestExpired, HTTP 400, "Request has expired." The
    retryer of aws-sdk-go v1 (aws/request/retryer.go) lists RequestExpired
    as the EC2-only code for expired credentials, and published SDK error
    output shows EC2 sending it with that message;
  - expired, other services: ExpiredToken, HTTP 403, "The security token
    included in the request is expired", as in the AWS re:Post knowledge
    center article "ec2-expired-token" and in published STS error output;
  - missing or wrong session token: the codes and messages moto itself
    sends when its IAM authentication is on (moto/core/exceptions.py):
    AuthFailure (401) for EC2, InvalidClientTokenId (403) elsewhere.
"""

import hashlib
import hmac
import threading
from dataclasses import dataclass
from datetime import datetime

from moto.core.responses import BaseResponse
from moto.core.utils import utcnow

from emulator.errors import EmulatedError, error_response

SESSION_TOKEN_HEADER = "X-Amz-Security-Token"
# A presigned URL carries the token as X-Amz-Security-Token, a SigV2 query
# request as SecurityToken.
SESSION_TOKEN_PARAMETERS = ("X-Amz-Security-Token", "SecurityToken")


def expired_error(service_name):
    if service_name == "ec2":
        return EmulatedError("RequestExpired", "Request has expired.", 400)
    return EmulatedError("ExpiredToken",
                         "The security token included in the request is expired", 403)


def invalid_session_token_error(service_name):
    if service_name == "ec2":
        return EmulatedError("AuthFailure",
                             "AWS was not able to validate the provided access credentials", 401)
    return EmulatedError("InvalidClientTokenId",
                         "The security token included in the request is invalid.", 403)


def token_digest(session_token):
    return hashlib.sha256(session_token.encode()).digest()


@dataclass(frozen=True)
class IssuedCredentials:
    """The registry's record of one set of temporary credentials.

    expiration is a naive UTC datetime, like moto's. Only a SHA-256 digest of
    the session token is kept.
    """

    expiration: datetime
    session_token_digest: bytes


class CredentialRegistry:
    """Temporary credentials issued by this emulator, by access key ID."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_access_key = {}

    def add(self, access_key_id, session_token, expiration):
        with self._lock:
            self._by_access_key[access_key_id] = IssuedCredentials(
                expiration=expiration, session_token_digest=token_digest(session_token))

    def get(self, access_key_id):
        with self._lock:
            return self._by_access_key.get(access_key_id)


REGISTRY = CredentialRegistry()


def request_session_token(response):
    token = response.headers.get(SESSION_TOKEN_HEADER)
    if token:
        return token
    for name in SESSION_TOKEN_PARAMETERS:
        values = response.querystring.get(name)
        if values:
            return values[0]
    return None


def credential_error(response):
    """Return the error for a request with bad temporary credentials, or None."""
    issued = REGISTRY.get(response.access_key)
    if issued is None:
        return None
    token = request_session_token(response)
    if token is None or not hmac.compare_digest(token_digest(token), issued.session_token_digest):
        return invalid_session_token_error(response.service_name)
    if utcnow() >= issued.expiration:
        return expired_error(response.service_name)
    return None


def install():
    """Wrap BaseResponse.call_action with the credential checks."""
    original_call_action = BaseResponse.call_action

    def call_action(self):
        error = credential_error(self)
        if error is not None:
            return error_response(self, error)
        return original_call_action(self)

    BaseResponse.call_action = call_action
