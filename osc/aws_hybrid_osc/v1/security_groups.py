"""``openstack aws security group`` and ``openstack aws security group rule`` commands:
security groups of the current project and their rules."""

import argparse
import urllib.parse

from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common
from aws_hybrid_osc.v1.volumes import apply_to_each

MAX_PORT = 65535


class RulesColumn(format_columns.ListDictColumn):
    """The rules of a group, one line each in table output."""

    def human_readable(self):
        return "\n".join(describe_rule(rule) for rule in self._value or [])


FORMATTERS = {"tags": format_columns.DictColumn, "rules": RulesColumn}

LIST_COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("Description", "description"),
    ("VPC ID", "vpc_id"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("Rules", "rules"),
    ("Tags", "tags"),
)

RULE_COLUMNS = (
    ("ID", "id"),
    ("Direction", "direction"),
    ("Ethertype", "ethertype"),
    ("Protocol", "protocol"),
    ("Port Range", "port_range"),
    ("ICMP Type", "icmp_type"),
    ("ICMP Code", "icmp_code"),
    ("Remote IP Prefix", "remote_ip_prefix"),
    ("Remote Group ID", "remote_group_id"),
    ("Description", "description"),
)


def port_range(rule):
    """Return the port range of a tcp or udp rule as ``min:max``, or None."""
    if rule.get("port_range_min") is None:
        return None
    return "%s:%s" % (rule["port_range_min"], rule["port_range_max"])


def describe_rule(rule):
    """Describe in one line what a rule allows, e.g. ``ingress tcp 22:22 from 10.0.0.0/8``."""
    words = [rule["direction"], rule["protocol"]]
    ports = port_range(rule)
    if ports:
        words.append(ports)
    if rule.get("icmp_type") is not None:
        words.append("type %s" % rule["icmp_type"])
    if rule.get("icmp_code") is not None:
        words.append("code %s" % rule["icmp_code"])
    remote = rule.get("remote_ip_prefix") or rule.get("remote_group_id") or "(prefix list)"
    words.append(("from %s" if rule["direction"] == "ingress" else "to %s") % remote)
    words.append("(%s)" % rule["id"])
    return " ".join(words)


def _group_path(group_id, *rest):
    return api.resource_path("security-groups", group_id, *rest)


def _rule_path(group_id, rule_id):
    return _group_path(group_id, "rules", urllib.parse.quote(rule_id, safe=""))


def _with_port_range(rule):
    rule = dict(rule)
    rule["port_range"] = port_range(rule)
    return rule


class ListSecurityGroup(command.Lister):
    """List the security groups of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--name", metavar="<name>", help="Only the group with this name")
        parser.add_argument("--vpc", metavar="<vpc-id>", help="Only groups of this VPC (vpc-...)")
        parser.add_argument("--long", action="store_true", help="Also show the rules and tags")
        common.add_pagination_arguments(parser, "security groups")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        groups = client.list_resources(
            "security-groups",
            "security_groups",
            filters={"name": parsed_args.name, "vpc_id": parsed_args.vpc},
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, groups, FORMATTERS)


class ShowSecurityGroup(command.ShowOne):
    """Show one security group of the current project with its rules"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="<security-group-id>", help="Group id (sg-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_group_path(parsed_args.group))
        return common.show_output(body["security_group"], FORMATTERS)


class CreateSecurityGroup(command.ShowOne):
    """Create a security group in the current project's AWS account"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<name>", help="Group name, unique in its VPC")
        parser.add_argument(
            "--description",
            metavar="<description>",
            help="Group description (default: the name)",
        )
        parser.add_argument(
            "--vpc",
            metavar="<vpc-id>",
            help="VPC of the group (vpc-...; default: the default VPC of the region)",
        )
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the group; repeat the option to set several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        optional = {
            "description": parsed_args.description,
            "vpc_id": parsed_args.vpc,
            "tags": parsed_args.tags,
        }
        request = {"name": parsed_args.name}
        request.update({field: value for field, value in optional.items() if value is not None})
        body = client.post_json("security-groups", {"security_group": request})
        return common.show_output(body["security_group"], FORMATTERS)


class DeleteSecurityGroup(command.Command):
    """Delete security groups of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "groups",
            metavar="<security-group-id>",
            nargs="+",
            help="Group id (sg-...) to delete; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.groups,
            "security group",
            "delete",
            lambda group_id: client.delete(_group_path(group_id)),
        )


class ListSecurityGroupRule(command.Lister):
    """List the rules of a security group of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="<security-group-id>", help="Group id (sg-...)")
        direction = parser.add_mutually_exclusive_group()
        direction.add_argument(
            "--ingress",
            action="store_const",
            const="ingress",
            dest="direction",
            help="Only ingress rules",
        )
        direction.add_argument(
            "--egress",
            action="store_const",
            const="egress",
            dest="direction",
            help="Only egress rules",
        )
        common.add_pagination_arguments(parser, "rules")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        rules = client.list_resources(
            _group_path(parsed_args.group, "rules"),
            "security_group_rules",
            filters={"direction": parsed_args.direction},
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        return common.list_output(RULE_COLUMNS, [_with_port_range(rule) for rule in rules])


class ShowSecurityGroupRule(command.ShowOne):
    """Show one rule of a security group of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="<security-group-id>", help="Group id (sg-...)")
        parser.add_argument("rule", metavar="<rule-id>", help="Rule id (sgr-...)")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_rule_path(parsed_args.group, parsed_args.rule))
        return common.show_output(body["security_group_rule"])


def port_range_argument(text):
    """Parse ``--dst-port``: one port, or ``min:max``."""
    first, _, last = text.partition(":")
    try:
        low = int(first)
        high = int(last) if last else low
    except ValueError:
        raise argparse.ArgumentTypeError(
            "invalid port range %r: use a port such as 22 or a range such as 8000:8080" % text
        ) from None
    return low, high


class CreateSecurityGroupRule(command.ShowOne):
    """Add a rule to a security group of the current project

    The service checks the rule: a bad CIDR, an unknown protocol or a reversed port range is
    rejected with a message that names the field. A rule that the group already has is
    rejected with HTTP 409, and the message names the existing rule's id.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="<security-group-id>", help="Group id (sg-...)")
        direction = parser.add_mutually_exclusive_group()
        direction.add_argument(
            "--ingress",
            action="store_const",
            const="ingress",
            dest="direction",
            help="Rule for incoming traffic (default)",
        )
        direction.add_argument(
            "--egress",
            action="store_const",
            const="egress",
            dest="direction",
            help="Rule for outgoing traffic",
        )
        parser.add_argument(
            "--protocol",
            metavar="<protocol>",
            required=True,
            help="tcp, udp, icmp, icmpv6, any, or an IP protocol number from 0 to 255",
        )
        parser.add_argument(
            "--dst-port",
            metavar="<port-range>",
            type=port_range_argument,
            help="Port or port range of a tcp or udp rule, e.g. 22 or 8000:8080 "
            "(default: every port, 0:%d)" % MAX_PORT,
        )
        parser.add_argument(
            "--icmp-type", metavar="<type>", type=int, help="ICMP type of an icmp or icmpv6 rule"
        )
        parser.add_argument(
            "--icmp-code", metavar="<code>", type=int, help="ICMP code of an icmp or icmpv6 rule"
        )
        remote = parser.add_mutually_exclusive_group(required=True)
        remote.add_argument(
            "--remote-ip",
            metavar="<cidr>",
            help="IPv4 or IPv6 CIDR the rule allows, e.g. 203.0.113.0/24 or ::/0",
        )
        remote.add_argument(
            "--remote-group",
            metavar="<security-group-id>",
            help="Security group of the project whose instances the rule allows",
        )
        parser.add_argument("--description", metavar="<description>", help="Rule description")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        request = {
            "direction": parsed_args.direction or "ingress",
            "protocol": parsed_args.protocol,
        }
        if parsed_args.dst_port is not None:
            request["port_range_min"], request["port_range_max"] = parsed_args.dst_port
        optional = {
            "icmp_type": parsed_args.icmp_type,
            "icmp_code": parsed_args.icmp_code,
            "remote_ip_prefix": parsed_args.remote_ip,
            "remote_group_id": parsed_args.remote_group,
            "description": parsed_args.description,
        }
        request.update({field: value for field, value in optional.items() if value is not None})
        body = client.post_json(
            _group_path(parsed_args.group, "rules"), {"security_group_rule": request}
        )
        return common.show_output(body["security_group_rule"])


class DeleteSecurityGroupRule(command.Command):
    """Remove rules from a security group of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="<security-group-id>", help="Group id (sg-...)")
        parser.add_argument(
            "rules",
            metavar="<rule-id>",
            nargs="+",
            help="Rule id (sgr-...) to remove; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.rules,
            "security group rule",
            "remove",
            lambda rule_id: client.delete(_rule_path(parsed_args.group, rule_id)),
        )
