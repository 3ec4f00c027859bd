"""`openstack aws vpc` and `openstack aws subnet` end to end: the real openstack command, the
plugin, aws-hybrid, Keystone and moto."""


def test_vpc_list_and_show(cli):
    rows = cli.json("alpha-reader", "aws", "vpc", "list")
    default = [row for row in rows if row["Default"] is True]
    assert len(default) == 1
    vpc_id = default[0]["ID"]
    assert vpc_id.startswith("vpc-")

    details = cli.json("alpha-reader", "aws", "vpc", "show", vpc_id)
    assert details["id"] == vpc_id
    assert details["cidr_block"] == default[0]["CIDR Block"]
    assert details["is_default"] is True
    assert details["region"] == "us-east-1"


def test_projects_of_other_accounts_see_other_vpcs(cli):
    alpha = {row["ID"] for row in cli.json("alpha-reader", "aws", "vpc", "list")}
    beta = {row["ID"] for row in cli.json("beta-reader", "aws", "vpc", "list")}

    assert alpha
    assert beta
    assert not alpha & beta
    error = cli.error("beta-reader", "aws", "vpc", "show", sorted(alpha)[0])
    assert "HTTP 404" in error
    assert "aws-hybrid.vpc.not_found" in error


def test_subnet_filters(cli):
    vpc_id = cli.json("alpha-reader", "aws", "vpc", "list")[0]["ID"]
    every = cli.json("alpha-reader", "aws", "subnet", "list")
    in_zone = cli.json(
        "alpha-reader", "aws", "subnet", "list",
        "--vpc", vpc_id, "--availability-zone", "us-east-1b", "--long",
    )

    assert len(every) > len(in_zone) >= 1
    assert all(row["Availability Zone"] == "us-east-1b" for row in in_zone)
    assert all(row["VPC ID"] == vpc_id for row in in_zone)
    details = cli.json("alpha-reader", "aws", "subnet", "show", in_zone[0]["ID"])
    assert details["id"] == in_zone[0]["ID"]
    assert details["availability_zone"] == "us-east-1b"


def test_subnet_filter_rejected(cli):
    error = cli.error("alpha-reader", "aws", "subnet", "list", "--vpc", "main")

    assert "HTTP 400" in error
    assert "vpc_id" in error
