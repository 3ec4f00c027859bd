"""The emulator's RunInstances honours ClientToken as AWS does (tools/emulator/client_tokens.py).

Run with the harness venv's python:
    <venv>/bin/python -m unittest tools/tests/test_emulator_client_tokens.py
The test class starts its own emulator on a free loopback port.
"""

import os
import sys
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_support import MOTO_ACCOUNT_HEADER, SEED_KEY, Emulator  # noqa: E402

import boto3  # noqa: E402  (imported after emulator_support, which keeps boto3 on loopback)
import botocore.config  # noqa: E402

# Any string works as an AMI ID in moto unless MOTO_ENABLE_AMI_VALIDATION is set.
AMI_ID = "ami-12c6146b"
ALPHA = "111111111111"
BETA = "222222222222"


def new_token():
    return f"token-{uuid.uuid4()}"


class RunInstancesClientToken(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator()
        cls.addClassCleanup(cls.emulator.stop)
        cls.alpha = cls.emulator.client("ec2", account=ALPHA)
        cls.beta = cls.emulator.client("ec2", account=BETA)

    def launch(self, client, token=None, count=1, instance_type="t3.micro", tags=None):
        kwargs = {"ImageId": AMI_ID, "MinCount": count, "MaxCount": count,
                  "InstanceType": instance_type}
        if token is not None:
            kwargs["ClientToken"] = token
        if tags is not None:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tags}]
        return client.run_instances(**kwargs)

    @staticmethod
    def instance_ids(reservation):
        return [i["InstanceId"] for i in reservation["Instances"]]

    @staticmethod
    def instances_with_token(client, token):
        # Matched here rather than with the emulator's client-token filter, which has a test
        # of its own below.
        described = client.describe_instances()
        return [i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]
                if i.get("ClientToken") == token]

    def client_in_region(self, account, region):
        client = boto3.session.Session().client(
            "ec2", endpoint_url=self.emulator.url, region_name=region,
            aws_access_key_id=SEED_KEY[0], aws_secret_access_key=SEED_KEY[1],
            config=botocore.config.Config(retries={"max_attempts": 1}))

        def add_account_header(request, **_):
            request.headers[MOTO_ACCOUNT_HEADER] = account

        client.meta.events.register("before-sign", add_account_header)
        return client

    def test_same_token_returns_first_reservation(self):
        token = new_token()
        first = self.launch(self.alpha, token, count=2)
        retry = self.launch(self.alpha, token, count=2)

        self.assertEqual(retry["ReservationId"], first["ReservationId"])
        self.assertEqual(self.instance_ids(retry), self.instance_ids(first))
        self.assertCountEqual(self.instances_with_token(self.alpha, token),
                              self.instance_ids(first))

    def test_retry_leaves_instance_alone(self):
        token = new_token()
        first = self.launch(self.alpha, token)
        instance_id = self.instance_ids(first)[0]
        self.alpha.stop_instances(InstanceIds=[instance_id])

        retry = self.launch(self.alpha, token)

        self.assertEqual(self.instance_ids(retry), [instance_id])
        described = self.alpha.describe_instances(InstanceIds=[instance_id])
        state = described["Reservations"][0]["Instances"][0]["State"]["Name"]
        self.assertEqual(state, "stopped")

    def test_same_token_other_parameters_rejected(self):
        token = new_token()
        self.launch(self.alpha, token, tags=[{"Key": "request", "Value": "one"}])

        for changed in ({"instance_type": "t3.large"}, {"count": 2},
                        {"tags": [{"Key": "request", "Value": "two"}]}):
            with self.subTest(changed=changed):
                arguments = {"tags": [{"Key": "request", "Value": "one"}], **changed}
                with self.assertRaises(ClientError) as raised:
                    self.launch(self.alpha, token, **arguments)
                error = raised.exception.response
                self.assertEqual(error["Error"]["Code"], "IdempotentParameterMismatch")
                self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(len(self.instances_with_token(self.alpha, token)), 1)

    def test_tokens_are_per_account(self):
        token = new_token()
        in_alpha = self.launch(self.alpha, token)
        in_beta = self.launch(self.beta, token)

        self.assertNotEqual(self.instance_ids(in_alpha), self.instance_ids(in_beta))
        self.assertEqual(self.instances_with_token(self.beta, token), self.instance_ids(in_beta))

    def test_tokens_are_per_region(self):
        token = new_token()
        west = self.client_in_region(ALPHA, "us-west-2")
        in_east = self.launch(self.alpha, token)
        in_west = self.launch(west, token)

        self.assertNotEqual(self.instance_ids(in_east), self.instance_ids(in_west))
        self.assertEqual(self.instances_with_token(west, token), self.instance_ids(in_west))

    def test_client_token_filter_finds_launch(self):
        token = new_token()
        launched = self.launch(self.alpha, token, count=2)
        self.launch(self.alpha, new_token())

        def filtered(value):
            described = self.alpha.describe_instances(
                Filters=[{"Name": "client-token", "Values": [value]}])
            return [i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]]

        self.assertCountEqual(filtered(token), self.instance_ids(launched))
        self.assertEqual(filtered(new_token()), [])

    def test_launches_without_token_are_independent(self):
        first = self.launch(self.alpha)
        second = self.launch(self.alpha)

        self.assertNotEqual(self.instance_ids(first), self.instance_ids(second))

    def test_reset_forgets_tokens(self):
        token = new_token()
        first = self.launch(self.beta, token)
        status, _ = self.emulator.http("POST", "/moto-api/reset")
        self.assertEqual(status, 200)

        again = self.launch(self.beta, token)

        self.assertNotEqual(self.instance_ids(again), self.instance_ids(first))


if __name__ == "__main__":
    unittest.main()
