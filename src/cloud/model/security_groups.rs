//! Security groups and their rules.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct SecurityGroup {
    pub id: String,
    /// The group name, unique in its VPC.
    pub name: String,
    pub description: String,
    pub vpc_id: Option<String>,
    /// Every ingress and egress rule of the group, in ascending id order, including the rules
    /// EC2 adds itself, such as the egress rule that allows all outbound traffic.
    pub rules: Vec<SecurityGroupRule>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags, without the service's own `aws-hybrid:` tags.
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct SecurityGroupRule {
    /// EC2's security group rule id, `sgr-` followed by 17 hexadecimal digits.
    pub id: String,
    pub security_group_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6` for a rule with `remote_ip_prefix`, and null for one with
    /// `remote_group_id`.
    pub ethertype: Option<String>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `any`, or another IP protocol number as a string.
    pub protocol: String,
    /// First port of a `tcp` or `udp` rule.
    pub port_range_min: Option<i32>,
    /// Last port of a `tcp` or `udp` rule.
    pub port_range_max: Option<i32>,
    /// ICMP type of an `icmp` or `icmpv6` rule. Null means every type.
    pub icmp_type: Option<i32>,
    /// ICMP code of an `icmp` or `icmpv6` rule. Null means every code.
    pub icmp_code: Option<i32>,
    /// The IPv4 or IPv6 CIDR the rule allows traffic from (ingress) or to (egress).
    pub remote_ip_prefix: Option<String>,
    /// The security group whose members the rule allows traffic from or to.
    pub remote_group_id: Option<String>,
    pub description: Option<String>,
}

/// Direction of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Filters for listing security groups. Every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct SecurityGroupFilter {
    pub name: Option<String>,
    pub vpc_id: Option<String>,
}

/// A validated request to create a security group.
#[derive(Debug, Clone)]
pub struct SecurityGroupSpec {
    pub name: String,
    pub description: String,
    /// None means the default VPC of the account and region.
    pub vpc_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Set from the `Idempotency-Key` header: a group of the project that carries this token is
    /// returned instead of a new one.
    pub idempotency_token: Option<String>,
}

/// A validated rule to add, in EC2's terms: `protocol` is `tcp`, `udp`, `icmp`, `icmpv6`,
/// `-1` or a protocol number, and `from_port`/`to_port` are the port range, the ICMP type and
/// code, or -1 for protocols without ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupRuleSpec {
    pub direction: Direction,
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    /// A CIDR in canonical form. Exactly one of it and `remote_group_id` is set.
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: Option<String>,
    /// Set from the `Idempotency-Key` header, and carried as a tag of the rule.
    pub idempotency_token: Option<String>,
}

/// Outcome of adding a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleCreation {
    Created(SecurityGroupRule),
    /// An earlier request with the same idempotency token added this rule.
    Replayed(SecurityGroupRule),
    /// The group already has a rule with the same direction, protocol, ports and remote.
    Duplicate(SecurityGroupRule),
}
