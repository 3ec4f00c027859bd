"""`openstack aws image create|delete|set|unset` end to end: the real openstack command, the
plugin, aws-hybrid, Keystone and moto."""

import uuid

from conftest import TEST_AMI, CommandFailed, unique_name


def cleanup(cli, image_id):
    try:
        cli.run("alpha-member", "aws", "image", "delete", image_id)
    except CommandFailed:
        pass


def test_image_round_trip(cli, alpha_instance):
    name = unique_name("osc-image")
    created = cli.json(
        "alpha-member", "aws", "image", "create", name,
        "--instance", alpha_instance["id"], "--description", "web tier",
        "--no-reboot", "--tag", "team=blue",
    )
    image_id = created["id"]
    try:
        assert image_id.startswith("ami-")
        assert created["name"] == name
        assert created["description"] == "web tier"
        assert created["tags"] == {"team": "blue"}
        assert created["project_id"]

        cli.run("alpha-member", "aws", "image", "set", image_id, "--tag", "stage=test")
        details = cli.json("alpha-member", "aws", "image", "show", image_id)
        assert details["tags"] == {"team": "blue", "stage": "test"}
        cli.run("alpha-member", "aws", "image", "unset", image_id, "--tag", "team")
        details = cli.json("alpha-member", "aws", "image", "show", image_id)
        assert details["tags"] == {"stage": "test"}
        cli.run("alpha-member", "aws", "image", "set", image_id, "--no-tag")
        assert cli.json("alpha-member", "aws", "image", "show", image_id)["tags"] == {}

        deleted = cli.run("alpha-member", "aws", "image", "delete", image_id)
        assert deleted.stdout == ""
        error = cli.error("alpha-member", "aws", "image", "show", image_id)
        assert "HTTP 404" in error
        assert "aws-hybrid.image.not_found" in error
    finally:
        cleanup(cli, image_id)


def test_image_create_with_idempotency_key(cli, alpha_instance):
    name = unique_name("osc-once")
    key = str(uuid.uuid4())
    arguments = ("aws", "image", "create", name, "--instance", alpha_instance["id"],
                 "--idempotency-key", key)
    first = cli.json("alpha-member", *arguments)
    try:
        again = cli.json("alpha-member", *arguments)
        assert again["id"] == first["id"]
    finally:
        cleanup(cli, first["id"])


def test_public_image_cannot_be_deleted(cli):
    error = cli.error("alpha-member", "aws", "image", "delete", TEST_AMI)

    assert "HTTP 403" in error
    assert "aws-hybrid.image.not_owned" in error


def test_image_name_rejected(cli, alpha_instance):
    error = cli.error(
        "alpha-member", "aws", "image", "create", "web#1", "--instance", alpha_instance["id"]
    )

    assert "HTTP 400" in error
    assert "name" in error
