"""`openstack aws instance` end to end: the real openstack command, the plugin, aws-hybrid,
Keystone and moto.

Instances stay visible after termination (state terminated), and every test shares the
harness projects, so each test finds its own instances by id or by a unique name.
"""

import pytest
from conftest import TEST_AMI, create_instances, unique_name

# EC2's limit on user data, before base64 encoding, which aws-hybrid enforces.
MAX_USER_DATA_BYTES = 16 * 1024


def list_ids(cli, user, *filters):
    rows = cli.json(user, "aws", "instance", "list", *filters)
    return [row["ID"] for row in rows]


def state_of(cli, user, instance_id):
    return cli.json(user, "aws", "instance", "show", instance_id)["state"]


def test_instance_round_trip(cli, tmp_path):
    name = unique_name("osc-round-trip")
    user_data = tmp_path / "cloud-init.sh"
    user_data.write_text("#!/bin/sh\necho hello from cloud-init\n")

    created = create_instances(
        cli,
        "--image", TEST_AMI,
        "--type", "t3.micro",
        "--name", name,
        "--availability-zone", "us-east-1b",
        "--tag", "team=blue",
        "--tag", "stage=",
        "--user-data", str(user_data),
    )
    instance_id = created["id"]
    try:
        assert instance_id.startswith("i-")
        assert created["name"] == name
        assert created["image_id"] == TEST_AMI
        assert created["instance_type"] == "t3.micro"
        assert created["availability_zone"] == "us-east-1b"
        assert created["tags"] == {"team": "blue", "stage": ""}
        assert created["state"] in ("pending", "running")
        assert created["region"] == "us-east-1"
        assert "launched_instance_ids" not in created

        listed = cli.json("alpha-member", "aws", "instance", "list", "--name", name)
        assert [row["ID"] for row in listed] == [instance_id]
        assert listed[0]["Name"] == name
        assert listed[0]["Instance Type"] == "t3.micro"
        assert listed[0]["Image ID"] == TEST_AMI
        assert listed[0]["Availability Zone"] == "us-east-1b"

        details = cli.json("alpha-member", "aws", "instance", "show", instance_id)
        assert details["id"] == instance_id
        assert details["name"] == name
        assert details["tags"] == {"team": "blue", "stage": ""}
        assert details["project_id"] == created["project_id"]

        stopped = cli.run("alpha-member", "aws", "instance", "stop", instance_id)
        assert stopped.stdout == ""
        assert state_of(cli, "alpha-member", instance_id) in ("stopping", "stopped")
        assert instance_id in list_ids(cli, "alpha-member", "--name", name, "--state", "stopped")
        assert instance_id not in list_ids(cli, "alpha-member", "--name", name, "--state", "running")

        cli.run("alpha-member", "aws", "instance", "start", instance_id)
        assert state_of(cli, "alpha-member", instance_id) in ("pending", "running")

        cli.run("alpha-member", "aws", "instance", "reboot", instance_id)
        assert state_of(cli, "alpha-member", instance_id) in ("pending", "running")

        deleted = cli.run("alpha-member", "aws", "instance", "delete", instance_id)
        assert deleted.stdout == ""
        assert state_of(cli, "alpha-member", instance_id) in ("shutting-down", "terminated")
    finally:
        cli.run("alpha-member", "aws", "instance", "delete", instance_id)


def test_create_count_shows_every_id(cli):
    name = unique_name("osc-count")
    created = create_instances(
        cli, "--image", TEST_AMI, "--type", "t3.micro", "--name", name, "--count", "2"
    )
    launched = created["launched_instance_ids"]
    try:
        assert len(launched) == 2
        assert created["id"] == launched[0]
        assert sorted(list_ids(cli, "alpha-member", "--name", name)) == sorted(launched)
    finally:
        cli.run("alpha-member", "aws", "instance", "delete", *launched)


def test_reader_create_rejected(cli):
    error = cli.error(
        "alpha-reader", "aws", "instance", "create", "--image", TEST_AMI, "--type", "t3.micro"
    )
    assert "Policy does not allow aws-hybrid:instance:create to be performed" in error
    assert "HTTP 403" in error
    assert "aws-hybrid.policy_not_authorized" in error
    assert "Traceback" not in error


def test_reader_reads_but_cannot_act(cli, shared_instance):
    instance_id = shared_instance["id"]
    assert instance_id in list_ids(cli, "alpha-reader", "--name", shared_instance["name"])
    assert state_of(cli, "alpha-reader", instance_id) in ("pending", "running")

    error = cli.error("alpha-reader", "aws", "instance", "stop", instance_id)
    assert "aws-hybrid:instance:action:stop" in error
    assert "HTTP 403" in error

    error = cli.error("alpha-reader", "aws", "instance", "delete", instance_id)
    assert "aws-hybrid:instance:delete" in error
    assert "HTTP 403" in error


def test_beta_cannot_see_alpha_instance(cli, shared_instance):
    instance_id = shared_instance["id"]

    error = cli.error("beta-member", "aws", "instance", "show", instance_id)
    assert "The instance %s was not found in this project" % instance_id in error
    assert "HTTP 404" in error
    assert "aws-hybrid.instance.not_found" in error

    assert instance_id not in list_ids(cli, "beta-member")
    assert list_ids(cli, "beta-member", "--name", shared_instance["name"]) == []

    for action in ("stop", "reboot", "delete"):
        error = cli.error("beta-member", "aws", "instance", action, instance_id)
        assert "HTTP 404" in error, action

    assert state_of(cli, "alpha-member", instance_id) in ("pending", "running")


def test_stopped_instance_actions(cli, alpha_instance):
    instance_id = alpha_instance["id"]
    cli.run("alpha-member", "aws", "instance", "stop", instance_id)
    assert state_of(cli, "alpha-member", instance_id) == "stopped"

    # Stopping a stopped instance changes nothing and succeeds.
    cli.run("alpha-member", "aws", "instance", "stop", instance_id)

    error = cli.error("alpha-member", "aws", "instance", "reboot", instance_id)
    assert "Cannot reboot instance %s while it is stopped" % instance_id in error
    assert "HTTP 409" in error
    assert "aws-hybrid.instance.invalid_state" in error
    assert state_of(cli, "alpha-member", instance_id) == "stopped"


def test_create_invalid_type_rejected(cli):
    error = cli.error(
        "alpha-member", "aws", "instance", "create", "--image", TEST_AMI, "--type", "huge"
    )
    assert 'Invalid instance_type "huge"' in error
    assert "HTTP 400" in error
    assert "aws-hybrid.invalid_parameter" in error


def test_create_unknown_security_group_form_rejected(cli):
    error = cli.error(
        "alpha-member", "aws", "instance", "create",
        "--image", TEST_AMI, "--type", "t3.micro", "--security-group", "default",
    )
    assert 'Invalid security_group_ids "default"' in error
    assert "HTTP 400" in error


def test_user_data_sent_base64_encoded(cli, tmp_path):
    # One byte over EC2's limit: the server decodes the base64 and reports the file's exact
    # size, which shows that the client sent the whole file, encoded.
    user_data = tmp_path / "too-large.bin"
    user_data.write_bytes(b"x" * (MAX_USER_DATA_BYTES + 1))
    error = cli.error(
        "alpha-member", "aws", "instance", "create",
        "--image", TEST_AMI, "--type", "t3.micro", "--user-data", str(user_data),
    )
    assert "it is %d bytes once decoded" % (MAX_USER_DATA_BYTES + 1) in error
    assert "HTTP 400" in error


def test_user_data_missing_file(cli, tmp_path):
    missing = tmp_path / "missing.yaml"
    error = cli.error(
        "alpha-member", "aws", "instance", "create",
        "--image", TEST_AMI, "--type", "t3.micro", "--user-data", str(missing),
    )
    assert "Cannot read the user data file %s: No such file or directory" % missing in error


def test_tag_without_equals_rejected(cli):
    result = cli.run(
        "alpha-member", "aws", "instance", "create",
        "--image", TEST_AMI, "--type", "t3.micro", "--tag", "team",
        expect_failure=True,
    )
    assert result.returncode == 2
    assert "Expected 'key=value' type, but got: team" in result.stderr


def test_delete_several_reports_each_failure(cli):
    created = create_instances(cli, "--image", TEST_AMI, "--type", "t3.micro")
    instance_id = created["id"]
    missing_id = "i-00000000000000000"
    try:
        error = cli.error("alpha-member", "aws", "instance", "delete", instance_id, missing_id)
        assert "Failed to terminate instance %s" % missing_id in error
        assert "Failed to terminate instance %s" % instance_id not in error
        assert "1 of 2 instances failed to terminate" in error
        assert state_of(cli, "alpha-member", instance_id) in ("shutting-down", "terminated")
    finally:
        cli.run("alpha-member", "aws", "instance", "delete", instance_id)


@pytest.fixture(scope="module")
def paged_instances(cli):
    """Ids, sorted, of three instances that share a unique name."""
    name = unique_name("osc-pages")
    created = create_instances(
        cli, "--image", TEST_AMI, "--type", "t3.micro", "--name", name, "--count", "3"
    )
    launched = sorted(created["launched_instance_ids"])
    yield name, launched
    cli.run("alpha-member", "aws", "instance", "delete", *launched)


def test_list_limit_and_marker(cli, paged_instances):
    name, launched = paged_instances
    first_page = list_ids(cli, "alpha-member", "--name", name, "--limit", "2")
    assert first_page == launched[:2]
    second_page = list_ids(
        cli, "alpha-member", "--name", name, "--limit", "2", "--marker", first_page[-1]
    )
    assert second_page == launched[2:]
    assert list_ids(cli, "alpha-member", "--name", name, "--marker", launched[0]) == launched[1:]


def test_list_follows_next_links(cli, extra_service, paged_instances):
    name, launched = paged_instances
    # A service that returns at most 2 items a page, reached through the endpoint override.
    service = extra_service(OS_API__MAX_LIMIT="2")
    override = {"OS_AWS_HYBRID_ENDPOINT_OVERRIDE": service.url + "/v1"}
    with open(service.log_path) as log:
        lines_before = len(log.readlines())

    rows = cli.json("alpha-member", "aws", "instance", "list", "--name", name, extra_env=override)
    assert [row["ID"] for row in rows] == launched

    with open(service.log_path) as log:
        new_lines = log.readlines()[lines_before:]
    list_requests = [
        line for line in new_lines if "request served" in line and "path=/v1/instances " in line
    ]
    assert len(list_requests) == 2

    one_page = cli.json(
        "alpha-member", "aws", "instance", "list", "--name", name, "--limit", "2",
        extra_env=override,
    )
    assert [row["ID"] for row in one_page] == launched[:2]
