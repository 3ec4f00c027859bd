"""Helpers for the tests of the emulator's STS behaviour (test_emulator_sts.py).

They start tools/moto_server.py on a free loopback port, build boto3 clients
that talk only to it, and serve OIDC discovery documents and JWKS from a
small HTTP server on 127.0.0.1, as the OIDC issuer of the tests.
"""

import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# Set before boto3 is imported, so that no client looks beyond loopback.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
for _name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

import boto3  # noqa: E402
import botocore.config  # noqa: E402

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 60
# moto picks the account of a request from this header when no IAM-created
# access key identifies one (moto 5.2.5, moto/core/responses.py).
MOTO_ACCOUNT_HEADER = "x-moto-account-id"
# moto does not check signatures by default, so any key pair works for the
# requests that seed IAM with the account header.
SEED_KEY = ("AKIAEMULATORSEED0000", "emulator-seed-not-a-secret")
LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """A tools/moto_server.py process on a free 127.0.0.1 port."""

    def __init__(self, extra_args=(), extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log", delete=False)
        env = dict(os.environ, **(extra_env or {}))
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(TOOLS_DIR, "moto_server.py"),
             "--port", str(self.port), *extra_args],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        try:
            self.wait_ready()
        except Exception:
            self.stop()
            raise

    def wait_ready(self):
        # The introspection endpoint responds without touching moto's backends.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                status, _ = self.http("GET", "/_aws_hybrid/sts-calls", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                # stop() deletes the log file, so the message carries its end.
                raise RuntimeError(f"the emulator did not start on {self.url}. Its output "
                                   f"ends with:\n{self.read_log()[-2000:]}")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)

    def read_log(self):
        """Return what the emulator has written to stdout and stderr so far."""
        with open(self.log.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def http(self, method, path, timeout=10):
        """Send a request without a body and return (status, decoded JSON body or None)."""
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with LOOPBACK_OPENER.open(request, timeout=timeout) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body = error.read()
            status = error.code
        return status, (json.loads(body) if body else None)

    def client(self, service, access_key=SEED_KEY[0], secret_key=SEED_KEY[1],
               session_token=None, account=None, validate=True):
        """Create a boto3 client for this emulator.

        account, when set, sends moto's account header on every request.
        validate=False turns off botocore's client-side parameter checks, so
        that out-of-range values reach the emulator.
        """
        client = boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=botocore.config.Config(retries={"max_attempts": 1},
                                          parameter_validation=validate),
        )
        if account is not None:
            def add_account_header(request, **_):
                request.headers[MOTO_ACCOUNT_HEADER] = account

            client.meta.events.register("before-sign", add_account_header)
        return client

    def create_user_key(self, account, user_name):
        """Create an IAM user with an access key in account and return (key ID, secret)."""
        iam = self.client("iam", account=account)
        iam.create_user(UserName=user_name)
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def credential_client(self, service, credentials, with_session_token=True):
        """Create a client that signs with STS Credentials from an AssumeRole* response."""
        return self.client(
            service,
            access_key=credentials["AccessKeyId"],
            secret_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"] if with_session_token else None,
        )


def trust_policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class OidcIssuers:
    """An HTTP server on 127.0.0.1 that serves JSON documents by path, for OIDC discovery.

    documents maps a request path to a JSON-serialisable object. hits counts
    the GET requests per path.
    """

    def __init__(self):
        self.documents = {}
        self.hits = {}
        issuers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                issuers.hits[self.path] = issuers.hits.get(self.path, 0) + 1
                document = issuers.documents.get(self.path)
                if document is None:
                    self.send_error(404)
                    return
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add_issuer(self, name, jwks, jwks_uri=None):
        """Serve discovery for issuer <base_url>/<name> and return the issuer URL."""
        issuer = f"{self.base_url}/{name}"
        own_jwks_uri = f"{issuer}/jwks.json"
        self.documents[f"/{name}/.well-known/openid-configuration"] = {
            "issuer": issuer,
            "jwks_uri": jwks_uri or own_jwks_uri,
        }
        self.documents[f"/{name}/jwks.json"] = jwks
        return issuer

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
