"""Prepare IAM state in the AWS emulator for one integration test, and read EC2 state back.

The Rust integration tests call this with the harness venv's python. Every call goes to the
emulator URL given with --endpoint, which must be on 127.0.0.1, and acts in the account given
with --account through moto's account header, so the tests need no IAM keys for set-up.

    aws_fixture.py --endpoint URL --account ID create-role --name N --trust-policy JSON
    aws_fixture.py --endpoint URL --account ID create-oidc-provider --url U --client-id C
    aws_fixture.py --endpoint URL --account ID instances --tag-value PROJECT_ID

Each command prints one JSON object on stdout.
"""

import argparse
import json
import os
import sys
import urllib.parse

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
import botocore.config  # noqa: E402

# moto does not check signatures by default; the account comes from the header below.
SEED_KEY = ("AKIAFIXTURESEED00000", "fixture-seed-not-a-secret")
ACCOUNT_HEADER = "x-moto-account-id"
PROJECT_TAG = "aws-hybrid:project-id"


def client(service, endpoint, account):
    host = urllib.parse.urlsplit(endpoint).hostname
    if host != "127.0.0.1":
        sys.exit(f"refusing endpoint {endpoint}: the fixture only talks to 127.0.0.1")
    made = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=SEED_KEY[0],
        aws_secret_access_key=SEED_KEY[1],
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )

    def add_account(request, **_):
        request.headers[ACCOUNT_HEADER] = account

    made.meta.events.register("before-send", add_account)
    return made


def create_role(args):
    iam = client("iam", args.endpoint, args.account)
    role = iam.create_role(
        RoleName=args.name,
        AssumeRolePolicyDocument=args.trust_policy,
        MaxSessionDuration=3600,
    )["Role"]
    iam.put_role_policy(
        RoleName=args.name,
        PolicyName="allow-ec2",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
        ),
    )
    return {"arn": role["Arn"]}


def create_oidc_provider(args):
    iam = client("iam", args.endpoint, args.account)
    arn = iam.create_open_id_connect_provider(
        Url=args.url, ClientIDList=[args.client_id], ThumbprintList=["0" * 40]
    )["OpenIDConnectProviderArn"]
    return {"arn": arn}


def instances(args):
    ec2 = client("ec2", args.endpoint, args.account)
    found = []
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": f"tag:{PROJECT_TAG}", "Values": [args.tag_value]}]
    )
    for page in pages:
        for reservation in page["Reservations"]:
            found.extend(i["InstanceId"] for i in reservation["Instances"])
    return {"instances": sorted(found)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--account", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    role = commands.add_parser("create-role")
    role.add_argument("--name", required=True)
    role.add_argument("--trust-policy", required=True)
    role.set_defaults(run=create_role)
    oidc = commands.add_parser("create-oidc-provider")
    oidc.add_argument("--url", required=True)
    oidc.add_argument("--client-id", required=True)
    oidc.set_defaults(run=create_oidc_provider)
    listing = commands.add_parser("instances")
    listing.add_argument("--tag-value", required=True)
    listing.set_defaults(run=instances)
    args = parser.parse_args(argv)
    print(json.dumps(args.run(args)))


if __name__ == "__main__":
    main()
