"""Output formats (-f json|table|value|csv|yaml|shell, -c) and the plugin's registration in
the openstack command."""

import json

import yaml

LIST_HEADERS = [
    "ID", "Name", "State", "Instance Type", "Image ID", "Availability Zone", "Private IP Address",
]


def test_list_value_format(cli, shared_instance):
    result = cli.run(
        "alpha-member", "aws", "instance", "list", "--name", shared_instance["name"],
        "-f", "value", "-c", "ID", "-c", "State",
    )
    assert result.stdout.split() in (
        [shared_instance["id"], "running"],
        [shared_instance["id"], "pending"],
    )


def test_list_table_format(cli, shared_instance):
    result = cli.run(
        "alpha-member", "aws", "instance", "list", "--name", shared_instance["name"], "-f", "table"
    )
    lines = result.stdout.splitlines()
    header = [cell.strip() for cell in lines[1].strip("|").split("|")]
    assert header == LIST_HEADERS
    assert shared_instance["id"] in lines[3]
    assert len(lines) == 5


def test_list_csv_format(cli, shared_instance):
    result = cli.run(
        "alpha-member", "aws", "instance", "list", "--name", shared_instance["name"], "-f", "csv"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join('"%s"' % header for header in LIST_HEADERS)
    assert lines[1].startswith('"%s","%s"' % (shared_instance["id"], shared_instance["name"]))


def test_list_yaml_long_format(cli, shared_instance):
    result = cli.run(
        "alpha-member", "aws", "instance", "list", "--name", shared_instance["name"],
        "--long", "-f", "yaml",
    )
    rows = yaml.safe_load(result.stdout)
    assert len(rows) == 1
    assert rows[0]["ID"] == shared_instance["id"]
    assert rows[0]["Tags"] == {"team": "blue", "cost": "42"}
    assert isinstance(rows[0]["Security Group IDs"], list)
    assert "Launched At" in rows[0]


def test_list_json_empty(cli):
    assert cli.json("alpha-member", "aws", "instance", "list", "--name", "no-such-instance") == []


def test_show_json_keeps_structures(cli, shared_instance):
    details = cli.json("alpha-member", "aws", "instance", "show", shared_instance["id"])
    assert details["tags"] == {"team": "blue", "cost": "42"}
    assert isinstance(details["security_group_ids"], list)


def test_show_table_formats_tags(cli, shared_instance):
    table = cli.run("alpha-member", "aws", "instance", "show", shared_instance["id"], "-f", "table")
    tags_row = [line for line in table.stdout.splitlines() if line.startswith("| tags ")]
    assert len(tags_row) == 1
    assert "cost='42'" in tags_row[0]
    assert "team='blue'" in tags_row[0]


def test_show_value_and_shell_formats(cli, shared_instance):
    value = cli.run(
        "alpha-member", "aws", "instance", "show", shared_instance["id"],
        "-f", "value", "-c", "id", "-c", "name",
    )
    assert value.stdout.split() == [shared_instance["id"], shared_instance["name"]]

    shell = cli.run(
        "alpha-member", "aws", "instance", "show", shared_instance["id"], "-f", "shell", "-c", "id"
    )
    assert shell.stdout == 'id="%s"\n' % shared_instance["id"]


def test_region_list_columns(cli):
    result = cli.run(
        "alpha-reader", "aws", "region", "list", "-f", "json", "-c", "Name", "-c", "Allowed"
    )
    rows = json.loads(result.stdout)
    assert set(rows[0]) == {"Name", "Allowed"}
    assert isinstance(rows[0]["Allowed"], bool)


def test_commands_registered(cli):
    groups = cli.json("alpha-reader", "command", "list", "--group", "aws_hybrid")
    commands = sorted(command for group in groups for command in group["Commands"])
    assert commands == sorted(
        [
            "aws address associate",
            "aws address create",
            "aws address delete",
            "aws address disassociate",
            "aws address list",
            "aws address show",
            "aws availability zone list",
            "aws image create",
            "aws image delete",
            "aws image list",
            "aws image set",
            "aws image show",
            "aws image unset",
            "aws instance console log show",
            "aws instance create",
            "aws instance delete",
            "aws instance list",
            "aws instance reboot",
            "aws instance resize",
            "aws instance show",
            "aws instance start",
            "aws instance stop",
            "aws instance type list",
            "aws instance type show",
            "aws key pair create",
            "aws key pair delete",
            "aws key pair list",
            "aws key pair show",
            "aws region list",
            "aws security group create",
            "aws security group delete",
            "aws security group list",
            "aws security group rule create",
            "aws security group rule delete",
            "aws security group rule list",
            "aws security group rule show",
            "aws security group show",
            "aws snapshot create",
            "aws snapshot delete",
            "aws snapshot list",
            "aws snapshot show",
            "aws subnet list",
            "aws subnet show",
            "aws volume attach",
            "aws volume create",
            "aws volume delete",
            "aws volume detach",
            "aws volume list",
            "aws volume show",
            "aws vpc list",
            "aws vpc show",
        ]
    )


def test_create_help_lists_options(cli):
    result = cli.run("alpha-reader", "help", "aws", "instance", "create")
    for option in (
        "--image <image-id>",
        "--type <instance-type>",
        "--name <name>",
        "--key-name <key-name>",
        "--security-group <security-group-id>",
        "--subnet <subnet-id>",
        "--availability-zone <zone>",
        "--count <count>",
        "--user-data <file>",
        "--tag <key=value>",
    ):
        assert option in result.stdout, option


def test_api_version_option(cli):
    rows = cli.json(
        "alpha-reader", "--os-aws-hybrid-api-version", "1.0", "aws", "availability", "zone", "list"
    )
    assert rows

    error = cli.error("alpha-reader", "--os-aws-hybrid-api-version", "2", "aws", "region", "list")
    assert "aws-hybrid API version 2 is not supported: use one of 1, 1.0" in error

    error = cli.error(
        "alpha-reader", "aws", "region", "list", extra_env={"OS_AWS_HYBRID_API_VERSION": "3"}
    )
    assert "aws-hybrid API version 3 is not supported" in error
