"""`openstack aws key pair` end to end: the real openstack command, the plugin, aws-hybrid,
Keystone and moto.

Key pair names are unique per AWS account, which every test shares, so each test uses names
of its own.
"""

import os
import stat

import pytest
from conftest import CommandFailed, unique_name

# Public keys made with ssh-keygen for these tests; their private keys were discarded.
ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIXoii9JIBzis5yxrBrURUu7sX8GRqV7KdwV87lO+G4J "
    "test-ed25519"
)
RSA_1024 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDaWYxyhcNZle6jlyS3eJ4Qe7K4oJc37CthCBJ39SIYF43Z"
    "sqSZy572bSoqnO8vAHCDISb7QKPjsdpZ+gpwHwua3IdSEW5cKY66cHB2kLp55gl6MW8xdBc1i3hiO9oNY38O"
    "izScHLS42sGKW1YH+Gakqq8kXaJRJ4zmgHAnCTWqPw== test-rsa-1024"
)


@pytest.fixture
def key_names(cli):
    """Names for the test's key pairs; each one that exists at the end is deleted."""
    names = []

    def new(prefix="osc-key"):
        names.append(unique_name(prefix))
        return names[-1]

    yield new
    for name in names:
        try:
            cli.run("alpha-member", "aws", "key", "pair", "delete", name)
        except CommandFailed:
            pass


def test_key_pair_round_trip(cli, tmp_path, key_names):
    name = key_names()
    private_key_file = tmp_path / "id_deploy"

    created = cli.json(
        "alpha-member", "aws", "key", "pair", "create", name,
        "--type", "ed25519", "--private-key", str(private_key_file), "--tag", "team=blue",
    )

    assert created["name"] == name
    assert created["key_type"] == "ed25519"
    assert created["tags"] == {"team": "blue"}
    assert "private_key" not in created
    assert stat.S_IMODE(os.stat(private_key_file).st_mode) == 0o600
    assert "BEGIN OPENSSH PRIVATE KEY" in private_key_file.read_text()

    rows = cli.json("alpha-reader", "aws", "key", "pair", "list", "--type", "ed25519")
    assert name in [row["Name"] for row in rows]
    row = next(row for row in rows if row["Name"] == name)
    assert row["Type"] == "ed25519"
    assert row["Fingerprint"] == created["fingerprint"]
    rsa_rows = cli.json("alpha-reader", "aws", "key", "pair", "list", "--type", "rsa")
    assert name not in [row["Name"] for row in rsa_rows]

    details = cli.json("alpha-reader", "aws", "key", "pair", "show", name)
    assert details["id"] == created["id"]
    assert details["public_key"].startswith("ssh-ed25519 ")

    deleted = cli.run("alpha-member", "aws", "key", "pair", "delete", name)
    assert deleted.stdout == ""
    error = cli.error("alpha-member", "aws", "key", "pair", "show", name)
    assert "HTTP 404" in error
    assert "aws-hybrid.key_pair.not_found" in error


def test_create_without_file_shows_private_key(cli, key_names):
    created = cli.json("alpha-member", "aws", "key", "pair", "create", key_names())

    assert created["key_type"] == "rsa"
    assert created["private_key"].startswith("-----BEGIN")


def test_existing_private_key_file_is_kept(cli, tmp_path, key_names):
    name = key_names()
    existing = tmp_path / "id_existing"
    existing.write_text("keep me\n")

    error = cli.error(
        "alpha-member", "aws", "key", "pair", "create", name, "--private-key", str(existing)
    )

    assert "already exists" in error
    assert existing.read_text() == "keep me\n"
    # No key pair was created, so the name is still free.
    assert "HTTP 404" in cli.error("alpha-member", "aws", "key", "pair", "show", name)


def test_import_public_key(cli, tmp_path, key_names):
    name = key_names("osc-import")
    public_key_file = tmp_path / "id_ed25519.pub"
    public_key_file.write_text(ED25519 + "\n")

    imported = cli.json(
        "alpha-member", "aws", "key", "pair", "create", name,
        "--public-key", str(public_key_file),
    )

    assert imported["key_type"] == "ed25519"
    assert imported["public_key"] == ED25519
    assert "private_key" not in imported


def test_malformed_public_key_is_rejected(cli, tmp_path, key_names):
    public_key_file = tmp_path / "id_rsa.pub"
    public_key_file.write_text(RSA_1024 + "\n")

    error = cli.error(
        "alpha-member", "aws", "key", "pair", "create", key_names(),
        "--public-key", str(public_key_file),
    )

    assert "HTTP 400" in error
    assert "public_key" in error
    assert "1024 bits" in error


def test_duplicate_name_is_rejected(cli, key_names):
    name = key_names()
    cli.json("alpha-member", "aws", "key", "pair", "create", name, "--type", "ed25519")

    error = cli.error("alpha-member", "aws", "key", "pair", "create", name)

    assert "HTTP 409" in error
    assert "aws-hybrid.key_pair.exists" in error


def test_other_projects_and_readers_cannot_change_it(cli, key_names):
    name = key_names()
    cli.json("alpha-member", "aws", "key", "pair", "create", name, "--type", "ed25519")

    assert "HTTP 404" in cli.error("beta-member", "aws", "key", "pair", "show", name)
    assert "HTTP 404" in cli.error("beta-member", "aws", "key", "pair", "delete", name)
    error = cli.error("alpha-reader", "aws", "key", "pair", "delete", name)
    assert "HTTP 403" in error
    assert "aws-hybrid:key-pair:delete" in error
    assert cli.json("alpha-member", "aws", "key", "pair", "show", name)["name"] == name
