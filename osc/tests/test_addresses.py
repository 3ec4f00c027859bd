"""`openstack aws address` end to end: the real openstack command, the plugin, aws-hybrid,
Keystone and moto.

The emulator hands out addresses in 127.0.0.0/8, so no test sends traffic to one.
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
def address(cli):
    """An Elastic IP address of project alpha, released after the test."""
    created = cli.json(
        "alpha-member", "aws", "address", "create", "--name", unique_name("osc-address")
    )
    yield created
    cleanup(cli, "aws", "address", "disassociate", created["id"])
    cleanup(cli, "aws", "address", "delete", created["id"])


def test_address_round_trip(cli, alpha_instance):
    name = unique_name("osc-address")
    created = cli.json(
        "alpha-member", "aws", "address", "create", "--name", name, "--tag", "team=blue"
    )
    allocation_id = created["id"]
    try:
        assert allocation_id.startswith("eipalloc-")
        assert created["name"] == name
        assert created["tags"] == {"team": "blue"}
        assert created["instance_id"] is None

        rows = cli.json("alpha-member", "aws", "address", "list", "--name", name)
        assert [row["ID"] for row in rows] == [allocation_id]
        assert rows[0]["Public IP"] == created["public_ip"]

        associated = cli.run(
            "alpha-member", "aws", "address", "associate", allocation_id,
            "--instance", alpha_instance["id"],
        )
        assert associated.stdout == ""
        details = cli.json("alpha-member", "aws", "address", "show", allocation_id)
        assert details["instance_id"] == alpha_instance["id"]
        assert details["association_id"].startswith("eipassoc-")
        rows = cli.json(
            "alpha-reader", "aws", "address", "list", "--instance", alpha_instance["id"]
        )
        assert [row["ID"] for row in rows] == [allocation_id]

        error = cli.error("alpha-member", "aws", "address", "delete", allocation_id)
        assert "HTTP 409" in error
        assert "aws-hybrid.address.in_use" in error

        cli.run("alpha-member", "aws", "address", "disassociate", allocation_id)
        assert cli.json("alpha-member", "aws", "address", "show", allocation_id)["instance_id"] is None

        cli.run("alpha-member", "aws", "address", "delete", allocation_id)
        error = cli.error("alpha-member", "aws", "address", "show", allocation_id)
        assert "HTTP 404" in error
        assert "aws-hybrid.address.not_found" in error
    finally:
        cleanup(cli, "aws", "address", "disassociate", allocation_id)
        cleanup(cli, "aws", "address", "delete", allocation_id)


def test_associate_needs_a_target(cli, address):
    result = cli.run(
        "alpha-member", "aws", "address", "associate", address["id"], expect_failure=True
    )
    assert result.returncode == 2
    assert "--instance" in result.stderr


def test_associate_malformed_instance_rejected(cli, address):
    error = cli.error(
        "alpha-member", "aws", "address", "associate", address["id"], "--instance", "web-1"
    )
    assert 'Invalid instance_id "web-1"' in error
    assert "HTTP 400" in error


def test_beta_cannot_use_alpha_address(cli, address):
    error = cli.error("beta-member", "aws", "address", "show", address["id"])
    assert "HTTP 404" in error
    assert "aws-hybrid.address.not_found" in error
    assert cli.json("beta-member", "aws", "address", "list", "--name", address["name"]) == []

    error = cli.error("beta-member", "aws", "address", "delete", address["id"])
    assert "HTTP 404" in error
