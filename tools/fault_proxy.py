#!/usr/bin/env python3
"""Fault-injecting HTTP proxy for AWS query-protocol APIs (EC2, IAM, STS).

The proxy forwards each request unchanged to one upstream (the moto server
in tests) and returns the upstream response unchanged, unless a fault rule
matches the request. A rule either returns an EC2-style XML error without
calling the upstream, or forwards the request and rewrites the upstream
body with regular expressions.

Usage:
    python3 tools/fault_proxy.py --listen 127.0.0.1:0 --upstream http://127.0.0.1:25555

With port 0 the kernel picks a free port, and the first stdout line is
``listening on 127.0.0.1:<port>``.

Control API (same port, JSON bodies):
    POST /__fault__/rules   add a rule (see ``parse_rule`` for the fields)
    GET  /__fault__/rules   list the rules still active
    GET  /__fault__/calls   list every proxied call: action, params, status
    POST /__fault__/reset   drop all rules and the call log

The action of a request is the ``Action`` field of its form-encoded body or
of its query string. S3 and other REST-style requests have no action
(``null``) and are only matched by rules whose action is ``"*"``.

Uses the standard library only, so it runs with any python3 >= 3.8.
"""

import argparse
import http.client
import http.server
import ipaddress
import json
import logging
import re
import signal
import sys
import threading
import urllib.parse
import uuid
from xml.sax.saxutils import escape as xml_escape

CONTROL_PREFIX = "/__fault__/"

# Headers that describe one hop of the connection and must not be forwarded
# (RFC 9110 section 7.6.1). Content-Length is recomputed for every message.
# Expect is not forwarded, because http.server sends "100 Continue" itself.
HOP_BY_HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
}

# Request fields whose values never appear in the call log. The check is a
# case-insensitive substring match on the field name, so it also covers
# X-Amz-Security-Token and X-Amz-Signature in presigned query strings.
SENSITIVE_FIELD_MARKERS = ("secret", "password", "token", "signature")
REDACTED = "<redacted>"

UPSTREAM_TIMEOUT_SECONDS = 60

log = logging.getLogger("fault_proxy")


class RuleError(ValueError):
    """Invalid fault rule sent to the control API."""


def parse_rule(data):
    """Validate a rule from the control API and return it in normalised form.

    Fields:
      action  (str, required)  the AWS action to match, or "*" for any request.
      params  (object)         field name -> value that must be present; the
                               value "*" matches any value.
      count   (int or null)    how many matching calls the rule applies to;
                               null applies it to every matching call.
      status, code, message    an error rule: return this HTTP status and an
                               EC2-style XML error, without calling upstream.
      rewrite (list)           a rewrite rule: [{"pattern", "replacement"}],
                               applied in order with re.sub to the upstream body.
    A rule is either an error rule or a rewrite rule, never both.
    """
    if not isinstance(data, dict):
        raise RuleError("rule must be a JSON object")
    known = {"action", "params", "count", "status", "code", "message", "rewrite"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RuleError(f"unknown rule fields: {', '.join(unknown)}")

    action = data.get("action")
    if not isinstance(action, str) or not action:
        raise RuleError("'action' must be a non-empty string")

    params = data.get("params") or {}
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    ):
        raise RuleError("'params' must be an object of string to string")

    count = data.get("count")
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, int) or count < 1
    ):
        raise RuleError("'count' must be a positive integer or null")

    rule = {"action": action, "params": params, "count": count}
    if "rewrite" in data:
        if any(k in data for k in ("status", "code", "message")):
            raise RuleError("a rule has either 'rewrite' or 'status'/'code', not both")
        rewrites = data["rewrite"]
        if not isinstance(rewrites, list) or not rewrites:
            raise RuleError("'rewrite' must be a non-empty list")
        compiled = []
        for item in rewrites:
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                raise RuleError("each rewrite needs a string 'pattern'")
            replacement = item.get("replacement", "")
            if not isinstance(replacement, str):
                raise RuleError("'replacement' must be a string")
            try:
                pattern = re.compile(item["pattern"].encode("utf-8"))
            except re.error as exc:
                raise RuleError(f"invalid regex {item['pattern']!r}: {exc}") from exc
            compiled.append((pattern, replacement.encode("utf-8")))
        rule["kind"] = "rewrite"
        rule["rewrite"] = rewrites
        rule["_compiled"] = compiled
        return rule

    status = data.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise RuleError("'status' must be an integer from 400 to 599 (or give 'rewrite')")
    code = data.get("code")
    if not isinstance(code, str) or not code:
        raise RuleError("'code' must be a non-empty string")
    message = data.get("message", "")
    if not isinstance(message, str):
        raise RuleError("'message' must be a string")
    rule.update(kind="error", status=status, code=code, message=message)
    return rule


def public_rule(rule):
    """Return the JSON-serialisable view of a stored rule."""
    return {k: v for k, v in rule.items() if not k.startswith("_")}


def ec2_error_body(code, message):
    """Build the XML error document that EC2 and moto return."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Response><Errors><Error>"
        f"<Code>{xml_escape(code)}</Code>"
        f"<Message>{xml_escape(message)}</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode("utf-8")


def redact_params(params):
    return {
        name: (REDACTED if any(m in name.lower() for m in SENSITIVE_FIELD_MARKERS) else value)
        for name, value in params.items()
    }


class FaultState:
    """Rules and call log shared by all handler threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._calls = []

    def add_rule(self, rule):
        with self._lock:
            self._rules.append(rule)

    def rules(self):
        with self._lock:
            return [public_rule(r) for r in self._rules]

    def calls(self):
        with self._lock:
            return list(self._calls)

    def reset(self):
        with self._lock:
            self._rules.clear()
            self._calls.clear()

    def record_call(self, entry):
        with self._lock:
            self._calls.append(entry)

    def take_matching_rule(self, action, params):
        """Return the first rule matching the call and consume one use of it."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule["action"] != "*" and rule["action"] != action:
                    continue
                if not all(
                    name in params and (expected == "*" or params[name] == expected)
                    for name, expected in rule["params"].items()
                ):
                    continue
                if rule["count"] is not None:
                    rule["count"] -= 1
                    if rule["count"] == 0:
                        del self._rules[index]
                return rule
        return None


def request_params(path, headers, body):
    """Decode the AWS query-protocol fields of a request.

    Query-string fields come first, and form-encoded body fields override
    them. Returns (action or None, params dict).
    """
    query = urllib.parse.urlsplit(path).query
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    content_type = headers.get("Content-Type", "")
    if body and content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        params.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return params.get("Action"), params


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-proxy"
    sys_version = ""

    # Set on the handler class by make_server().
    state = None
    upstream = None  # urllib.parse.SplitResult

    def log_message(self, format, *args):  # noqa: A002 - name fixed by http.server
        # The default logs the raw request line, whose query string can hold
        # presigned-URL signatures and tokens, so request lines are logged by
        # handle_any() without the query instead.
        pass

    def log_error(self, format, *args):  # noqa: A002
        log.warning("client connection error: " + format, *args)

    # Every HTTP method goes through the same path.
    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_request_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    # Skip trailer fields up to the empty line.
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_body(self, status, headers, body, head_content_length=None):
        """Send a full response with an accurate Content-Length."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if self.command == "HEAD" or status in (204, 304) or 100 <= status < 200:
            if head_content_length is not None:
                self.send_header("Content-Length", head_content_length)
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body and status not in (204, 304):
            self.wfile.write(body)

    def send_json(self, status, value):
        body = json.dumps(value).encode("utf-8")
        self.send_body(status, [("Content-Type", "application/json")], body)

    def handle_any(self):
        try:
            body = self.read_request_body()
        except (ValueError, OSError) as exc:
            log.warning("invalid request body for %s %s: %s", self.command, self.path_only(), exc)
            self.close_connection = True
            self.send_json(400, {"error": f"invalid request body: {exc}"})
            return
        if self.path.startswith(CONTROL_PREFIX):
            self.handle_control(body)
        else:
            self.handle_proxy(body)

    def path_only(self):
        return urllib.parse.urlsplit(self.path).path

    def handle_control(self, body):
        route = (self.command, self.path_only())
        if route == ("POST", CONTROL_PREFIX + "rules"):
            try:
                rule = parse_rule(json.loads(body or b"null"))
            except json.JSONDecodeError as exc:
                self.send_json(400, {"error": f"invalid JSON: {exc}"})
                return
            except RuleError as exc:
                self.send_json(400, {"error": str(exc)})
                return
            self.state.add_rule(rule)
            log.info("added %s rule for action %s (count %s)", rule["kind"], rule["action"], rule["count"])
            self.send_json(201, public_rule(rule))
        elif route == ("GET", CONTROL_PREFIX + "rules"):
            self.send_json(200, self.state.rules())
        elif route == ("GET", CONTROL_PREFIX + "calls"):
            self.send_json(200, self.state.calls())
        elif route == ("POST", CONTROL_PREFIX + "reset"):
            self.state.reset()
            log.info("reset rules and call log")
            self.send_json(200, {"reset": True})
        else:
            self.send_json(404, {"error": f"no control route {self.command} {self.path_only()}"})

    def handle_proxy(self, body):
        action, params = request_params(self.path, self.headers, body)
        rule = self.state.take_matching_rule(action, params)
        fault = None
        head_length = None
        if rule is not None and rule["kind"] == "error":
            fault = "error"
            status = rule["status"]
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))]
            reply = ec2_error_body(rule["code"], rule["message"])
        else:
            try:
                status, upstream_headers, reply = self.forward(body)
            except (OSError, http.client.HTTPException) as exc:
                log.error("upstream request failed for %s %s (action %s): %s",
                          self.command, self.path_only(), action, exc)
                status = 502
                headers = [("Content-Type", "text/plain")]
                reply = f"fault_proxy: upstream request failed: {exc}\n".encode()
            else:
                if rule is not None:
                    fault = "rewrite"
                    for pattern, replacement in rule["_compiled"]:
                        reply = pattern.sub(replacement, reply)
                headers = []
                for name, value in upstream_headers:
                    if name.lower() == "content-length":
                        head_length = value
                    elif name.lower() not in HOP_BY_HOP_HEADERS:
                        headers.append((name, value))
        # Record before responding, so a client that reads the call log right after its
        # response always finds its own call there.
        self.state.record_call({
            "method": self.command,
            "path": self.path_only(),
            "action": action,
            "params": redact_params(params),
            "status": status,
            "fault": fault,
        })
        log.info("%s %s action=%s status=%s%s", self.command, self.path_only(), action, status,
                 f" fault={fault}" if fault else "")
        self.send_body(status, headers, reply, head_content_length=head_length)

    def forward(self, body):
        """Send the request to the upstream and return (status, headers, body)."""
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port or 80, timeout=UPSTREAM_TIMEOUT_SECONDS
        )
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            # Host is forwarded as the client sent it, because SigV4 signs it.
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP_HEADERS:
                    connection.putheader(name, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body if body else None)
            response = connection.getresponse()
            upstream_body = response.read()
            return response.status, response.getheaders(), upstream_body
        finally:
            connection.close()


def parse_host_port(value):
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def require_loopback(host, what):
    """Reject any address outside the loopback range: this proxy is for tests only."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"fault_proxy: {what} host {host!r} is not a loopback address; use 127.0.0.1")


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(listen_host, listen_port, upstream_url):
    """Create the proxy server; it listens once this returns."""
    upstream = urllib.parse.urlsplit(upstream_url)
    if upstream.scheme != "http" or not upstream.hostname:
        raise SystemExit(f"fault_proxy: upstream must be an http:// URL, got {upstream_url!r}")
    require_loopback(listen_host, "listen")
    require_loopback(upstream.hostname, "upstream")
    handler = type("BoundProxyHandler", (ProxyHandler,), {"state": FaultState(), "upstream": upstream})
    return ProxyServer((listen_host, listen_port), handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, type=parse_host_port,
                        help="loopback HOST:PORT to listen on; port 0 picks a free port")
    parser.add_argument("--upstream", required=True,
                        help="upstream base URL, e.g. http://127.0.0.1:25555")
    parser.add_argument("--quiet", action="store_true", help="log errors only")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s fault_proxy %(levelname)s %(message)s",
                        stream=sys.stderr)
    server = make_server(args.listen[0], args.listen[1], args.upstream)
    host, port = server.server_address[:2]
    print(f"listening on {host}:{port}", flush=True)
    log.info("forwarding to %s", args.upstream)

    # SIGTERM raises SystemExit in the main thread, which leaves serve_forever().
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log.info("stopped")


if __name__ == "__main__":
    main()
