"""Tests of tools/fault_proxy.py in front of a real moto server.

Run with the harness venv's python (it needs moto and boto3):
    <venv>/bin/python -m unittest tools/tests/test_fault_proxy.py
The test starts its own moto server and proxy on free loopback ports and
stops both at the end.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

# Set before boto3 is imported, so that no client looks beyond loopback.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE_KEY = ("AKIAFAULTPROXYTEST00", "fault-proxy-test-not-a-secret")
# moto picks the emulated service from the credential scope of the
# Authorization header, so hand-made requests carry one for EC2. moto does
# not check signatures by default.
EC2_QUERY_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFAULTPROXYTEST00/20250101/us-east-1/ec2/"
                     "aws4_request, SignedHeaders=host, Signature=00",
}
START_TIMEOUT_SECONDS = 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def start_moto():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, os.path.join(TOOLS_DIR, "moto_server.py"), "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with opener.open(url + "/moto-api/", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"moto did not start on {url}")
        time.sleep(0.1)


def start_proxy(upstream_url):
    """Start the proxy on port 0 and return (process, proxy URL)."""
    process = subprocess.Popen(
        [sys.executable, os.path.join(TOOLS_DIR, "fault_proxy.py"),
         "--listen", "127.0.0.1:0", "--upstream", upstream_url, "--quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    first_line = process.stdout.readline().strip()
    prefix = "listening on "
    if not first_line.startswith(prefix):
        stop_process(process)
        raise RuntimeError(f"unexpected first line from fault_proxy.py: {first_line!r}")
    return process, "http://" + first_line[len(prefix):]


class FaultProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto, cls.moto_url = start_moto()
        try:
            cls.proxy, cls.proxy_url = start_proxy(cls.moto_url)
        except Exception:
            stop_process(cls.moto)
            raise
        cls.proxy_port = int(cls.proxy_url.rsplit(":", 1)[1])

    @classmethod
    def tearDownClass(cls):
        stop_process(cls.proxy)
        stop_process(cls.moto)

    def setUp(self):
        self.control("POST", "reset")

    def control(self, method, name, body=None):
        """Call the control API and return (status, decoded JSON)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, "/__fault__/" + name, body=payload,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    def add_rule(self, rule):
        status, body = self.control("POST", "rules", rule)
        self.assertEqual(status, 201, body)
        return body

    def client(self, service, url=None):
        return boto3.client(
            service,
            endpoint_url=url or self.proxy_url,
            region_name="us-east-1",
            aws_access_key_id=FAKE_KEY[0],
            aws_secret_access_key=FAKE_KEY[1],
            # botocore's max_attempts counts retries, but total_max_attempts
            # counts every attempt, so 1 means a single request with no retry.
            config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    def test_error_rule_applies_count_times(self):
        ec2 = self.client("ec2")
        self.add_rule({"action": "DescribeInstances", "count": 2, "status": 503,
                       "code": "RequestLimitExceeded", "message": "Request limit exceeded."})
        for attempt in (1, 2):
            with self.assertRaises(ClientError, msg=f"call {attempt}") as caught:
                ec2.describe_instances()
            error = caught.exception.response
            self.assertEqual(error["Error"]["Code"], "RequestLimitExceeded")
            self.assertEqual(error["Error"]["Message"], "Request limit exceeded.")
            self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 503)
        self.assertIn("Reservations", ec2.describe_instances())
        self.assertEqual(self.control("GET", "rules")[1], [])

        calls = self.control("GET", "calls")[1]
        self.assertEqual([c["action"] for c in calls], ["DescribeInstances"] * 3)
        self.assertEqual([c["status"] for c in calls], [503, 503, 200])
        self.assertEqual([c["fault"] for c in calls], ["error", "error", None])

    def test_error_rule_without_count_applies_always(self):
        ec2 = self.client("ec2")
        self.add_rule({"action": "DescribeRegions", "count": None, "status": 500,
                       "code": "InternalError", "message": "boom"})
        for _ in range(3):
            with self.assertRaises(ClientError):
                ec2.describe_regions()
        self.assertEqual(len(self.control("GET", "rules")[1]), 1)

    def test_error_body_is_ec2_xml(self):
        self.add_rule({"action": "DescribeVpcs", "count": 1, "status": 400,
                       "code": "Bad<Code>", "message": "a & b"})
        connection = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
        try:
            connection.request("POST", "/", body="Action=DescribeVpcs&Version=2016-11-15",
                               headers=EC2_QUERY_HEADERS)
            response = connection.getresponse()
            body = response.read().decode()
        finally:
            connection.close()
        self.assertEqual(response.status, 400)
        self.assertEqual(response.getheader("Content-Type"), "text/xml")
        self.assertTrue(body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Errors>'))
        self.assertIn("<Code>Bad&lt;Code&gt;</Code>", body)
        self.assertIn("<Message>a &amp; b</Message>", body)
        self.assertRegex(body, r"<RequestID>[0-9a-f-]{36}</RequestID></Response>$")

    def test_params_match_exact_and_wildcard(self):
        ec2 = self.client("ec2")
        instance_id = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]
        self.add_rule({"action": "DescribeInstances", "params": {"InstanceId.1": "i-0000000000"},
                       "status": 503, "code": "Exact", "message": "exact"})
        self.add_rule({"action": "DescribeInstances", "params": {"InstanceId.1": "*"}, "count": 1,
                       "status": 503, "code": "Wildcard", "message": "any id"})

        # No InstanceId.1 field: neither rule matches.
        ec2.describe_instances()
        with self.assertRaises(ClientError) as caught:
            ec2.describe_instances(InstanceIds=[instance_id])
        self.assertEqual(caught.exception.response["Error"]["Code"], "Wildcard")
        with self.assertRaises(ClientError) as caught:
            ec2.describe_instances(InstanceIds=["i-0000000000"])
        self.assertEqual(caught.exception.response["Error"]["Code"], "Exact")
        # The wildcard rule is used up, and the exact rule does not match this id.
        ec2.describe_instances(InstanceIds=[instance_id])

    def test_rewrite_rule_changes_upstream_body(self):
        ec2 = self.client("ec2")
        instance_id = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]

        def state():
            reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
            return reservations[0]["Instances"][0]["State"]["Name"]

        self.assertEqual(state(), "running")
        self.add_rule({"action": "DescribeInstances", "count": 1, "rewrite": [
            {"pattern": "<name>running</name>", "replacement": "<name>pending-longer</name>"},
            {"pattern": "<name>pending-longer</name>", "replacement": "<name>pending</name>"},
        ]})
        self.assertEqual(state(), "pending")
        self.assertEqual(state(), "running")
        calls = self.control("GET", "calls")[1]
        self.assertEqual(calls[-2]["fault"], "rewrite")
        self.assertEqual(calls[-2]["status"], 200)
        self.assertEqual(calls[-2]["params"]["InstanceId.1"], instance_id)

    def test_rewrite_rule_with_group_reference(self):
        sts = self.client("sts")
        self.add_rule({"action": "GetCallerIdentity", "count": 1, "rewrite": [
            {"pattern": r"<Account>(\d+)</Account>", "replacement": r"<Account>9\1</Account>"}]})
        account = sts.get_caller_identity()["Account"]
        self.assertEqual(account, "9" + sts.get_caller_identity()["Account"])

    def test_calls_log_omits_secrets(self):
        iam = self.client("iam")
        iam.create_user(UserName="log-check")
        iam.create_login_profile(UserName="log-check", Password="Do-not-log-1")
        status, calls = self.control("GET", "calls")
        self.assertEqual(status, 200)
        self.assertEqual([c["action"] for c in calls], ["CreateUser", "CreateLoginProfile"])
        self.assertEqual(calls[1]["params"]["Password"], "<redacted>")
        text = json.dumps(calls)
        self.assertNotIn("Do-not-log-1", text)
        self.assertNotIn("Authorization", text)
        self.assertNotIn("AWS4-HMAC-SHA256", text)

    def test_reset_clears_rules_and_calls(self):
        self.add_rule({"action": "DescribeRegions", "status": 500, "code": "X", "message": "x"})
        self.client("ec2", self.moto_url).describe_regions()
        with self.assertRaises(ClientError):
            self.client("ec2").describe_regions()
        self.assertEqual(self.control("POST", "reset"), (200, {"reset": True}))
        self.assertEqual(self.control("GET", "rules")[1], [])
        self.assertEqual(self.control("GET", "calls")[1], [])
        self.client("ec2").describe_regions()

    def test_invalid_rules_are_rejected(self):
        invalid = [
            {},
            {"action": "DescribeInstances"},
            {"action": "DescribeInstances", "status": 200, "code": "X"},
            {"action": "DescribeInstances", "status": 503},
            {"action": "DescribeInstances", "status": 503, "code": "X", "count": 0},
            {"action": "DescribeInstances", "status": 503, "code": "X", "params": {"A": 1}},
            {"action": "DescribeInstances", "rewrite": [{"pattern": "("}]},
            {"action": "DescribeInstances", "rewrite": [], "status": 503},
            {"action": "DescribeInstances", "status": 503, "code": "X", "colour": "red"},
        ]
        for rule in invalid:
            status, body = self.control("POST", "rules", rule)
            self.assertEqual(status, 400, rule)
            self.assertIn("error", body)
        self.assertEqual(self.control("GET", "rules")[1], [])
        self.assertEqual(self.control("GET", "nothing-here")[0], 404)

    def test_keep_alive_connection_is_reused(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
        try:
            sockets = set()
            for body in ("Action=DescribeRegions&Version=2016-11-15",
                         "Action=DescribeAvailabilityZones&Version=2016-11-15"):
                connection.request("POST", "/", body=body, headers=EC2_QUERY_HEADERS)
                response = connection.getresponse()
                payload = response.read()
                self.assertEqual(response.status, 200)
                self.assertEqual(int(response.getheader("Content-Length")), len(payload))
                self.assertFalse(response.will_close)
                sockets.add(id(connection.sock))
            connection.request("GET", "/__fault__/calls")
            response = connection.getresponse()
            calls = json.loads(response.read())
            sockets.add(id(connection.sock))
        finally:
            connection.close()
        self.assertEqual(len(sockets), 1)
        self.assertEqual([c["action"] for c in calls], ["DescribeRegions", "DescribeAvailabilityZones"])

    def test_s3_bodies_and_head_pass_through(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="fault-proxy-test")
        data = os.urandom(300_000)
        s3.put_object(Bucket="fault-proxy-test", Key="blob", Body=data)
        self.assertEqual(s3.get_object(Bucket="fault-proxy-test", Key="blob")["Body"].read(), data)
        head = s3.head_object(Bucket="fault-proxy-test", Key="blob")
        self.assertEqual(head["ContentLength"], len(data))
        calls = self.control("GET", "calls")[1]
        self.assertEqual([c["method"] for c in calls], ["PUT", "PUT", "GET", "HEAD"])
        self.assertEqual({c["action"] for c in calls}, {None})

    def test_chunked_request_body_is_forwarded(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
        try:
            chunks = iter([b"Action=DescribeRegions", b"&Version=2016-11-15"])
            connection.request("POST", "/", body=chunks, encode_chunked=True,
                               headers={**EC2_QUERY_HEADERS, "Transfer-Encoding": "chunked"})
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        self.assertEqual(response.status, 200)
        self.assertIn(b"<regionName>us-east-1</regionName>", payload)
        self.assertEqual(self.control("GET", "calls")[1][0]["action"], "DescribeRegions")

    def test_action_from_query_string(self):
        self.add_rule({"action": "GetCallerIdentity", "count": 1, "status": 403,
                       "code": "AccessDenied", "message": "no"})
        connection = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
        try:
            connection.request("GET", "/?Action=GetCallerIdentity&Version=2011-06-15")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        self.assertEqual(response.status, 403)


class FaultProxyStandaloneTest(unittest.TestCase):
    def test_upstream_down_returns_502(self):
        process, url = start_proxy(f"http://127.0.0.1:{free_port()}")
        try:
            port = int(url.rsplit(":", 1)[1])
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/", body="Action=DescribeRegions",
                               headers=EC2_QUERY_HEADERS)
            response = connection.getresponse()
            response.read()
            connection.close()
            self.assertEqual(response.status, 502)
        finally:
            stop_process(process)

    def test_non_loopback_addresses_are_rejected(self):
        for args in (["--listen", "0.0.0.0:0", "--upstream", "http://127.0.0.1:1"],
                     ["--listen", "127.0.0.1:0", "--upstream", "http://192.0.2.1:80"]):
            result = subprocess.run(
                [sys.executable, os.path.join(TOOLS_DIR, "fault_proxy.py"), *args],
                capture_output=True, text=True, timeout=30,
            )
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn("not a loopback address", result.stderr)
            self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
