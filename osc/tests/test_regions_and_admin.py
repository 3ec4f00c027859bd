"""The global option --aws-region (AWS-Hybrid-Region header) and the admin-only instance
listings --all-projects and --project, through the real `openstack` command.

The harness maps projects alpha and beta to us-east-1 and allows us-east-1 and us-west-2.
"""

import subprocess
import uuid

import pytest
from conftest import COMMAND_TIMEOUT, TEST_AMI, create_instances, unique_name

ALL_PROJECTS_RULE = "aws-hybrid:instance:list:all_projects"


def zone_regions(rows):
    return sorted({row["Region"] for row in rows})


def test_region_option_selects_allowed_region(cli):
    rows = cli.json("alpha-reader", "aws", "availability", "zone", "list", "--aws-region", "us-west-2")
    assert zone_regions(rows) == ["us-west-2"]
    assert "us-west-2a" in [row["Name"] for row in rows]

    # A global option may also come before the command, as openstack's own ones do.
    rows = cli.json("alpha-reader", "--aws-region", "us-west-2", "aws", "availability", "zone", "list")
    assert zone_regions(rows) == ["us-west-2"]


def test_region_from_environment(cli):
    rows = cli.json(
        "alpha-reader", "aws", "availability", "zone", "list",
        extra_env={"AWS_HYBRID_REGION": "us-west-2"},
    )
    assert zone_regions(rows) == ["us-west-2"]

    # The option wins over the environment.
    rows = cli.json(
        "alpha-reader", "aws", "availability", "zone", "list", "--aws-region", "us-east-1",
        extra_env={"AWS_HYBRID_REGION": "us-west-2"},
    )
    assert zone_regions(rows) == ["us-east-1"]


def test_instance_launched_in_chosen_region(cli):
    name = unique_name("osc-west")
    created = create_instances(
        cli, "--aws-region", "us-west-2",
        "--image", TEST_AMI, "--type", "t3.micro", "--name", name,
    )
    instance_id = created["id"]
    try:
        assert created["region"] == "us-west-2"
        details = cli.json("alpha-member", "aws", "instance", "show", instance_id, "--aws-region", "us-west-2")
        assert details["region"] == "us-west-2"

        listed = cli.json("alpha-member", "aws", "instance", "list", "--name", name, "--aws-region", "us-west-2")
        assert [row["ID"] for row in listed] == [instance_id]

        # Without the option the list reads the project's default region, us-east-1.
        assert cli.json("alpha-member", "aws", "instance", "list", "--name", name) == []
    finally:
        cli.run("alpha-member", "aws", "instance", "delete", instance_id, "--aws-region", "us-west-2")


def test_region_not_allowed_shows_403(cli):
    error = cli.error("alpha-reader", "aws", "region", "list", "--aws-region", "eu-west-1")
    assert "This project may not use region eu-west-1" in error
    assert "allowed regions: us-east-1, us-west-2" in error
    assert "HTTP 403" in error
    assert "aws-hybrid.region_not_allowed" in error
    assert "Traceback" not in error


def test_invalid_region_shows_400(cli):
    error = cli.error(
        "alpha-reader", "aws", "region", "list", extra_env={"AWS_HYBRID_REGION": "mars"}
    )
    assert 'header "mars" is not an AWS region name' in error
    assert "HTTP 400" in error
    assert "aws-hybrid.invalid_region" in error


def test_list_help_shows_admin_options(cli):
    result = cli.run("alpha-reader", "help", "aws", "instance", "list")
    assert "--all-projects" in result.stdout
    assert "--project <project-id>" in result.stdout

    result = cli.run("alpha-reader", "--help")
    assert "--aws-region <region>" in result.stdout
    assert "AWS_HYBRID_REGION" in result.stdout


def test_member_all_projects_rejected(cli, harness):
    error = cli.error("alpha-member", "aws", "instance", "list", "--all-projects")
    assert "Policy does not allow %s to be performed" % ALL_PROJECTS_RULE in error
    assert "HTTP 403" in error
    assert "aws-hybrid.policy_not_authorized" in error

    beta_id = harness["projects"]["beta"]["id"]
    error = cli.error("alpha-member", "aws", "instance", "list", "--project", beta_id)
    assert "Policy does not allow %s to be performed" % ALL_PROJECTS_RULE in error
    assert "HTTP 403" in error


def test_all_projects_and_project_exclusive(cli):
    result = cli.run(
        "alpha-member", "aws", "instance", "list", "--all-projects", "--project", "x",
        expect_failure=True,
    )
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def keystone_admin(cli, *args):
    """Run `openstack ARGS` as the harness's Keystone admin and return standard output."""
    return cli.run("admin", *args).stdout.strip()


@pytest.fixture(scope="module")
def alpha_admin(cli):
    """Environment overrides that make a command run as a new user with the admin role on
    project alpha. The user is deleted after the module's tests."""
    name = unique_name("osc-alpha-admin")
    password = uuid.uuid4().hex
    keystone_admin(cli, "user", "create", "--domain", "Default", "--password", password, name)
    try:
        keystone_admin(cli, "role", "add", "--user", name, "--user-domain", "Default",
                       "--project", "alpha", "--project-domain", "Default", "admin")
        yield {"OS_USERNAME": name, "OS_PASSWORD": password}
    finally:
        subprocess.run(
            [cli.executable, "user", "delete", "--domain", "Default", name],
            env=cli.env_for("admin"), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=COMMAND_TIMEOUT, check=False,
        )


@pytest.fixture
def beta_instance(cli):
    """An instance of project beta, terminated after the test."""
    instance = cli.json(
        "beta-member", "aws", "instance", "create",
        "--image", TEST_AMI, "--type", "t3.micro", "--name", unique_name("osc-beta"),
    )
    yield instance
    cli.run("beta-member", "aws", "instance", "delete", instance["id"])


def test_admin_lists_all_projects(cli, harness, alpha_admin, shared_instance, beta_instance):
    alpha_id = harness["projects"]["alpha"]["id"]
    beta_id = harness["projects"]["beta"]["id"]

    rows = cli.json("alpha-member", "aws", "instance", "list", "--all-projects", extra_env=alpha_admin)
    projects_by_id = {row["ID"]: row["Project ID"] for row in rows}
    assert projects_by_id[shared_instance["id"]] == alpha_id
    assert projects_by_id[beta_instance["id"]] == beta_id

    rows = cli.json("alpha-member", "aws", "instance", "list", "--project", beta_id, extra_env=alpha_admin)
    assert beta_instance["id"] in [row["ID"] for row in rows]
    assert {row["Project ID"] for row in rows} == {beta_id}

    # Without either option an administrator lists only the token's own project.
    rows = cli.json("alpha-member", "aws", "instance", "list", extra_env=alpha_admin)
    ids = [row["ID"] for row in rows]
    assert shared_instance["id"] in ids
    assert beta_instance["id"] not in ids
    assert "Project ID" not in rows[0]
