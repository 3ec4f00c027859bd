"""The emulator's record of STS calls and the HTTP endpoints that expose it.

Endpoints, served in front of moto's own routes:
  GET  /_aws_hybrid/sts-calls        200, a JSON list of CallRecord objects,
                                     oldest first
  POST /_aws_hybrid/sts-calls/reset  204, empties the list
These exist only in the emulator, for tests. No record contains a secret
access key, a session token or a web identity token.
"""

import dataclasses
import json
import threading
from dataclasses import dataclass

PATH_PREFIX = "/_aws_hybrid/"
CALLS_PATH = "/_aws_hybrid/sts-calls"
RESET_PATH = "/_aws_hybrid/sts-calls/reset"


@dataclass
class CallRecord:
    """One AssumeRole or AssumeRoleWithWebIdentity request and its outcome.

    Times are ISO 8601 UTC strings. Fields that do not apply to a call, or
    that the request lacked, are None. caller_arn and caller_account
    identify the signer of an AssumeRole request and are None for
    AssumeRoleWithWebIdentity, whose caller is the token's subject
    (token_subject). outcome is "success" or "error".
    """

    time: str
    action: str
    role_arn: str | None
    role_session_name: str | None
    external_id: str | None = None
    duration_seconds: int | None = None
    caller_arn: str | None = None
    caller_account: str | None = None
    token_issuer: str | None = None
    token_subject: str | None = None
    token_audience: str | None = None
    outcome: str = "error"
    error_code: str | None = None
    error_message: str | None = None
    access_key_id: str | None = None
    expiration: str | None = None


class CallLog:
    """Thread-safe list of CallRecord objects."""

    def __init__(self):
        self._lock = threading.Lock()
        self._records = []

    def append(self, record):
        with self._lock:
            self._records.append(record)

    def snapshot(self):
        with self._lock:
            return [dataclasses.asdict(record) for record in self._records]

    def clear(self):
        with self._lock:
            self._records.clear()


CALL_LOG = CallLog()


def json_response(start_response, status, document, extra_headers=()):
    body = json.dumps(document).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers + list(extra_headers))
    return [body]


class IntrospectionMiddleware:
    """WSGI middleware that serves the /_aws_hybrid/ endpoints and passes the rest to app."""

    def __init__(self, app, call_log=CALL_LOG):
        self.app = app
        self.call_log = call_log

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PATH_PREFIX):
            return self.app(environ, start_response)

        method = environ.get("REQUEST_METHOD", "GET")
        if path == CALLS_PATH:
            if method != "GET":
                return json_response(start_response, "405 Method Not Allowed",
                                     {"error": f"{method} is not allowed on {path}; use GET"},
                                     [("Allow", "GET")])
            return json_response(start_response, "200 OK", self.call_log.snapshot())
        if path == RESET_PATH:
            if method != "POST":
                return json_response(start_response, "405 Method Not Allowed",
                                     {"error": f"{method} is not allowed on {path}; use POST"},
                                     [("Allow", "POST")])
            self.call_log.clear()
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        return json_response(start_response, "404 Not Found",
                             {"error": f"no emulator endpoint at {path}; the endpoints are "
                                       f"GET {CALLS_PATH} and POST {RESET_PATH}"})
