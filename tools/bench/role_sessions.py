"""The role session benchmark: a request with a cached session beside a direct AssumeRole.

The harness project alpha is mapped to an IAM role in the emulator's account
333333333333, whose trust policy lets alpha's account assume it with the project ID
as external ID. The service assumes it with alpha's keys ([sts] access_key_id and
secret_access_key), once per user, and caches each session. Project beta keeps its
static keys and serves as the comparison without STS.

aws-hybrid side: GET /v1/availability-zones (one DescribeAvailabilityZones call to
the emulator per request) by two users of alpha, after each user's session exists.
Peer: sts:AssumeRole of the same role straight to the emulator with boto3, the call
each request would add if the service did not cache sessions. The emulator's record
of STS calls (GET /_aws_hybrid/sts-calls) shows how many AssumeRole calls the
service made, which must be one per user.

Each token is validated first with GET /v1/nothing-here (404 after authentication),
so that no measured request includes a call to Keystone.
"""

import configparser
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter

import boto3
import botocore.config

import services
import tokens
from services import Connection
from stats import latency_summary_ms

# The account of the role. No harness key belongs to it, so only an assumed role reaches it.
ROLE_ACCOUNT = "333333333333"
ROUTE = "/v1/availability-zones"
AUTH_ONLY_PATH = "/v1/nothing-here"
# The session name of the direct AssumeRole calls. It distinguishes them from the service's
# calls, whose session names are <project ID>.<user ID>.
DIRECT_SESSION_NAME = "bench-direct-assume-role"
SESSION_SECONDS = 3600
WARMUP_REQUESTS = 10


def create_role(tools_dir, moto_url, project_id, principal_account):
    """Create the role in the emulator with tools/harness/aws_fixture.py and return its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{principal_account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": project_id}},
            }
        ],
    }
    name = f"aws-hybrid-bench-{uuid.uuid4().hex[:12]}"
    completed = subprocess.run(
        [
            sys.executable,
            os.path.join(tools_dir, "harness", "aws_fixture.py"),
            "--endpoint",
            moto_url,
            "--account",
            ROLE_ACCOUNT,
            "create-role",
            "--name",
            name,
            "--trust-policy",
            json.dumps(trust),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout)["arn"]


def write_role_config(state_dir, env, role_arn):
    """Write a tenant mapping with alpha mapped to the role, and a config that uses it.

    Both files contain AWS keys and get mode 600, like the harness's own files.
    """
    alpha, beta = env["projects"]["alpha"], env["projects"]["beta"]
    harness_mapping = configparser.RawConfigParser()
    harness_mapping.read(os.path.join(state_dir, "tenants.conf"))
    alpha_section = harness_mapping[f"project:{alpha['id']}"]
    beta_section = harness_mapping[f"project:{beta['id']}"]
    mapping = (
        f"[project:{alpha['id']}]\n"
        f"role_arn = {role_arn}\n"
        f"region = {alpha_section['region']}\n"
        f"allowed_regions = {alpha_section['allowed_regions']}\n\n"
        f"[project:{beta['id']}]\n"
        + "".join(f"{key} = {value}\n" for key, value in beta_section.items())
    )
    mapping_path = os.path.join(state_dir, "bench-role-tenants.conf")
    _write_private(mapping_path, mapping)
    config_path = os.path.join(state_dir, "bench-role.conf")
    _write_private(
        config_path,
        f"[tenancy]\nmapping_file = {mapping_path}\n\n"
        f"[sts]\naccess_key_id = {alpha['aws_access_key_id']}\n"
        f"secret_access_key = {alpha['aws_secret_access_key']}\n"
        f"session_duration = {SESSION_SECONDS}\n",
    )
    return config_path


def _write_private(path, text):
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def sts_calls(moto_url, role_arn):
    """Return the emulator's records of STS calls for role_arn."""
    services.check_loopback_url(moto_url)
    with urllib.request.urlopen(f"{moto_url}/_aws_hybrid/sts-calls", timeout=30) as response:
        calls = json.load(response)
    return [call for call in calls if call["role_arn"] == role_arn]


def direct_sts_client(env):
    """Return a boto3 STS client for the emulator, signing with alpha's keys as the service does."""
    moto_url = env["moto_url"]
    services.check_loopback_url(moto_url)
    alpha = env["projects"]["alpha"]
    return boto3.session.Session().client(
        "sts",
        region_name="us-east-1",
        endpoint_url=moto_url,
        aws_access_key_id=alpha["aws_access_key_id"],
        aws_secret_access_key=alpha["aws_secret_access_key"],
        config=botocore.config.Config(
            max_pool_connections=1,
            # One attempt, so that an error is raised instead of hidden by a retry.
            retries={"total_max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def assume_directly(client, role_arn, project_id):
    """Call AssumeRole once and return the seconds it took, signing and parsing included."""
    started = time.perf_counter()
    output = client.assume_role(
        RoleArn=role_arn,
        RoleSessionName=DIRECT_SESSION_NAME,
        ExternalId=project_id,
        DurationSeconds=SESSION_SECONDS,
    )
    elapsed = time.perf_counter() - started
    if not output.get("Credentials", {}).get("AccessKeyId"):
        raise RuntimeError("the emulator's AssumeRole response contains no credentials")
    return elapsed


def get_route(api, token, label):
    status, _, data, elapsed = api.request("GET", ROUTE, headers={"X-Auth-Token": token})
    if status != 200 or b'"availability_zones"' not in data:
        raise RuntimeError(f"GET {ROUTE} for {label} returned HTTP {status}: {data[:300]!r}")
    return elapsed


def authenticate(api, token, label):
    status, _, _, _ = api.request("GET", AUTH_ONLY_PATH, headers={"X-Auth-Token": token})
    if status != 404:
        raise RuntimeError(
            f"GET {AUTH_ONLY_PATH} for {label} returned HTTP {status}, expected 404 after authentication"
        )


def issue_tokens(keystone_port, env, users):
    """Issue a project-scoped token for each (project name, user kind) and key it by user name."""
    keystone = Connection(keystone_port)
    issued = {}
    for project_name, kind in users:
        project = env["projects"][project_name]
        user = project[kind]
        token, _ = tokens.issue_token(
            keystone, user["username"], user["password"], {"project": {"id": project["id"]}}
        )
        issued[user["username"]] = token
    # Free the harness Keystone's only worker for aws-hybrid.
    keystone.close()
    return issued


def measure(launcher, env, keystone_port, tools_dir, state_dir, requests):
    """Return latencies of both sides and the emulator's count of the service's AssumeRole calls."""
    alpha = env["projects"]["alpha"]
    role_arn = create_role(tools_dir, env["moto_url"], alpha["id"], alpha["aws_account_id"])
    config = write_role_config(state_dir, env, role_arn)
    role_users = [alpha["member"]["username"], alpha["reader"]["username"]]
    keys_user = env["projects"]["beta"]["member"]["username"]
    user_tokens = issue_tokens(
        keystone_port, env, [("alpha", "member"), ("alpha", "reader"), ("beta", "member")]
    )
    sts = direct_sts_client(env)

    api_process = launcher.start("bench-role", "aws-hybrid-api-role.log", [config])
    try:
        api = Connection(launcher.port)
        for username, token in user_tokens.items():
            authenticate(api, token, username)
        # The first request of each alpha user finds no session and assumes the role.
        first = {name: get_route(api, user_tokens[name], name) for name in role_users}
        first_keys = get_route(api, user_tokens[keys_user], keys_user)
        for _ in range(WARMUP_REQUESTS):
            for username, token in user_tokens.items():
                get_route(api, token, username)
            assume_directly(sts, role_arn, alpha["id"])

        cached, keys, direct = [], [], []
        steps = [
            lambda name=name: cached.append(get_route(api, user_tokens[name], name))
            for name in role_users
        ]
        steps += [
            lambda: keys.append(get_route(api, user_tokens[keys_user], keys_user)),
            lambda: direct.append(assume_directly(sts, role_arn, alpha["id"])),
        ]
        # Each round runs every step once, starting one step later than the round before, so
        # that no side always follows the same other side.
        for index in range(requests):
            for offset in range(len(steps)):
                steps[(index + offset) % len(steps)]()
        api.close()
    finally:
        api_process.stop()

    calls = sts_calls(env["moto_url"], role_arn)
    service_calls = [c for c in calls if c["role_session_name"] != DIRECT_SESSION_NAME]
    direct_calls = [c for c in calls if c["role_session_name"] == DIRECT_SESSION_NAME]
    per_session = Counter(c["role_session_name"] for c in service_calls)
    return {
        "route": ROUTE,
        "requests_per_user": requests,
        "role_users": len(role_users),
        # The first request, the warm-up and the measured requests of every role user.
        "role_user_requests": len(role_users) * (1 + WARMUP_REQUESTS + requests),
        "api_cached_session_ms": latency_summary_ms(cached),
        "api_static_keys_ms": latency_summary_ms(keys),
        "direct_assume_role_ms": latency_summary_ms(direct),
        "api_first_request_ms": {name: 1000.0 * value for name, value in first.items()},
        "api_first_request_static_keys_ms": 1000.0 * first_keys,
        "service_assume_role_calls": len(service_calls),
        "service_assume_role_calls_per_session": sorted(per_session.values()),
        "service_assume_role_failures": sum(c["outcome"] != "success" for c in service_calls),
        "direct_assume_role_calls": len(direct_calls),
        "direct_assume_role_failures": sum(c["outcome"] != "success" for c in direct_calls),
        "client_connects": api.connects,
    }
