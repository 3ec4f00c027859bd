"""Tests of the emulator's STS behaviour (tools/moto_server.py, tools/emulator/).

Run with the harness venv's python (it needs moto, boto3 and PyJWT):
    <venv>/bin/python -m unittest tools/tests/test_emulator_sts.py
Each test class starts its own emulator on a free loopback port, and an
OIDC issuer (discovery documents and JWKS) on another, and stops both at
the end. ExpiryTest waits about 4 s for credentials to expire.
"""

import datetime
import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.parse
from unittest import mock

import jwt
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# emulator_support sits next to this file, which is not on sys.path when the
# test runs by file path instead of through discovery.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_support import (  # noqa: E402
    LOOPBACK_OPENER, TOOLS_DIR, Emulator, OidcIssuers, free_port, trust_policy)

ALPHA = "111111111111"
BETA = "222222222222"
GAMMA = "333333333333"
# A Keystone project ID, the external ID that aws-hybrid sends.
PROJECT_ID = "4f6c1b2e9a7d4c3e8b5a0f1e2d3c4b5a"
AUDIENCE = "aws-hybrid"
SUBJECT = "project:alpha"
# Any string works as an AMI ID in moto unless MOTO_ENABLE_AMI_VALIDATION is set.
AMI_ID = "ami-12c6146b"
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
JWKS_UNAVAILABLE_MESSAGE = (
    "Couldn't retrieve verification key from your identity provider,  "
    "please reference AssumeRoleWithWebIdentity documentation for requirements"
)


def role_arn(account, name):
    return f"arn:aws:iam::{account}:role/{name}"


def provider_arn(account, issuer):
    return f"arn:aws:iam::{account}:oidc-provider/{issuer.split('://', 1)[1]}"


def trust_statement(principal, action="sts:AssumeRole", condition=None, effect="Allow"):
    statement = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key, kid, algorithm):
    converter = jwt.algorithms.RSAAlgorithm if algorithm == "RS256" else jwt.algorithms.ECAlgorithm
    jwk = converter.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg=algorithm, use="sig")
    return jwk


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class EmulatorTestCase(unittest.TestCase):
    emulator = None
    # (access key ID, validate) -> STS client, set up by setUpClass. Creating
    # a boto3 client takes about 0.1 s.
    sts_clients = None

    def assert_client_error(self, call, code, status):
        """Run call, check that it fails with code and HTTP status, and return the error."""
        with self.assertRaises(ClientError) as raised:
            call()
        response = raised.exception.response
        self.assertEqual(response["Error"]["Code"], code, response["Error"].get("Message"))
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], status)
        return response["Error"]

    def sts_for(self, key, validate=True):
        if (key[0], validate) not in self.sts_clients:
            self.sts_clients[key[0], validate] = self.emulator.client(
                "sts", access_key=key[0], secret_key=key[1], validate=validate)
        return self.sts_clients[key[0], validate]


class AssumeRoleTest(EmulatorTestCase):
    """AssumeRole, AssumeRoleWithWebIdentity and the call log, with the default lifetime."""

    @classmethod
    def setUpClass(cls):
        cls.sts_clients = {}
        cls.emulator = Emulator()
        cls.addClassCleanup(cls.emulator.stop)
        cls.issuers = OidcIssuers()
        cls.addClassCleanup(cls.issuers.stop)

        cls.service_key = cls.emulator.create_user_key(ALPHA, "service")
        cls.other_key = cls.emulator.create_user_key(ALPHA, "other")
        cls.gamma_key = cls.emulator.create_user_key(GAMMA, "intruder")
        cls.create_roles()
        cls.create_identity_providers()
        ec2 = cls.emulator.client("ec2", account=BETA)
        reservation = ec2.run_instances(ImageId=AMI_ID, MinCount=1, MaxCount=1)
        cls.beta_instance_id = reservation["Instances"][0]["InstanceId"]

    @classmethod
    def create_roles(cls):
        iam = cls.emulator.client("iam", account=BETA)
        alpha_root = {"AWS": f"arn:aws:iam::{ALPHA}:root"}
        roles = {
            "project": trust_policy(trust_statement(
                alpha_root, condition={"StringEquals": {"sts:ExternalId": PROJECT_ID}})),
            "service-user-only": trust_policy(trust_statement(
                {"AWS": f"arn:aws:iam::{ALPHA}:user/service"})),
            "any-project": trust_policy(trust_statement(
                "*", condition={"StringLike": {"sts:ExternalId": "project-*"}})),
            "deny-blocked": trust_policy(
                trust_statement({"AWS": ALPHA}),
                trust_statement({"AWS": ALPHA}, effect="Deny",
                                condition={"StringEquals": {"sts:RoleSessionName": "blocked"}})),
            "open": trust_policy(trust_statement(alpha_root)),
            "chained": trust_policy(trust_statement({"AWS": role_arn(BETA, "open")})),
        }
        for name, document in roles.items():
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
        iam.create_role(RoleName="long", AssumeRolePolicyDocument=roles["open"],
                        MaxSessionDuration=7200)

    @classmethod
    def create_identity_providers(cls):
        cls.rsa_key = rsa_key()
        cls.ec_key = ec.generate_private_key(ec.SECP256R1())
        rsa_jwks = {"keys": [public_jwk(cls.rsa_key, "rsa-1", "RS256")]}
        cls.rsa_issuer = cls.issuers.add_issuer("rsa", rsa_jwks)
        cls.ec_issuer = cls.issuers.add_issuer(
            "ec", {"keys": [public_jwk(cls.ec_key, "ec-1", "ES256")]})
        # Its discovery document points at a JWKS on "localhost", which the
        # emulator must reject, because only 127.0.0.1 URLs are allowed.
        cls.off_loopback_jwks_path = "/off-loopback/jwks.json"
        cls.off_loopback_issuer = cls.issuers.add_issuer(
            "off-loopback", rsa_jwks,
            jwks_uri=f"http://localhost:{cls.issuers.port}{cls.off_loopback_jwks_path}")
        # Registered, but nothing listens on its port.
        cls.unreachable_issuer = f"http://127.0.0.1:{free_port()}/gone"

        iam = cls.emulator.client("iam", account=BETA)
        for issuer in (cls.rsa_issuer, cls.ec_issuer, cls.off_loopback_issuer,
                       cls.unreachable_issuer):
            iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[AUDIENCE],
                                                ThumbprintList=["0" * 40])
        rsa_id = cls.rsa_issuer.split("://", 1)[1]
        ec_id = cls.ec_issuer.split("://", 1)[1]
        iam.create_role(RoleName="web", AssumeRolePolicyDocument=trust_policy(trust_statement(
            {"Federated": provider_arn(BETA, cls.rsa_issuer)},
            action="sts:AssumeRoleWithWebIdentity",
            condition={"StringEquals": {f"{rsa_id}:sub": SUBJECT, f"{rsa_id}:aud": AUDIENCE}})))
        iam.create_role(RoleName="web-ec", AssumeRolePolicyDocument=trust_policy(trust_statement(
            {"Federated": provider_arn(BETA, cls.ec_issuer)},
            action="sts:AssumeRoleWithWebIdentity",
            condition={"StringLike": {f"{ec_id}:sub": "project:*"}})))
        broken_providers = [provider_arn(BETA, issuer) for issuer in
                            (cls.off_loopback_issuer, cls.unreachable_issuer)]
        iam.create_role(RoleName="web-broken-issuers", AssumeRolePolicyDocument=trust_policy(
            trust_statement({"Federated": broken_providers},
                            action="sts:AssumeRoleWithWebIdentity")))

    def assert_no_secrets(self, text, where, *credentials_and_tokens):
        """Check that text contains no secret key, session token or web identity token.

        The failure message names the kind of secret but never its value.
        """
        for item in credentials_and_tokens:
            if isinstance(item, str):
                self.assertFalse(item in text, f"a web identity token appears in {where}")
                continue
            self.assertFalse(item["SecretAccessKey"] in text,
                             f"a secret access key appears in {where}")
            self.assertFalse(item["SessionToken"] in text, f"a session token appears in {where}")

    @staticmethod
    def instance_ids(ec2):
        reservations = ec2.describe_instances()["Reservations"]
        return [instance["InstanceId"] for reservation in reservations
                for instance in reservation["Instances"]]

    def assume(self, key, role, account=BETA, session_name="aws-hybrid", **parameters):
        return self.sts_for(key, validate=False).assume_role(
            RoleArn=role_arn(account, role), RoleSessionName=session_name, **parameters)

    def mint_token(self, signing_key=None, kid="rsa-1", algorithm="RS256", **claims):
        """Sign a JWT for the RSA issuer. A claim given as None is left out."""
        now = int(time.time())
        payload = {"iss": self.rsa_issuer, "sub": SUBJECT, "aud": AUDIENCE,
                   "iat": now, "exp": now + 300}
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, signing_key or self.rsa_key, algorithm=algorithm,
                          headers={"kid": kid})

    def assume_web(self, token, role="web", account=BETA, session_name="aws-hybrid"):
        # An unsigned call, as the SDKs send it, so the key does not matter.
        sts = self.sts_for(("AKIAUNSIGNEDWEBCALL0", "unused"), validate=False)
        return sts.assume_role_with_web_identity(
            RoleArn=role_arn(account, role), RoleSessionName=session_name,
            WebIdentityToken=token)

    # AssumeRole with ExternalId and principals

    def test_right_external_id_acts_in_role_account(self):
        requested = datetime.datetime.now(datetime.timezone.utc)
        response = self.assume(self.service_key, "project", ExternalId=PROJECT_ID,
                               DurationSeconds=900)

        credentials = response["Credentials"]
        self.assertTrue(credentials["AccessKeyId"].startswith("ASIA"))
        lifetime = (credentials["Expiration"] - requested).total_seconds()
        self.assertAlmostEqual(lifetime, 900, delta=30)
        self.assertEqual(response["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{BETA}:assumed-role/project/aws-hybrid")

        identity = self.emulator.credential_client("sts", credentials).get_caller_identity()
        self.assertEqual(identity["Account"], BETA)
        self.assertEqual(identity["Arn"], f"arn:aws:sts::{BETA}:assumed-role/project/aws-hybrid")
        self.assertIn(self.beta_instance_id,
                      self.instance_ids(self.emulator.credential_client("ec2", credentials)))
        alpha_ec2 = self.emulator.client("ec2", access_key=self.service_key[0],
                                         secret_key=self.service_key[1])
        self.assertNotIn(self.beta_instance_id, self.instance_ids(alpha_ec2))

    def test_wrong_external_id_denied(self):
        error = self.assert_client_error(
            lambda: self.assume(self.service_key, "project", ExternalId="another-project"),
            "AccessDenied", 403)
        self.assertEqual(
            error["Message"],
            f"User: arn:aws:iam::{ALPHA}:user/service is not authorized to perform: "
            f"sts:AssumeRole on resource: {role_arn(BETA, 'project')}")

    def test_missing_external_id_denied(self):
        error = self.assert_client_error(
            lambda: self.assume(self.service_key, "project"), "AccessDenied", 403)
        self.assertIn("is not authorized to perform: sts:AssumeRole", error["Message"])

    def test_untrusted_account_denied(self):
        error = self.assert_client_error(
            lambda: self.assume(self.gamma_key, "project", ExternalId=PROJECT_ID),
            "AccessDenied", 403)
        self.assertEqual(
            error["Message"],
            f"User: arn:aws:iam::{GAMMA}:user/intruder is not authorized to perform: "
            f"sts:AssumeRole on resource: {role_arn(BETA, 'project')}")

    def test_user_principal_trusts_one_user(self):
        response = self.assume(self.service_key, "service-user-only")
        self.assertIn("AccessKeyId", response["Credentials"])
        self.assert_client_error(lambda: self.assume(self.other_key, "service-user-only"),
                                 "AccessDenied", 403)

    def test_wildcard_principal_with_string_like(self):
        response = self.assume(self.gamma_key, "any-project", ExternalId="project-42")
        self.assertIn("AccessKeyId", response["Credentials"])
        self.assert_client_error(
            lambda: self.assume(self.gamma_key, "any-project", ExternalId="tenant-42"),
            "AccessDenied", 403)

    def test_deny_statement_wins(self):
        response = self.assume(self.service_key, "deny-blocked", session_name="allowed")
        self.assertIn("AccessKeyId", response["Credentials"])
        self.assert_client_error(
            lambda: self.assume(self.service_key, "deny-blocked", session_name="blocked"),
            "AccessDenied", 403)

    def test_unknown_role_denied(self):
        error = self.assert_client_error(
            lambda: self.assume(self.service_key, "no-such-role", ExternalId=PROJECT_ID),
            "AccessDenied", 403)
        self.assertTrue(error["Message"].endswith(role_arn(BETA, "no-such-role")))

    def test_role_principal_trusts_its_sessions(self):
        open_session = self.assume(self.service_key, "open")["Credentials"]
        chained_sts = self.emulator.credential_client("sts", open_session)
        response = chained_sts.assume_role(RoleArn=role_arn(BETA, "chained"),
                                           RoleSessionName="chained")
        self.assertEqual(response["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{BETA}:assumed-role/chained/chained")

        project_session = self.assume(self.service_key, "project",
                                      ExternalId=PROJECT_ID)["Credentials"]
        project_sts = self.emulator.credential_client("sts", project_session)
        error = self.assert_client_error(
            lambda: project_sts.assume_role(RoleArn=role_arn(BETA, "chained"),
                                            RoleSessionName="chained"),
            "AccessDenied", 403)
        self.assertTrue(error["Message"].startswith(
            f"User: arn:aws:sts::{BETA}:assumed-role/project/aws-hybrid is not authorized"))

    # Parameter validation

    def test_duration_out_of_range(self):
        cases = [
            ("project", 899, "Member must have value greater than or equal to 900"),
            ("project", 3601,
             "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
            ("long", 7201,
             "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
            ("long", 43201, "Member must have value less than or equal to 43200"),
        ]
        for role, duration, message in cases:
            with self.subTest(role=role, duration=duration):
                error = self.assert_client_error(
                    lambda: self.assume(self.service_key, role, ExternalId=PROJECT_ID,
                                        DurationSeconds=duration),
                    "ValidationError", 400)
                self.assertIn(message, error["Message"])

    def test_duration_within_range(self):
        for role, duration in (("project", 900), ("project", 3600), ("long", 7200)):
            with self.subTest(role=role, duration=duration):
                response = self.assume(self.service_key, role, ExternalId=PROJECT_ID,
                                       DurationSeconds=duration)
                self.assertIn("AccessKeyId", response["Credentials"])

    def test_session_name_invalid(self):
        cases = [
            ("a", "Member must have length greater than or equal to 2"),
            ("x" * 65, "Member must have length less than or equal to 64"),
            ("has space", r"Member must satisfy regular expression pattern: [\w+=,.@-]*"),
            ("slash/name", r"Member must satisfy regular expression pattern: [\w+=,.@-]*"),
            ("ünicode", r"Member must satisfy regular expression pattern: [\w+=,.@-]*"),
        ]
        for name, message in cases:
            with self.subTest(name=name):
                error = self.assert_client_error(
                    lambda: self.assume(self.service_key, "open", session_name=name),
                    "ValidationError", 400)
                self.assertIn(f"at 'roleSessionName' failed to satisfy constraint: {message}",
                              error["Message"])

    def test_session_name_allowed_characters(self):
        response = self.assume(self.service_key, "open", session_name="Aa0_+=,.@-" + "x" * 54)
        self.assertIn("AccessKeyId", response["Credentials"])

    def test_external_id_invalid(self):
        cases = [
            ("x", "Member must have length greater than or equal to 2"),
            ("x" * 1225, "Member must have length less than or equal to 1224"),
            ("with space", r"Member must satisfy regular expression pattern: [\w+=,.@:\/-]*"),
        ]
        for external_id, message in cases:
            with self.subTest(external_id=external_id[:20]):
                error = self.assert_client_error(
                    lambda: self.assume(self.service_key, "open", ExternalId=external_id),
                    "ValidationError", 400)
                self.assertIn(f"at 'externalId' failed to satisfy constraint: {message}",
                              error["Message"])

    def test_external_id_allowed_characters(self):
        response = self.assume(self.service_key, "open", ExternalId="Aa0_+=,.@:/-")
        self.assertIn("AccessKeyId", response["Credentials"])

    def test_validation_errors_counted(self):
        error = self.assert_client_error(
            lambda: self.assume(self.service_key, "open", session_name="a", ExternalId="x",
                                DurationSeconds=1),
            "ValidationError", 400)
        self.assertTrue(error["Message"].startswith("3 validation errors detected: "),
                        error["Message"])

    # Session tokens of temporary credentials

    def test_session_token_required(self):
        credentials = self.assume(self.service_key, "open")["Credentials"]
        sts = self.emulator.credential_client("sts", credentials, with_session_token=False)
        self.assert_client_error(sts.get_caller_identity, "InvalidClientTokenId", 403)
        ec2 = self.emulator.credential_client("ec2", credentials, with_session_token=False)
        self.assert_client_error(ec2.describe_instances, "AuthFailure", 401)

        other = self.assume(self.service_key, "open")["Credentials"]
        mixed = dict(credentials, SessionToken=other["SessionToken"])
        sts = self.emulator.credential_client("sts", mixed)
        self.assert_client_error(sts.get_caller_identity, "InvalidClientTokenId", 403)

    # AssumeRoleWithWebIdentity

    def test_web_identity_valid_token(self):
        response = self.assume_web(self.mint_token())

        self.assertEqual(response["SubjectFromWebIdentityToken"], SUBJECT)
        self.assertEqual(response["Audience"], AUDIENCE)
        self.assertEqual(response["Provider"], self.rsa_issuer)
        self.assertEqual(response["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{BETA}:assumed-role/web/aws-hybrid")
        identity = self.emulator.credential_client(
            "sts", response["Credentials"]).get_caller_identity()
        self.assertEqual(identity["Account"], BETA)

    def test_web_identity_es256_with_string_like(self):
        token = self.mint_token(signing_key=self.ec_key, kid="ec-1", algorithm="ES256",
                                iss=self.ec_issuer, sub="project:beta")
        response = self.assume_web(token, role="web-ec")
        identity = self.emulator.credential_client(
            "sts", response["Credentials"]).get_caller_identity()
        self.assertEqual(identity["Arn"], f"arn:aws:sts::{BETA}:assumed-role/web-ec/aws-hybrid")

    def test_web_identity_wrong_audience(self):
        error = self.assert_client_error(
            lambda: self.assume_web(self.mint_token(aud="someone-else")),
            "InvalidIdentityToken", 400)
        self.assertEqual(error["Message"], "Incorrect token audience")

    def test_web_identity_missing_audience(self):
        error = self.assert_client_error(
            lambda: self.assume_web(self.mint_token(aud=None)), "InvalidIdentityToken", 400)
        self.assertEqual(error["Message"], "Missing a required claim: aud")

    def test_web_identity_unknown_issuer(self):
        issuer = f"{self.issuers.base_url}/unregistered"
        error = self.assert_client_error(
            lambda: self.assume_web(self.mint_token(iss=issuer)), "InvalidIdentityToken", 400)
        self.assertEqual(error["Message"],
                         f"No OpenIDConnect provider found in your account for {issuer}")

    def test_web_identity_provider_of_other_account(self):
        error = self.assert_client_error(
            lambda: self.assume_web(self.mint_token(), account=GAMMA),
            "InvalidIdentityToken", 400)
        self.assertTrue(error["Message"].startswith("No OpenIDConnect provider found"))

    def test_web_identity_bad_signature(self):
        token = self.mint_token(signing_key=rsa_key())
        self.assert_client_error(lambda: self.assume_web(token), "InvalidIdentityToken", 400)

    def test_web_identity_unknown_key_id(self):
        token = self.mint_token(kid="rsa-2")
        self.assert_client_error(lambda: self.assume_web(token), "InvalidIdentityToken", 400)

    def test_web_identity_unsupported_algorithm(self):
        token = self.mint_token(signing_key="a-shared-secret-of-32-bytes-long", algorithm="HS256")
        self.assert_client_error(lambda: self.assume_web(token), "InvalidIdentityToken", 400)

    def test_web_identity_not_a_jwt(self):
        self.assert_client_error(lambda: self.assume_web("not-a-jwt"),
                                 "InvalidIdentityToken", 400)

    def test_web_identity_expired_token(self):
        now = int(time.time())
        token = self.mint_token(iat=now - 600, exp=now - 60)
        error = self.assert_client_error(lambda: self.assume_web(token),
                                         "ExpiredTokenException", 400)
        self.assertTrue(error["Message"].startswith("Token expired: current date/time "),
                        error["Message"])

    def test_web_identity_not_yet_valid(self):
        now = int(time.time())
        token = self.mint_token(nbf=now + 3600, exp=now + 7200)
        self.assert_client_error(lambda: self.assume_web(token), "InvalidIdentityToken", 400)

    def test_web_identity_subject_not_trusted(self):
        error = self.assert_client_error(
            lambda: self.assume_web(self.mint_token(sub="project:beta")), "AccessDenied", 403)
        self.assertEqual(error["Message"],
                         "Not authorized to perform sts:AssumeRoleWithWebIdentity")

    def test_web_identity_role_of_other_provider(self):
        # Role "web-ec" trusts the EC issuer's provider only.
        self.assert_client_error(lambda: self.assume_web(self.mint_token(), role="web-ec"),
                                 "AccessDenied", 403)

    def test_web_identity_jwks_unreachable(self):
        token = self.mint_token(iss=self.unreachable_issuer)
        error = self.assert_client_error(lambda: self.assume_web(token, role="web-broken-issuers"),
                                         "InvalidIdentityToken", 400)
        self.assertEqual(error["Message"], JWKS_UNAVAILABLE_MESSAGE)

    def test_web_identity_jwks_off_loopback_rejected(self):
        token = self.mint_token(iss=self.off_loopback_issuer)
        error = self.assert_client_error(lambda: self.assume_web(token, role="web-broken-issuers"),
                                         "InvalidIdentityToken", 400)
        self.assertEqual(error["Message"], JWKS_UNAVAILABLE_MESSAGE)
        discovery_path = "/off-loopback/.well-known/openid-configuration"
        self.assertGreaterEqual(self.issuers.hits.get(discovery_path, 0), 1)
        self.assertEqual(self.issuers.hits.get(self.off_loopback_jwks_path, 0), 0)

    # Introspection endpoint

    def test_call_log_lists_calls_without_secrets(self):
        status, _ = self.emulator.http("POST", "/_aws_hybrid/sts-calls/reset")
        self.assertEqual(status, 204)
        issued = self.assume(self.service_key, "project", ExternalId=PROJECT_ID,
                             DurationSeconds=1800, session_name="project-session")
        self.assert_client_error(
            lambda: self.assume(self.service_key, "project", ExternalId="wrong-id"),
            "AccessDenied", 403)
        token = self.mint_token()
        web = self.assume_web(token, session_name="web-session")

        status, calls = self.emulator.http("GET", "/_aws_hybrid/sts-calls")
        self.assertEqual(status, 200)
        self.assertEqual([call["action"] for call in calls],
                         ["AssumeRole", "AssumeRole", "AssumeRoleWithWebIdentity"])
        success, denied, web_call = calls

        self.assertEqual(success["role_arn"], role_arn(BETA, "project"))
        self.assertEqual(success["external_id"], PROJECT_ID)
        self.assertEqual(success["role_session_name"], "project-session")
        self.assertEqual(success["duration_seconds"], 1800)
        self.assertEqual(success["outcome"], "success")
        self.assertIsNone(success["error_code"])
        self.assertEqual(success["access_key_id"], issued["Credentials"]["AccessKeyId"])
        self.assertEqual(success["caller_account"], ALPHA)
        self.assertEqual(success["caller_arn"], f"arn:aws:iam::{ALPHA}:user/service")
        self.assertEqual(parse_time(success["expiration"]), issued["Credentials"]["Expiration"])
        age = datetime.datetime.now(datetime.timezone.utc) - parse_time(success["time"])
        self.assertLess(abs(age.total_seconds()), 60)

        self.assertEqual(denied["external_id"], "wrong-id")
        self.assertEqual(denied["outcome"], "error")
        self.assertEqual(denied["error_code"], "AccessDenied")
        self.assertIsNone(denied["access_key_id"])
        self.assertIsNone(denied["duration_seconds"])

        self.assertEqual(web_call["outcome"], "success")
        self.assertEqual(web_call["token_subject"], SUBJECT)
        self.assertEqual(web_call["token_issuer"], self.rsa_issuer)
        self.assertEqual(web_call["token_audience"], AUDIENCE)
        self.assertEqual(web_call["role_session_name"], "web-session")
        self.assertIsNone(web_call["caller_account"])
        self.assertEqual(web_call["access_key_id"], web["Credentials"]["AccessKeyId"])

        self.assert_no_secrets(json.dumps(calls), "the call log",
                               issued["Credentials"], web["Credentials"], token)

        status, _ = self.emulator.http("POST", "/_aws_hybrid/sts-calls/reset")
        self.assertEqual(status, 204)
        self.assertEqual(self.emulator.http("GET", "/_aws_hybrid/sts-calls"), (200, []))

    def test_server_log_has_no_secrets(self):
        assumed = self.assume(self.service_key, "open")["Credentials"]
        token = self.mint_token()
        web = self.assume_web(token)["Credentials"]
        # A query string is logged with each request line unless the
        # launcher removes it, so send the session token in one.
        query = urllib.parse.urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15",
                                        "X-Amz-Security-Token": assumed["SessionToken"]})
        try:
            LOOPBACK_OPENER.open(f"{self.emulator.url}/?{query}", timeout=10).close()
        except urllib.error.HTTPError:
            pass  # Only the log line matters here, not moto's response.

        # werkzeug writes the request line after it sends the response.
        deadline = time.monotonic() + 5
        log = self.emulator.read_log()
        while '"GET /?' not in log and time.monotonic() < deadline:
            time.sleep(0.05)
            log = self.emulator.read_log()
        self.assertIn('"GET /?', log)
        self.assertIn("AssumeRoleWithWebIdentity of", log)
        self.assert_no_secrets(log, "the emulator log", assumed, web, token)
        # Request lines show query strings partly percent-encoded.
        self.assert_no_secrets(urllib.parse.unquote(log), "the decoded emulator log",
                               assumed, web, token)

    def test_call_log_wrong_methods_and_paths(self):
        status, _ = self.emulator.http("POST", "/_aws_hybrid/sts-calls")
        self.assertEqual(status, 405)
        status, _ = self.emulator.http("GET", "/_aws_hybrid/sts-calls/reset")
        self.assertEqual(status, 405)
        status, _ = self.emulator.http("GET", "/_aws_hybrid/unknown")
        self.assertEqual(status, 404)


class ExpiryTest(EmulatorTestCase):
    """Credentials expire after --sts-credential-lifetime seconds."""

    LIFETIME_SECONDS = 3

    @classmethod
    def setUpClass(cls):
        cls.sts_clients = {}
        cls.emulator = Emulator(
            extra_args=["--sts-credential-lifetime", str(cls.LIFETIME_SECONDS)])
        cls.addClassCleanup(cls.emulator.stop)
        cls.issuers = OidcIssuers()
        cls.addClassCleanup(cls.issuers.stop)
        cls.signing_key = rsa_key()
        cls.issuer = cls.issuers.add_issuer(
            "rsa", {"keys": [public_jwk(cls.signing_key, "rsa-1", "RS256")]})

        cls.service_key = cls.emulator.create_user_key(ALPHA, "service")
        iam = cls.emulator.client("iam", account=BETA)
        iam.create_open_id_connect_provider(Url=cls.issuer, ClientIDList=[AUDIENCE],
                                            ThumbprintList=["0" * 40])
        iam.create_role(RoleName="project", AssumeRolePolicyDocument=trust_policy(trust_statement(
            {"AWS": f"arn:aws:iam::{ALPHA}:root"},
            condition={"StringEquals": {"sts:ExternalId": PROJECT_ID}})))
        iam.create_role(RoleName="web", AssumeRolePolicyDocument=trust_policy(trust_statement(
            {"Federated": provider_arn(BETA, cls.issuer)},
            action="sts:AssumeRoleWithWebIdentity")))

    def test_credentials_expire_after_lifetime(self):
        issued_at = datetime.datetime.now(datetime.timezone.utc)
        assumed = self.sts_for(self.service_key).assume_role(
            RoleArn=role_arn(BETA, "project"), RoleSessionName="expiring",
            ExternalId=PROJECT_ID, DurationSeconds=3600)["Credentials"]
        now = int(time.time())
        token = jwt.encode({"iss": self.issuer, "sub": SUBJECT, "aud": AUDIENCE,
                            "iat": now, "exp": now + 300},
                           self.signing_key, algorithm="RS256", headers={"kid": "rsa-1"})
        web = self.emulator.client("sts").assume_role_with_web_identity(
            RoleArn=role_arn(BETA, "web"), RoleSessionName="expiring",
            WebIdentityToken=token, DurationSeconds=3600)["Credentials"]

        for credentials in (assumed, web):
            lifetime = (credentials["Expiration"] - issued_at).total_seconds()
            self.assertAlmostEqual(lifetime, self.LIFETIME_SECONDS, delta=2)
        sts = self.emulator.credential_client("sts", assumed)
        ec2 = self.emulator.credential_client("ec2", assumed)
        iam = self.emulator.credential_client("iam", assumed)
        self.assertEqual(sts.get_caller_identity()["Account"], BETA)
        ec2.describe_instances()

        # The only wait of these tests: until both credentials have expired.
        latest = max(assumed["Expiration"], web["Expiration"])
        delay = (latest - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        time.sleep(max(0.0, delay) + 0.5)

        error = self.assert_client_error(sts.get_caller_identity, "ExpiredToken", 403)
        self.assertEqual(error["Message"], EXPIRED_TOKEN_MESSAGE)
        error = self.assert_client_error(ec2.describe_instances, "RequestExpired", 400)
        self.assertEqual(error["Message"], "Request has expired.")
        error = self.assert_client_error(iam.list_roles, "ExpiredToken", 403)
        self.assertEqual(error["Message"], EXPIRED_TOKEN_MESSAGE)
        web_sts = self.emulator.credential_client("sts", web)
        self.assert_client_error(web_sts.get_caller_identity, "ExpiredToken", 403)


class LauncherOptionTest(unittest.TestCase):
    """Parsing of --sts-credential-lifetime and its environment variable."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, TOOLS_DIR)
        cls.addClassCleanup(sys.path.remove, TOOLS_DIR)
        import moto_server

        cls.launcher = moto_server

    def parse(self, argv, env_value=None):
        env = {} if env_value is None else {self.launcher.LIFETIME_ENV: env_value}
        with mock.patch.dict(os.environ, env, clear=False):
            if env_value is None:
                os.environ.pop(self.launcher.LIFETIME_ENV, None)
            return self.launcher.parse_args(argv)

    def test_lifetime_unset_by_default(self):
        self.assertIsNone(self.parse([]).sts_credential_lifetime)

    def test_lifetime_from_environment(self):
        self.assertEqual(self.parse([], env_value="7").sts_credential_lifetime, 7)

    def test_lifetime_option_overrides_environment(self):
        args = self.parse(["--sts-credential-lifetime", "5"], env_value="7")
        self.assertEqual(args.sts_credential_lifetime, 5)

    def test_lifetime_rejects_invalid_values(self):
        for value in ("0", "-3", "soon"):
            with self.subTest(value=value), mock.patch("sys.stderr"):
                with self.assertRaises(SystemExit):
                    self.parse(["--sts-credential-lifetime", value])


if __name__ == "__main__":
    unittest.main()
