"""`openstack aws volume` and `openstack aws snapshot` end to end: the real openstack
command, the plugin, aws-hybrid, Keystone and moto.

The tests share the harness projects, so each one finds its volumes and snapshots by id or by
a unique name.
"""

import pytest
from conftest import CommandFailed, unique_name


def cleanup(cli, *args):
    """Run a cleanup command as alpha-member; it fails when the test already did the same."""
    try:
        cli.run("alpha-member", *args)
    except CommandFailed:
        pass


@pytest.fixture
def volume(cli):
    """A 1 GiB volume of project alpha in us-east-1a, deleted after the test."""
    created = cli.json(
        "alpha-member", "aws", "volume", "create",
        "--size", "1", "--availability-zone", "us-east-1a", "--name", unique_name("osc-volume"),
    )
    yield created
    cleanup(cli, "aws", "volume", "delete", created["id"])


def test_volume_round_trip(cli, alpha_instance):
    name = unique_name("osc-volume")
    zone = alpha_instance["availability_zone"]
    created = cli.json(
        "alpha-member", "aws", "volume", "create",
        "--size", "4", "--type", "gp3", "--availability-zone", zone,
        "--name", name, "--tag", "team=blue", "--encrypted",
    )
    volume_id = created["id"]
    try:
        assert volume_id.startswith("vol-")
        assert created["name"] == name
        assert created["size"] == 4
        assert created["volume_type"] == "gp3"
        assert created["availability_zone"] == zone
        assert created["encrypted"] is True
        assert created["tags"] == {"team": "blue"}

        rows = cli.json("alpha-member", "aws", "volume", "list", "--name", name)
        assert [row["ID"] for row in rows] == [volume_id]
        assert rows[0]["Size"] == 4

        attached = cli.run(
            "alpha-member", "aws", "volume", "attach", volume_id,
            "--instance", alpha_instance["id"], "--device", "/dev/sdf",
        )
        assert attached.stdout == ""
        details = cli.json("alpha-member", "aws", "volume", "show", volume_id)
        assert details["state"] == "in-use"
        assert details["attachments"][0]["instance_id"] == alpha_instance["id"]
        assert details["attachments"][0]["device"] == "/dev/sdf"
        table = cli.run("alpha-member", "aws", "volume", "list", "--name", name).stdout
        assert "%s:/dev/sdf (attached)" % alpha_instance["id"] in table

        error = cli.error("alpha-member", "aws", "volume", "delete", volume_id)
        assert "HTTP 409" in error
        assert "aws-hybrid.volume.in_use" in error

        cli.run("alpha-member", "aws", "volume", "detach", volume_id)
        assert cli.json("alpha-member", "aws", "volume", "show", volume_id)["state"] == "available"

        deleted = cli.run("alpha-member", "aws", "volume", "delete", volume_id)
        assert deleted.stdout == ""
        error = cli.error("alpha-member", "aws", "volume", "show", volume_id)
        assert "HTTP 404" in error
        assert "aws-hybrid.volume.not_found" in error
    finally:
        cleanup(cli, "aws", "volume", "detach", volume_id)
        cleanup(cli, "aws", "volume", "delete", volume_id)


def test_snapshot_round_trip(cli, volume):
    name = unique_name("osc-snapshot")
    snapshot = cli.json(
        "alpha-member", "aws", "snapshot", "create",
        "--volume", volume["id"], "--name", name, "--description", "before the upgrade",
    )
    snapshot_id = snapshot["id"]
    copy_id = None
    try:
        assert snapshot_id.startswith("snap-")
        assert snapshot["volume_id"] == volume["id"]
        assert snapshot["description"] == "before the upgrade"

        rows = cli.json("alpha-member", "aws", "snapshot", "list", "--volume", volume["id"])
        assert [row["ID"] for row in rows] == [snapshot_id]
        assert cli.json("alpha-reader", "aws", "snapshot", "show", snapshot_id)["name"] == name

        copy = cli.json("alpha-member", "aws", "volume", "create", "--snapshot", snapshot_id)
        copy_id = copy["id"]
        assert copy["snapshot_id"] == snapshot_id
        assert copy["size"] == volume["size"]

        cli.run("alpha-member", "aws", "snapshot", "delete", snapshot_id)
        error = cli.error("alpha-member", "aws", "snapshot", "show", snapshot_id)
        assert "aws-hybrid.snapshot.not_found" in error
    finally:
        cleanup(cli, "aws", "snapshot", "delete", snapshot_id)
        if copy_id:
            cli.run("alpha-member", "aws", "volume", "delete", copy_id)


def test_volume_too_small_for_type(cli):
    error = cli.error(
        "alpha-member", "aws", "volume", "create", "--size", "100", "--type", "st1"
    )
    assert "Invalid size 100: a st1 volume must be between 125 and 16384 GiB." in error
    assert "HTTP 400" in error
    assert "aws-hybrid.invalid_parameter" in error


def test_attach_bad_device_rejected(cli, volume, alpha_instance):
    error = cli.error(
        "alpha-member", "aws", "volume", "attach", volume["id"],
        "--instance", alpha_instance["id"], "--device", "/dev/sda1",
    )
    assert 'Invalid device "/dev/sda1"' in error
    assert "HTTP 400" in error


def test_reader_cannot_create_volume(cli):
    error = cli.error("alpha-reader", "aws", "volume", "create", "--size", "1")
    assert "Policy does not allow aws-hybrid:volume:create to be performed" in error
    assert "HTTP 403" in error


def test_beta_cannot_see_alpha_volume(cli, volume):
    error = cli.error("beta-member", "aws", "volume", "show", volume["id"])
    assert "HTTP 404" in error
    assert "aws-hybrid.volume.not_found" in error
    rows = cli.json("beta-member", "aws", "volume", "list", "--name", volume["name"])
    assert rows == []

    error = cli.error("beta-member", "aws", "snapshot", "create", "--volume", volume["id"])
    assert "HTTP 400" in error
    assert "volume_id" in error
