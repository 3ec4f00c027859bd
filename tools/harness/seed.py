"""Create the Keystone objects and moto AWS accounts of the test harness.

up.sh runs this with the harness venv once Keystone and moto respond. It
creates:
  - project "service" with user "aws-hybrid" holding only the "service" role;
  - projects "alpha" and "beta", each with a "<project>-member" user (role
    member) and a "<project>-reader" user (role reader);
  - the "aws-hybrid" service with public and internal endpoints in RegionOne;
  - one moto account per project (alpha 111111111111, beta 222222222222):
    an IAM user and access key created in that account, checked with STS
    GetCallerIdentity;
and writes env.json, aws-hybrid.conf, tenants.conf and openrc-<user> files
into the state directory, all with mode 600. Passwords are random per run and
are never printed.
"""

import argparse
import json
import os
import secrets
import shlex
import sys

import boto3
import botocore.config
import requests

REGION_ONE = "RegionOne"
AWS_REGION = "us-east-1"
ALLOWED_AWS_REGIONS = ("us-east-1", "us-west-2")
DOMAIN = "Default"
AWS_ACCOUNTS = {"alpha": "111111111111", "beta": "222222222222"}
# moto picks the account of a request from this header when no IAM-created
# access key identifies one (moto 5.2.5, moto/core/responses.py).
MOTO_ACCOUNT_HEADER = "x-moto-account-id"
# moto accepts any key pair for the requests that create the IAM users,
# because it does not check signatures by default.
BOOTSTRAP_AWS_KEY = ("harness-bootstrap", "harness-bootstrap-not-a-secret")


def new_password():
    return secrets.token_urlsafe(24)


def write_private_file(path, text):
    """Write text to path with mode 600, replacing any earlier file."""
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


class Keystone:
    """Minimal Keystone v3 admin client over requests."""

    def __init__(self, url, admin_password):
        self.url = url
        self.session = requests.Session()
        # Requests to loopback must not go through a proxy from the environment.
        self.session.trust_env = False
        token = self.issue_token("admin", admin_password, "admin")
        self.session.headers["X-Auth-Token"] = token

    def issue_token(self, username, password, project_name):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": DOMAIN}, "password": password}}},
            "scope": {"project": {"name": project_name, "domain": {"name": DOMAIN}}},
        }}
        response = requests.post(f"{self.url}/v3/auth/tokens", json=body, timeout=30)
        if response.status_code != 201:
            raise SystemExit(
                f"seed: token request for user {username} in project {project_name} "
                f"failed with HTTP {response.status_code}"
            )
        return response.headers["X-Subject-Token"]

    def call(self, method, path, expected, json_body=None):
        response = self.session.request(method, f"{self.url}/v3{path}", json=json_body, timeout=30)
        if response.status_code != expected:
            raise SystemExit(
                f"seed: {method} /v3{path} returned HTTP {response.status_code}, "
                f"expected {expected}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def role_id(self, name):
        roles = self.call("GET", f"/roles?name={name}", 200)["roles"]
        if len(roles) != 1:
            raise SystemExit(f"seed: role {name!r} not found in Keystone")
        return roles[0]["id"]

    def create_project(self, name):
        body = {"project": {"name": name, "domain_id": "default", "enabled": True}}
        return self.call("POST", "/projects", 201, body)["project"]["id"]

    def create_user(self, name, password, project_id, role_id):
        body = {"user": {"name": name, "password": password, "domain_id": "default",
                         "default_project_id": project_id, "enabled": True}}
        user_id = self.call("POST", "/users", 201, body)["user"]["id"]
        self.call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}", 204)
        return user_id

    def create_service(self, service_type, name, url):
        body = {"service": {"type": service_type, "name": name, "enabled": True}}
        service_id = self.call("POST", "/services", 201, body)["service"]["id"]
        for interface in ("public", "internal"):
            body = {"endpoint": {"service_id": service_id, "interface": interface,
                                 "url": url, "region_id": REGION_ONE, "enabled": True}}
            self.call("POST", "/endpoints", 201, body)


def aws_client(service, moto_url, access_key, secret_key, account_id=None):
    """Create a boto3 client for moto, optionally forcing the moto account."""
    client = boto3.session.Session().client(
        service,
        endpoint_url=moto_url,
        region_name=AWS_REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    if account_id is not None:
        def add_account_header(request, **_):
            request.headers[MOTO_ACCOUNT_HEADER] = account_id

        client.meta.events.register("before-sign", add_account_header)
    return client


def create_aws_account(moto_url, project, account_id):
    """Create an IAM user and access key in moto's account account_id.

    moto maps an access key created by IAM to the account it was created in,
    so later requests signed with it act in that account with no header.
    """
    iam = aws_client("iam", moto_url, *BOOTSTRAP_AWS_KEY, account_id=account_id)
    user_name = f"aws-hybrid-{project}"
    iam.create_user(UserName=user_name)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]

    sts = aws_client("sts", moto_url, key["AccessKeyId"], key["SecretAccessKey"])
    identity = sts.get_caller_identity()
    if identity["Account"] != account_id:
        raise SystemExit(
            f"seed: the access key of {user_name} acts in moto account {identity['Account']}, "
            f"expected {account_id}"
        )
    return key["AccessKeyId"], key["SecretAccessKey"]


def openrc_text(auth_url, username, password, project_name):
    values = {
        "OS_AUTH_URL": f"{auth_url}/v3",
        "OS_USERNAME": username,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project_name,
        "OS_USER_DOMAIN_NAME": DOMAIN,
        "OS_PROJECT_DOMAIN_NAME": DOMAIN,
        "OS_INTERFACE": "public",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_REGION_NAME": REGION_ONE,
    }
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def service_config_text(keystone_url, moto_url, api_port, service_password, mapping_file):
    return f"""\
[DEFAULT]
debug = true

[api]
bind_host = 127.0.0.1
bind_port = {api_port}
public_endpoint = http://127.0.0.1:{api_port}

[keystone_authtoken]
www_authenticate_uri = {keystone_url}
auth_url = {keystone_url}
auth_type = password
username = aws-hybrid
password = {service_password}
project_name = service
user_domain_name = {DOMAIN}
project_domain_name = {DOMAIN}
interface = public
region_name = {REGION_ONE}
token_cache_time = 300
service_type = aws-hybrid

[aws]
region = {AWS_REGION}
endpoint_url = {moto_url}

[tenancy]
mapping_file = {mapping_file}
"""


def tenant_mapping_text(projects):
    sections = []
    for project in projects.values():
        sections.append(
            f"[project:{project['id']}]\n"
            f"aws_access_key_id = {project['aws_access_key_id']}\n"
            f"aws_secret_access_key = {project['aws_secret_access_key']}\n"
            f"region = {AWS_REGION}\n"
            f"allowed_regions = {', '.join(ALLOWED_AWS_REGIONS)}\n"
        )
    return "\n".join(sections)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--keystone-url", required=True, help="e.g. http://127.0.0.1:25000")
    parser.add_argument("--moto-url", required=True, help="e.g. http://127.0.0.1:25555")
    parser.add_argument("--api-port", required=True, type=int)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--tools-dir", required=True)
    args = parser.parse_args()
    state_dir = args.state_dir

    # No AWS client may look for credentials or config outside this script.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    with open(os.path.join(state_dir, "secrets", "admin-password")) as handle:
        admin_password = handle.read().strip()
    keystone = Keystone(args.keystone_url, admin_password)
    roles = {name: keystone.role_id(name) for name in ("service", "member", "reader")}

    print("seed: creating project service and user aws-hybrid (role service)", file=sys.stderr)
    service_project_id = keystone.create_project("service")
    service_password = new_password()
    keystone.create_user("aws-hybrid", service_password, service_project_id, roles["service"])

    projects = {}
    users = {"admin": ("admin", admin_password, "admin"),
             "aws-hybrid": ("aws-hybrid", service_password, "service")}
    for project, account_id in AWS_ACCOUNTS.items():
        print(f"seed: creating project {project} with users {project}-member and {project}-reader",
              file=sys.stderr)
        project_id = keystone.create_project(project)
        entry = {"id": project_id}
        for kind in ("member", "reader"):
            username = f"{project}-{kind}"
            password = new_password()
            keystone.create_user(username, password, project_id, roles[kind])
            entry[kind] = {"username": username, "password": password}
            users[username] = (username, password, project)
        print(f"seed: creating moto account {account_id} for project {project}", file=sys.stderr)
        access_key, secret_key = create_aws_account(args.moto_url, project, account_id)
        entry.update(aws_account_id=account_id, aws_access_key_id=access_key,
                     aws_secret_access_key=secret_key)
        projects[project] = entry

    api_url = f"http://127.0.0.1:{args.api_port}/v1"
    print(f"seed: registering service aws-hybrid at {api_url} (public, internal)", file=sys.stderr)
    keystone.create_service("aws-hybrid", "aws-hybrid", api_url)

    # A token for one of the new users shows that their passwords work.
    keystone.issue_token("alpha-member", projects["alpha"]["member"]["password"], "alpha")

    mapping_file = os.path.join(state_dir, "tenants.conf")
    write_private_file(mapping_file, tenant_mapping_text(projects))
    write_private_file(
        os.path.join(state_dir, "aws-hybrid.conf"),
        service_config_text(args.keystone_url, args.moto_url, args.api_port,
                            service_password, mapping_file),
    )
    for name, (username, password, project_name) in users.items():
        write_private_file(os.path.join(state_dir, f"openrc-{name}"),
                           openrc_text(args.keystone_url, username, password, project_name))

    env = {
        "keystone_url": args.keystone_url,
        "keystone_admin": {
            "username": "admin",
            "password": admin_password,
            "project_name": "admin",
            "user_domain_name": DOMAIN,
            "project_domain_name": DOMAIN,
        },
        "service_user": {"username": "aws-hybrid", "password": service_password,
                         "project_name": "service"},
        "projects": projects,
        "moto_url": args.moto_url,
        "api_port": args.api_port,
        "venv": args.venv,
        "keystone_conf_dir": os.path.join(state_dir, "keystone"),
        "tools_dir": args.tools_dir,
        "state_dir": state_dir,
    }
    write_private_file(os.path.join(state_dir, "env.json"), json.dumps(env, indent=2) + "\n")
    print("seed: wrote env.json, aws-hybrid.conf, tenants.conf and openrc files", file=sys.stderr)


if __name__ == "__main__":
    main()
