"""`openstack aws region|availability zone|instance type|image` commands against the harness.

The harness maps project alpha to us-east-1 and allows us-east-1 and us-west-2.
"""


def test_region_list_marks_allowed_regions(cli):
    rows = cli.json("alpha-reader", "aws", "region", "list")
    allowed = sorted(row["Name"] for row in rows if row["Allowed"])
    assert allowed == ["us-east-1", "us-west-2"]
    names = [row["Name"] for row in rows]
    assert "eu-west-1" in names
    by_name = {row["Name"]: row for row in rows}
    assert by_name["us-east-1"]["Endpoint"] == "ec2.us-east-1.amazonaws.com"


def test_availability_zone_list(cli):
    rows = cli.json("alpha-reader", "aws", "availability", "zone", "list")
    assert rows, "no availability zones listed"
    for row in rows:
        assert row["Region"] == "us-east-1"
        assert row["Name"].startswith("us-east-1")
        assert row["State"] == "available"
    assert "us-east-1a" in [row["Name"] for row in rows]


def test_instance_type_list_limit(cli):
    rows = cli.json("alpha-reader", "aws", "instance", "type", "list", "--limit", "5")
    assert len(rows) == 5
    names = [row["Name"] for row in rows]
    assert names == sorted(names)
    assert set(rows[0]) == {"Name", "vCPUs", "Memory (MiB)", "Architectures", "Current Generation"}


def test_instance_type_list_filters(cli):
    rows = cli.json(
        "alpha-reader", "aws", "instance", "type", "list",
        "--vcpus", "2", "--architecture", "arm64", "--long",
    )
    assert rows, "no arm64 instance type with 2 vCPUs listed"
    for row in rows:
        assert row["vCPUs"] == 2, row
        assert "arm64" in row["Architectures"], row
        assert "ENA Support" in row
    assert "t4g.small" in [row["Name"] for row in rows]


def test_instance_type_show(cli):
    details = cli.json("alpha-reader", "aws", "instance", "type", "show", "t3.micro")
    assert details["name"] == "t3.micro"
    assert details["vcpus"] == 2
    assert details["memory_mib"] == 1024
    assert details["architectures"] == ["x86_64"]


def test_instance_type_show_unknown(cli):
    error = cli.error("alpha-reader", "aws", "instance", "type", "show", "t3.enormous")
    assert "The instance type t3.enormous is not offered in this project's region" in error
    assert "HTTP 404" in error
    assert "aws-hybrid.instance_type.not_found" in error


def test_image_list_defaults_to_own_account(cli, harness):
    account_id = harness["projects"]["alpha"]["aws_account_id"]
    rows = cli.json("alpha-reader", "aws", "image", "list")
    for row in rows:
        assert row["Owner ID"] == account_id, row


def test_image_list_owner_amazon_and_show(cli):
    rows = cli.json("alpha-reader", "aws", "image", "list", "--owner", "amazon", "--limit", "3")
    assert len(rows) == 3
    assert set(rows[0]) == {"ID", "Name", "State", "Owner ID", "Architecture"}
    image_id = rows[0]["ID"]
    assert image_id.startswith("ami-")

    details = cli.json("alpha-reader", "aws", "image", "show", image_id)
    assert details["id"] == image_id
    assert details["name"] == rows[0]["Name"]
    assert details["owner_id"] == rows[0]["Owner ID"]


def test_image_list_filters(cli):
    rows = cli.json(
        "alpha-reader", "aws", "image", "list",
        "--owner", "amazon", "--architecture", "arm64", "--state", "available",
        "--limit", "10", "--long",
    )
    assert rows, "no available arm64 image listed"
    for row in rows:
        assert row["Architecture"] == "arm64"
        assert row["State"] == "available"
        assert "Virtualization Type" in row


def test_image_list_invalid_owner(cli):
    error = cli.error("alpha-reader", "aws", "image", "list", "--owner", "someone")
    assert 'Invalid owner "someone"' in error
    assert "HTTP 400" in error


def test_image_show_unknown(cli):
    error = cli.error("alpha-reader", "aws", "image", "show", "ami-00000000000000000")
    assert "ami-00000000000000000" in error
    assert "HTTP 404" in error
    assert "aws-hybrid.image.not_found" in error
