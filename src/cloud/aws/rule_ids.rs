//! Rule IDs of security groups, remembered between lists.
//!
//! `DescribeSecurityGroups` returns each group's rules as permissions without their rule IDs;
//! only `DescribeSecurityGroupRules` has the IDs. A list would otherwise pay one rules walk per
//! 200 groups on every call. This table keeps the rules, with their IDs, that the last rules
//! walk returned for a group, and a list reuses them only while the group's permissions still
//! describe exactly the same rules. A group whose rules changed in any way (added, removed, a
//! port, a source or a description) is walked again.
//!
//! What the check cannot see is a rule removed and then written again with every field the
//! same, outside this process: EC2 gives it a new ID and the table still contains the old one.
//! Entries therefore expire after [`MAX_AGE`], showing a group reads its rules afresh, and
//! every change made through this process drops the group's entry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types as ec2;

use crate::cloud::SecurityGroupRule;

/// How long a group's remembered rule IDs are reused before the next list reads them again.
pub(super) const MAX_AGE: Duration = Duration::from_secs(300);
/// Groups remembered at most; past this, expired entries go first and then all of them.
const MAX_GROUPS: usize = 20_000;

/// The source of an ingress rule or the destination of an egress rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Peer {
    Ipv4(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
    Unknown,
}

/// Every field of a rule except its ID. Two rules of one group never share a shape, since EC2
/// refuses a duplicate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct RuleShape {
    egress: bool,
    protocol: String,
    from_port: i32,
    to_port: i32,
    peer: Peer,
    description: Option<String>,
}

impl RuleShape {
    fn new(
        egress: bool,
        protocol: Option<&str>,
        ports: (Option<i32>, Option<i32>),
        peer: Peer,
        description: Option<&str>,
    ) -> Self {
        let protocol = super::security_groups::canonical_protocol(protocol.unwrap_or("-1"));
        // DescribeSecurityGroupRules returns -1 where DescribeSecurityGroups leaves the ports out.
        let (from_port, to_port) = if protocol == "-1" {
            (-1, -1)
        } else {
            (ports.0.unwrap_or(-1), ports.1.unwrap_or(-1))
        };
        Self {
            egress,
            protocol,
            from_port,
            to_port,
            peer,
            description: description.filter(|d| !d.is_empty()).map(str::to_owned),
        }
    }

    /// The shape of a rule as DescribeSecurityGroupRules returns it.
    pub(super) fn of_rule(rule: &ec2::SecurityGroupRule) -> Self {
        let peer = if let Some(cidr) = rule.cidr_ipv4() {
            Peer::Ipv4(cidr.to_owned())
        } else if let Some(cidr) = rule.cidr_ipv6() {
            Peer::Ipv6(cidr.to_owned())
        } else if let Some(list) = rule.prefix_list_id() {
            Peer::PrefixList(list.to_owned())
        } else if let Some(group) = rule.referenced_group_info().and_then(|g| g.group_id()) {
            Peer::Group(group.to_owned())
        } else {
            Peer::Unknown
        };
        Self::new(
            rule.is_egress() == Some(true),
            rule.ip_protocol(),
            (rule.from_port(), rule.to_port()),
            peer,
            rule.description(),
        )
    }
}

/// Returns the sorted shapes of every rule of `group`: one per source of each permission, as
/// EC2 splits permissions into rules.
pub(super) fn group_shapes(group: &ec2::SecurityGroup) -> Vec<RuleShape> {
    let mut shapes = Vec::new();
    let directions = [
        (false, group.ip_permissions()),
        (true, group.ip_permissions_egress()),
    ];
    for (egress, permissions) in directions {
        for permission in permissions {
            let shape = |peer: Peer, description: Option<&str>| {
                RuleShape::new(
                    egress,
                    permission.ip_protocol(),
                    (permission.from_port(), permission.to_port()),
                    peer,
                    description,
                )
            };
            for range in permission.ip_ranges() {
                let peer = Peer::Ipv4(range.cidr_ip().unwrap_or_default().to_owned());
                shapes.push(shape(peer, range.description()));
            }
            for range in permission.ipv6_ranges() {
                let peer = Peer::Ipv6(range.cidr_ipv6().unwrap_or_default().to_owned());
                shapes.push(shape(peer, range.description()));
            }
            for list in permission.prefix_list_ids() {
                let peer = Peer::PrefixList(list.prefix_list_id().unwrap_or_default().to_owned());
                shapes.push(shape(peer, list.description()));
            }
            for pair in permission.user_id_group_pairs() {
                let peer = Peer::Group(pair.group_id().unwrap_or_default().to_owned());
                shapes.push(shape(peer, pair.description()));
            }
        }
    }
    shapes.sort();
    shapes
}

struct Known {
    /// Sorted, to compare with [`group_shapes`].
    shapes: Vec<RuleShape>,
    rules: Vec<SecurityGroupRule>,
    read_at: Instant,
}

/// The rules last read for each group, keyed by region and group ID.
#[derive(Default)]
pub(super) struct KnownRules {
    groups: Mutex<HashMap<(String, String), Known>>,
}

impl KnownRules {
    /// Remember the rules just read for one group, each with its shape.
    pub(super) fn remember(
        &self,
        region: &str,
        group_id: &str,
        rules: &[(RuleShape, SecurityGroupRule)],
    ) {
        let mut shapes: Vec<RuleShape> = rules.iter().map(|(shape, _)| shape.clone()).collect();
        shapes.sort();
        let known = Known {
            shapes,
            rules: rules.iter().map(|(_, rule)| rule.clone()).collect(),
            read_at: Instant::now(),
        };
        let mut groups = self.groups.lock().expect("rule table lock poisoned");
        if groups.len() >= MAX_GROUPS {
            groups.retain(|_, known| known.read_at.elapsed() < MAX_AGE);
            if groups.len() >= MAX_GROUPS {
                groups.clear();
            }
        }
        groups.insert((region.to_owned(), group_id.to_owned()), known);
    }

    /// Returns the rules remembered for a group whose permissions now have `shapes` (sorted),
    /// if they are the same rules and were read less than [`MAX_AGE`] ago.
    pub(super) fn recall(
        &self,
        region: &str,
        group_id: &str,
        shapes: &[RuleShape],
    ) -> Option<Vec<SecurityGroupRule>> {
        let groups = self.groups.lock().expect("rule table lock poisoned");
        let known = groups.get(&(region.to_owned(), group_id.to_owned()))?;
        (known.read_at.elapsed() < MAX_AGE && known.shapes == shapes).then(|| known.rules.clone())
    }

    /// Drop what is remembered of a group, after this process changed it.
    pub(super) fn forget(&self, region: &str, group_id: &str) {
        self.groups
            .lock()
            .expect("rule table lock poisoned")
            .remove(&(region.to_owned(), group_id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, protocol: &str, ports: (i32, i32), cidr: &str) -> ec2::SecurityGroupRule {
        ec2::SecurityGroupRule::builder()
            .security_group_rule_id(id)
            .group_id("sg-1")
            .is_egress(false)
            .ip_protocol(protocol)
            .from_port(ports.0)
            .to_port(ports.1)
            .cidr_ipv4(cidr)
            .build()
    }

    fn model(id: &str) -> SecurityGroupRule {
        SecurityGroupRule {
            id: id.to_owned(),
            security_group_id: "sg-1".into(),
            direction: "ingress".into(),
            ethertype: None,
            protocol: "tcp".into(),
            port_range_min: None,
            port_range_max: None,
            icmp_type: None,
            icmp_code: None,
            remote_ip_prefix: None,
            remote_group_id: None,
            description: None,
        }
    }

    fn group(permissions: Vec<ec2::IpPermission>) -> ec2::SecurityGroup {
        let egress = ec2::IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(ec2::IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        ec2::SecurityGroup::builder()
            .group_id("sg-1")
            .set_ip_permissions(Some(permissions))
            .ip_permissions_egress(egress)
            .build()
    }

    fn ssh(description: Option<&str>) -> ec2::IpPermission {
        ec2::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(
                ec2::IpRange::builder()
                    .cidr_ip("10.0.0.0/8")
                    .set_description(description.map(str::to_owned))
                    .build(),
            )
            .build()
    }

    fn egress_rule() -> ec2::SecurityGroupRule {
        ec2::SecurityGroupRule::builder()
            .security_group_rule_id("sgr-e")
            .group_id("sg-1")
            .is_egress(true)
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .cidr_ipv4("0.0.0.0/0")
            .build()
    }

    fn remembered(rules: &[ec2::SecurityGroupRule]) -> KnownRules {
        let known = KnownRules::default();
        let rules: Vec<_> = rules
            .iter()
            .map(|r| {
                (
                    RuleShape::of_rule(r),
                    model(r.security_group_rule_id().unwrap()),
                )
            })
            .collect();
        known.remember("r1", "sg-1", &rules);
        known
    }

    #[test]
    fn shapes_match_across_both_calls() {
        // A protocol number and a missing port on "all traffic" are spelled differently by
        // the two calls and must still compare equal.
        let by_rules = remembered(&[rule("sgr-1", "6", (22, 22), "10.0.0.0/8"), egress_rule()]);
        let ids: Vec<String> = by_rules
            .recall("r1", "sg-1", &group_shapes(&group(vec![ssh(None)])))
            .expect("same rules")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["sgr-1", "sgr-e"]);
    }

    #[test]
    fn recall_misses_changed_rules() {
        let known = remembered(&[rule("sgr-1", "tcp", (22, 22), "10.0.0.0/8"), egress_rule()]);
        let described = group_shapes(&group(vec![ssh(Some("admins"))]));
        assert!(known.recall("r1", "sg-1", &described).is_none());
        let mut other_port = ssh(None);
        other_port.from_port = Some(23);
        let described = group_shapes(&group(vec![other_port]));
        assert!(known.recall("r1", "sg-1", &described).is_none());
        let extra = ec2::IpPermission::builder()
            .ip_protocol("udp")
            .from_port(53)
            .to_port(53)
            .ipv6_ranges(ec2::Ipv6Range::builder().cidr_ipv6("::/0").build())
            .build();
        let described = group_shapes(&group(vec![ssh(None), extra]));
        assert!(known.recall("r1", "sg-1", &described).is_none());
        assert!(
            known
                .recall("r1", "sg-1", &group_shapes(&group(vec![])))
                .is_none()
        );
    }

    #[test]
    fn recall_misses_other_region_or_forgotten() {
        let known = remembered(&[rule("sgr-1", "tcp", (22, 22), "10.0.0.0/8"), egress_rule()]);
        let shapes = group_shapes(&group(vec![ssh(None)]));
        assert!(known.recall("r2", "sg-1", &shapes).is_none());
        assert!(known.recall("r1", "sg-1", &shapes).is_some());
        known.forget("r1", "sg-1");
        assert!(known.recall("r1", "sg-1", &shapes).is_none());
    }

    #[test]
    fn recall_tells_group_source_from_cidr() {
        let by_group = ec2::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id("sg-2").build())
            .build();
        let known = remembered(&[rule("sgr-1", "tcp", (22, 22), "10.0.0.0/8"), egress_rule()]);
        let described = group_shapes(&group(vec![by_group]));
        assert!(known.recall("r1", "sg-1", &described).is_none());
    }
}
