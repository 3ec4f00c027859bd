"""Checks of a running test harness (tools/harness/up.sh).

Run with the harness venv's python after up.sh:
    AWS_HYBRID_STATE_DIR=/path/to/state <venv>/bin/python -m unittest tools/tests/test_harness.py
Every test is skipped when AWS_HYBRID_STATE_DIR is unset.
"""

import json
import os
import signal
import socket
import subprocess
import time
import unittest

STATE_DIR = os.environ.get("AWS_HYBRID_STATE_DIR")
TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if STATE_DIR:
    # Before boto3 is imported, so that no client looks beyond loopback.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    import boto3
    import requests


def process_running(pid):
    """Tell whether pid exists and is not a zombie waiting for PID 1 to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@unittest.skipUnless(STATE_DIR, "AWS_HYBRID_STATE_DIR is not set")
class HarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(STATE_DIR, "env.json")) as handle:
            cls.env = json.load(handle)
        cls.http = requests.Session()
        cls.http.trust_env = False

    def issue_token(self, username, password, project, keystone_url=None):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }}
        url = (keystone_url or self.env["keystone_url"]) + "/v3/auth/tokens"
        response = self.http.post(url, json=body, timeout=30)
        self.assertEqual(response.status_code, 201, f"token for {username}")
        return response.headers["X-Subject-Token"], response.json()["token"]

    def validate(self, token, keystone_url=None):
        """Validate token as the aws-hybrid service user and return the HTTP status."""
        service = self.env["service_user"]
        service_token, _ = self.issue_token(service["username"], service["password"],
                                            service["project_name"], keystone_url)
        url = (keystone_url or self.env["keystone_url"]) + "/v3/auth/tokens"
        response = self.http.get(url, headers={"X-Auth-Token": service_token,
                                               "X-Subject-Token": token}, timeout=30)
        return response.status_code

    def aws_client(self, service, project):
        entry = self.env["projects"][project]
        return boto3.client(
            service,
            endpoint_url=self.env["moto_url"],
            region_name="us-east-1",
            aws_access_key_id=entry["aws_access_key_id"],
            aws_secret_access_key=entry["aws_secret_access_key"],
        )

    def test_member_token_roles_and_catalog(self):
        member = self.env["projects"]["alpha"]["member"]
        _, token = self.issue_token(member["username"], member["password"], "alpha")
        self.assertEqual(token["project"]["id"], self.env["projects"]["alpha"]["id"])
        self.assertEqual(sorted(r["name"] for r in token["roles"]), ["member", "reader"])
        services = {s["type"]: s for s in token["catalog"]}
        self.assertIn("aws-hybrid", services)
        endpoints = {(e["interface"], e["region"], e["url"])
                     for e in services["aws-hybrid"]["endpoints"]}
        api_url = f"http://127.0.0.1:{self.env['api_port']}/v1"
        self.assertEqual(endpoints, {("public", "RegionOne", api_url),
                                     ("internal", "RegionOne", api_url)})
        identity = {e["interface"] for e in services["identity"]["endpoints"]}
        self.assertEqual(identity, {"public", "internal"})

    def test_reader_token_has_reader_role_only(self):
        reader = self.env["projects"]["beta"]["reader"]
        _, token = self.issue_token(reader["username"], reader["password"], "beta")
        self.assertEqual([r["name"] for r in token["roles"]], ["reader"])

    def test_service_user_has_service_role_only(self):
        service = self.env["service_user"]
        _, token = self.issue_token(service["username"], service["password"], "service")
        self.assertEqual([r["name"] for r in token["roles"]], ["service"])

    def test_service_user_validates_member_token(self):
        member = self.env["projects"]["beta"]["member"]
        token, _ = self.issue_token(member["username"], member["password"], "beta")
        self.assertEqual(self.validate(token), 200)
        self.assertEqual(self.validate("not-a-token"), 404)

    def test_aws_keys_map_to_own_accounts(self):
        for project in ("alpha", "beta"):
            identity = self.aws_client("sts", project).get_caller_identity()
            self.assertEqual(identity["Account"], self.env["projects"][project]["aws_account_id"])
        self.assertEqual(self.env["projects"]["alpha"]["aws_account_id"], "111111111111")
        self.assertEqual(self.env["projects"]["beta"]["aws_account_id"], "222222222222")

    def test_aws_accounts_are_isolated(self):
        name = f"isolation-check-{os.getpid()}"
        alpha = self.aws_client("ec2", "alpha")
        alpha.create_key_pair(KeyName=name)
        try:
            beta_names = [k["KeyName"] for k in
                          self.aws_client("ec2", "beta").describe_key_pairs()["KeyPairs"]]
            self.assertNotIn(name, beta_names)
        finally:
            alpha.delete_key_pair(KeyName=name)

    def test_files_are_private(self):
        for name in ("env.json", "tenants.conf", "aws-hybrid.conf", "openrc-alpha-member",
                     "secrets/admin-password"):
            mode = os.stat(os.path.join(STATE_DIR, name)).st_mode & 0o777
            self.assertEqual(mode, 0o600, name)

    def test_extra_keystone_short_tokens_and_restart(self):
        port = free_port()
        out_dir = os.path.join(STATE_DIR, f"extra-keystone-{port}")
        script = os.path.join(TOOLS_DIR, "harness", "extra-keystone.sh")
        url = f"http://127.0.0.1:{port}"

        def start():
            result = subprocess.run([script, STATE_DIR, str(port), out_dir, "5"],
                                    capture_output=True, text=True, timeout=120, check=True)
            lines = result.stdout.splitlines()
            self.assertEqual(len(lines), 1, result.stdout)
            return int(lines[0])

        def stop(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if not process_running(pid):
                    return
                time.sleep(0.1)
            self.fail(f"extra Keystone {pid} still running 10 s after SIGTERM")

        pid = start()
        try:
            member = self.env["projects"]["alpha"]["member"]
            token, body = self.issue_token(member["username"], member["password"], "alpha", url)
            issued = time.monotonic()
            # Shared keys and database: the main Keystone accepts the token.
            self.assertEqual(self.validate(token), 200)
            time.sleep(max(0.0, issued + 6.5 - time.monotonic()))
            self.assertEqual(self.validate(token), 404)
            self.assertEqual(self.validate(token, url), 404)

            stop(pid)
            pid = start()
            self.assertEqual(self.http.get(url + "/v3", timeout=10).status_code, 200)
        finally:
            if process_running(pid):
                stop(pid)


if __name__ == "__main__":
    unittest.main()
