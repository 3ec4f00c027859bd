"""`openstack aws instance resize`, `console log show` and `create --block-device` end to
end: the real openstack command, the plugin, aws-hybrid, Keystone and moto."""

import time

from conftest import TEST_AMI, create_instances, unique_name

STOP_TIMEOUT_SECONDS = 60


def wait_for_state(cli, instance_id, state):
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while cli.json("alpha-member", "aws", "instance", "show", instance_id)["state"] != state:
        assert time.monotonic() < deadline, "%s never reached %s" % (instance_id, state)
        time.sleep(0.5)


def test_resize_stopped_instance(cli, alpha_instance):
    instance_id = alpha_instance["id"]
    error = cli.error(
        "alpha-member", "aws", "instance", "resize", instance_id, "--type", "t3.large"
    )
    assert "HTTP 409" in error
    assert "running" in error

    cli.run("alpha-member", "aws", "instance", "stop", instance_id)
    wait_for_state(cli, instance_id, "stopped")
    resized = cli.run(
        "alpha-member", "aws", "instance", "resize", instance_id, "--type", "t3.large"
    )

    assert resized.stdout == ""
    details = cli.json("alpha-member", "aws", "instance", "show", instance_id)
    assert details["instance_type"] == "t3.large"


def test_console_log_show(cli, alpha_instance):
    whole = cli.run("alpha-member", "aws", "instance", "console", "log", "show",
                    alpha_instance["id"]).stdout
    tail = cli.run("alpha-member", "aws", "instance", "console", "log", "show",
                   alpha_instance["id"], "--lines", "2").stdout

    assert whole.startswith("Linux version")
    assert len(tail.splitlines()) == 2
    assert whole.endswith(tail)


def test_create_with_block_device_and_imdsv2(cli):
    created = create_instances(
        cli, "--image", TEST_AMI, "--type", "t3.micro", "--name", unique_name("osc-bdm"),
        "--block-device", "device_name=/dev/sdf,volume_size=20,encrypted=true",
    )
    try:
        details = cli.json("alpha-member", "aws", "instance", "show", created["id"])
        devices = {d["device_name"]: d for d in details["block_device_mappings"]}
        assert devices["/dev/sdf"]["volume_id"].startswith("vol-")
        assert devices["/dev/sdf"]["delete_on_termination"] is True
        assert details["metadata_options"]["http_tokens"] == "required"
    finally:
        cli.run("alpha-member", "aws", "instance", "delete", created["id"])


def test_create_with_bad_block_device(cli):
    error = cli.error(
        "alpha-member", "aws", "instance", "create", "--image", TEST_AMI, "--type", "t3.micro",
        "--block-device", "device_name=/dev/sdf,volume_size=0",
    )

    assert "HTTP 400" in error
    assert "block_device_mappings[0].volume_size" in error
