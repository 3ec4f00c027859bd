"""`openstack aws security group` and `openstack aws security group rule` end to end: the real
openstack command, the plugin, aws-hybrid, Keystone and moto."""

import pytest
from conftest import CommandFailed, unique_name


@pytest.fixture
def group(cli):
    """A security group of project alpha, deleted after the test."""
    created = cli.json(
        "alpha-member", "aws", "security", "group", "create", unique_name("osc-group"),
        "--description", "OSC test group", "--tag", "team=blue",
    )
    yield created
    try:
        cli.run("alpha-member", "aws", "security", "group", "delete", created["id"])
    except CommandFailed:
        pass


def add_rule(cli, group_id, *args):
    return cli.json("alpha-member", "aws", "security", "group", "rule", "create", group_id, *args)


def test_security_group_round_trip(cli):
    name = unique_name("osc-group")
    created = cli.json(
        "alpha-member", "aws", "security", "group", "create", name, "--tag", "team=blue"
    )
    group_id = created["id"]
    try:
        assert group_id.startswith("sg-")
        assert created["name"] == name
        assert created["description"] == name
        assert created["tags"] == {"team": "blue"}
        assert [rule["direction"] for rule in created["rules"]] == ["egress"]

        rows = cli.json("alpha-reader", "aws", "security", "group", "list", "--name", name)
        assert [row["ID"] for row in rows] == [group_id]
        assert rows[0]["VPC ID"] == created["vpc_id"]
        details = cli.json("alpha-reader", "aws", "security", "group", "show", group_id)
        assert details["rules"] == created["rules"]
        table = cli.run("alpha-reader", "aws", "security", "group", "show", group_id).stdout
        assert "egress any to 0.0.0.0/0" in table

        deleted = cli.run("alpha-member", "aws", "security", "group", "delete", group_id)
        assert deleted.stdout == ""
        error = cli.error("alpha-member", "aws", "security", "group", "show", group_id)
        assert "HTTP 404" in error
    finally:
        try:
            cli.run("alpha-member", "aws", "security", "group", "delete", group_id)
        except CommandFailed:
            pass


def test_rules_are_added_listed_and_removed(cli, group):
    group_id = group["id"]
    ssh = add_rule(
        cli, group_id, "--protocol", "tcp", "--dst-port", "22",
        "--remote-ip", "203.0.113.0/24", "--description", "ssh",
    )
    assert ssh["direction"] == "ingress"
    assert (ssh["port_range_min"], ssh["port_range_max"]) == (22, 22)
    assert ssh["remote_ip_prefix"] == "203.0.113.0/24"
    web = add_rule(
        cli, group_id, "--protocol", "tcp", "--dst-port", "8000:8080",
        "--remote-group", group_id,
    )
    assert web["remote_group_id"] == group_id
    ping = add_rule(
        cli, group_id, "--protocol", "icmp", "--icmp-type", "8", "--remote-ip", "0.0.0.0/0"
    )
    assert ping["icmp_type"] == 8
    https = add_rule(
        cli, group_id, "--egress", "--protocol", "tcp", "--dst-port", "443",
        "--remote-ip", "::/0",
    )
    assert https["ethertype"] == "IPv6"

    ingress = cli.json(
        "alpha-reader", "aws", "security", "group", "rule", "list", group_id, "--ingress"
    )
    assert sorted(row["ID"] for row in ingress) == sorted([ssh["id"], web["id"], ping["id"]])
    ssh_row = next(row for row in ingress if row["ID"] == ssh["id"])
    assert ssh_row["Port Range"] == "22:22"
    egress = cli.json(
        "alpha-reader", "aws", "security", "group", "rule", "list", group_id, "--egress"
    )
    assert https["id"] in [row["ID"] for row in egress]
    shown = cli.json(
        "alpha-reader", "aws", "security", "group", "rule", "show", group_id, ping["id"]
    )
    assert shown == ping

    removed = cli.run(
        "alpha-member", "aws", "security", "group", "rule", "delete", group_id,
        ssh["id"], https["id"],
    )
    assert removed.stdout == ""
    remaining = cli.json("alpha-member", "aws", "security", "group", "rule", "list", group_id)
    assert ssh["id"] not in [row["ID"] for row in remaining]
    assert https["id"] not in [row["ID"] for row in remaining]
    assert len(remaining) == 3


def test_duplicate_and_invalid_rules_are_rejected(cli, group):
    group_id = group["id"]
    first = add_rule(
        cli, group_id, "--protocol", "udp", "--dst-port", "53", "--remote-ip", "10.0.0.0/8"
    )

    duplicate = cli.error(
        "alpha-member", "aws", "security", "group", "rule", "create", group_id,
        "--protocol", "17", "--dst-port", "53", "--remote-ip", "10.0.0.0/8",
    )
    assert "HTTP 409" in duplicate
    assert first["id"] in duplicate

    cases = [
        (["--protocol", "tcp", "--remote-ip", "10.0.0.1/8"], "remote_ip_prefix"),
        (["--protocol", "gre", "--remote-ip", "10.0.0.0/8"], "protocol"),
        (["--protocol", "tcp", "--dst-port", "90:80", "--remote-ip", "10.0.0.0/8"], "reversed"),
    ]
    for args, expected in cases:
        error = cli.error(
            "alpha-member", "aws", "security", "group", "rule", "create", group_id, *args
        )
        assert "HTTP 400" in error, args
        assert expected in error, args


def test_other_projects_and_readers_cannot_change_it(cli, group):
    group_id = group["id"]

    assert "HTTP 404" in cli.error("beta-member", "aws", "security", "group", "show", group_id)
    assert "HTTP 404" in cli.error(
        "beta-member", "aws", "security", "group", "rule", "list", group_id
    )
    error = cli.error("alpha-reader", "aws", "security", "group", "delete", group_id)
    assert "HTTP 403" in error
    assert "aws-hybrid:security-group:delete" in error
    rows = cli.json("alpha-member", "aws", "security", "group", "list", "--name", group["name"])
    assert [row["ID"] for row in rows] == [group_id]
