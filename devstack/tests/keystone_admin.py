"""Keystone and secret-file tasks of the devstack plugin test (run.sh).

Every subcommand reads the harness's env.json (written by
tools/harness/up.sh) and talks only to the Keystone URL named there. Secrets
go only into files of mode 600 and are never printed.

Subcommands:
  write-files ENV_JSON WORK_DIR
      Write WORK_DIR/clouds.yaml (the devstack-system-admin and devstack-admin
      clouds for the harness admin) and WORK_DIR/secrets.sh, which sets
      SERVICE_PASSWORD (new and random, with a "$" in it) and
      AWS_HYBRID_TENANT_MAPPINGS (project alpha with its moto access key).
  remove-aws-hybrid ENV_JSON
      Delete every service of type aws-hybrid with its endpoints, and the user
      aws-hybrid of domain Default.
  restore-harness ENV_JSON
      Create what up.sh registers for aws-hybrid and is missing: service
      aws-hybrid with public and internal endpoints at
      http://127.0.0.1:<api_port>/v1 in RegionOne, and user aws-hybrid with the
      harness password and role service on project service.
  summary ENV_JSON
      Print name=value lines: total counts of services, endpoints, users and
      role assignments, and the aws-hybrid services, endpoints per interface,
      endpoint URLs, users and the user's role assignments.
  write-token-header ENV_JSON PROJECT KIND PATH
      Write "X-Auth-Token: <token>" for user PROJECT-KIND scoped to PROJECT
      to PATH (mode 600), for curl -H @PATH.
"""

import json
import os
import secrets
import shlex
import sys

import requests

DOMAIN = "Default"
REGION = "RegionOne"
SERVICE_TYPE = "aws-hybrid"
SERVICE_USER = "aws-hybrid"
TIMEOUT = 30


def fail(message):
    raise SystemExit(f"keystone_admin.py: {message}")


def write_private_file(path, text):
    """Write text to path with mode 600, replacing any earlier file."""
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def load_env(path):
    with open(path) as handle:
        return json.load(handle)


def issue_token(env, username, password, project_name):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"name": DOMAIN}, "password": password}}},
        "scope": {"project": {"name": project_name, "domain": {"name": DOMAIN}}},
    }}
    session = requests.Session()
    session.trust_env = False
    response = session.post(f"{env['keystone_url']}/v3/auth/tokens", json=body, timeout=TIMEOUT)
    if response.status_code != 201:
        fail(f"token request for user {username} in project {project_name} "
             f"returned HTTP {response.status_code}")
    return response.headers["X-Subject-Token"]


class Keystone:
    """Keystone v3 client with the harness admin's project-scoped token."""

    def __init__(self, env):
        self.url = env["keystone_url"] + "/v3"
        admin = env["keystone_admin"]
        self.session = requests.Session()
        # Loopback requests must not go through a proxy from the environment.
        self.session.trust_env = False
        self.session.headers["X-Auth-Token"] = issue_token(
            env, admin["username"], admin["password"], admin["project_name"])

    def call(self, method, path, expected, body=None):
        response = self.session.request(method, self.url + path, json=body, timeout=TIMEOUT)
        if response.status_code not in expected:
            fail(f"{method} /v3{path} returned HTTP {response.status_code}, "
                 f"expected {expected}: {response.text[:300]}")
        return response.json() if response.content else None

    def list_collection(self, path, key):
        return self.call("GET", path, (200,))[key]

    def find_one(self, path, key, description):
        items = self.list_collection(path, key)
        if len(items) != 1:
            fail(f"expected one {description}, found {len(items)}")
        return items[0]["id"]

    def aws_hybrid_services(self):
        return self.list_collection(f"/services?type={SERVICE_TYPE}", "services")

    def service_users(self):
        domain_id = self.find_one(f"/domains?name={DOMAIN}", "domains", f"domain {DOMAIN}")
        return self.list_collection(f"/users?name={SERVICE_USER}&domain_id={domain_id}", "users")


def write_files(env_path, work_dir):
    env = load_env(env_path)
    admin = env["keystone_admin"]
    auth_url = env["keystone_url"] + "/v3"
    clouds = {"clouds": {
        "devstack-system-admin": {
            "auth": {"auth_url": auth_url, "username": admin["username"],
                     "password": admin["password"], "user_domain_name": DOMAIN,
                     "system_scope": "all"},
            "identity_api_version": 3, "region_name": REGION, "interface": "public",
        },
        "devstack-admin": {
            "auth": {"auth_url": auth_url, "username": admin["username"],
                     "password": admin["password"], "user_domain_name": DOMAIN,
                     "project_name": admin["project_name"], "project_domain_name": DOMAIN},
            "identity_api_version": 3, "region_name": REGION, "interface": "public",
        },
    }}
    # JSON is valid YAML, and the openstack CLI reads clouds.yaml as YAML.
    write_private_file(os.path.join(work_dir, "clouds.yaml"), json.dumps(clouds, indent=2) + "\n")

    alpha = env["projects"]["alpha"]
    # A "$" followed by letters is what the plugin must escape for aws-hybrid,
    # which would otherwise read it as a reference to another option.
    service_password = "Svc$" + secrets.token_urlsafe(18)
    mapping = f"alpha:{alpha['aws_access_key_id']}:{alpha['aws_secret_access_key']}:us-east-1"
    lines = [
        f"SERVICE_PASSWORD={shlex.quote(service_password)}",
        f"AWS_HYBRID_TENANT_MAPPINGS={shlex.quote(mapping)}",
    ]
    write_private_file(os.path.join(work_dir, "secrets.sh"), "\n".join(lines) + "\n")


def remove_aws_hybrid(env_path):
    keystone = Keystone(load_env(env_path))
    for service in keystone.aws_hybrid_services():
        endpoints = keystone.list_collection(f"/endpoints?service_id={service['id']}", "endpoints")
        for endpoint in endpoints:
            keystone.call("DELETE", f"/endpoints/{endpoint['id']}", (204, 404))
        keystone.call("DELETE", f"/services/{service['id']}", (204, 404))
        print(f"deleted service {service['name']} ({service['id']}) and "
              f"{len(endpoints)} endpoints", file=sys.stderr)
    for user in keystone.service_users():
        keystone.call("DELETE", f"/users/{user['id']}", (204, 404))
        print(f"deleted user {user['name']} ({user['id']})", file=sys.stderr)


def restore_harness(env_path):
    env = load_env(env_path)
    keystone = Keystone(env)
    url = f"http://127.0.0.1:{env['api_port']}/v1"

    services = keystone.aws_hybrid_services()
    if not services:
        body = {"service": {"type": SERVICE_TYPE, "name": SERVICE_TYPE, "enabled": True}}
        services = [keystone.call("POST", "/services", (201,), body)["service"]]
        print(f"created service aws-hybrid ({services[0]['id']})", file=sys.stderr)
    service_id = services[0]["id"]
    existing = {e["interface"] for e in
                keystone.list_collection(f"/endpoints?service_id={service_id}", "endpoints")}
    for interface in ("public", "internal"):
        if interface not in existing:
            body = {"endpoint": {"service_id": service_id, "interface": interface,
                                 "url": url, "region_id": REGION, "enabled": True}}
            keystone.call("POST", "/endpoints", (201,), body)
            print(f"created the {interface} endpoint {url}", file=sys.stderr)

    project_id = keystone.find_one("/projects?name=service", "projects", "project service")
    role_id = keystone.find_one("/roles?name=service", "roles", "role service")
    users = keystone.service_users()
    if not users:
        body = {"user": {"name": SERVICE_USER, "password": env["service_user"]["password"],
                         "domain_id": "default", "default_project_id": project_id,
                         "enabled": True}}
        users = [keystone.call("POST", "/users", (201,), body)["user"]]
        print(f"created user aws-hybrid ({users[0]['id']})", file=sys.stderr)
    keystone.call("PUT", f"/projects/{project_id}/users/{users[0]['id']}/roles/{role_id}",
                  (204,))


def summary(env_path):
    keystone = Keystone(load_env(env_path))
    services = keystone.list_collection("/services", "services")
    endpoints = keystone.list_collection("/endpoints", "endpoints")
    users = keystone.list_collection("/users", "users")
    assignments = keystone.list_collection("/role_assignments", "role_assignments")
    lines = {
        "services_total": len(services),
        "endpoints_total": len(endpoints),
        "users_total": len(users),
        "role_assignments_total": len(assignments),
    }

    service_ids = {s["id"] for s in services if s["type"] == SERVICE_TYPE}
    ours = [e for e in endpoints if e["service_id"] in service_ids]
    lines["aws_hybrid_services"] = len(service_ids)
    for interface in ("public", "internal", "admin"):
        lines[f"aws_hybrid_endpoints_{interface}"] = sum(
            1 for e in ours if e["interface"] == interface and e["region_id"] == REGION)
    lines["aws_hybrid_endpoints_other_regions"] = sum(1 for e in ours if e["region_id"] != REGION)
    lines["aws_hybrid_endpoint_urls"] = " ".join(sorted({e["url"] for e in ours}))

    service_users = keystone.service_users()
    lines["aws_hybrid_users"] = len(service_users)
    roles = []
    for user in service_users:
        for assignment in keystone.list_collection(
                f"/role_assignments?user.id={user['id']}&include_names=true",
                "role_assignments"):
            scope = assignment.get("scope", {})
            target = scope.get("project", {}).get("name") or "+".join(sorted(scope))
            roles.append(f"{assignment['role']['name']}@{target}")
    lines["aws_hybrid_user_roles"] = " ".join(sorted(roles))
    for name, value in lines.items():
        print(f"{name}={value}")


def write_token_header(env_path, project, kind, path):
    env = load_env(env_path)
    user = env["projects"][project][kind]
    token = issue_token(env, user["username"], user["password"], project)
    write_private_file(path, f"X-Auth-Token: {token}\n")


def main():
    commands = {
        "write-files": (write_files, 2),
        "remove-aws-hybrid": (remove_aws_hybrid, 1),
        "restore-harness": (restore_harness, 1),
        "summary": (summary, 1),
        "write-token-header": (write_token_header, 4),
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        fail(f"usage: keystone_admin.py {{{','.join(commands)}}} ENV_JSON [ARG...]")
    function, argument_count = commands[sys.argv[1]]
    arguments = sys.argv[2:]
    if len(arguments) != argument_count:
        fail(f"{sys.argv[1]} takes {argument_count} arguments, got {len(arguments)}")
    function(*arguments)


if __name__ == "__main__":
    main()
