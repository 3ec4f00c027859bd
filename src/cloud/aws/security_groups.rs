//! EC2 security groups and their rules, confined to the calling project by the
//! `aws-hybrid:project-id` tag of the group. A rule belongs to the project of its group.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::types::{self as ec2, IpPermission, ResourceType};

use super::AwsDriver;
use super::consistency::retry_not_found;
use super::errors::from_sdk;
use super::pages::collect_pages;
use super::rule_ids::{RuleShape, group_shapes};
use super::tags::{Ownership, creation_tags, filter, tag_filter, tag_specification};
use crate::cloud::security_groups::SecurityGroupDriver;
use crate::cloud::{
    CloudError, Direction, RuleCreation, Scope, SecurityGroup, SecurityGroupFilter,
    SecurityGroupRule, SecurityGroupRuleSpec, SecurityGroupSpec, TAG_IDEMPOTENCY_TOKEN,
    TAG_PROJECT_ID,
};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 10_000;
/// Group ids per `group-id` filter of one DescribeSecurityGroupRules walk, kept small because
/// EC2 limits the number of filter values in one request.
const GROUP_IDS_PER_RULE_WALK: usize = 200;

#[async_trait]
impl SecurityGroupDriver for AwsDriver {
    async fn list_security_groups(
        &self,
        scope: Scope<'_>,
        requested: &SecurityGroupFilter,
    ) -> Result<Vec<SecurityGroup>, CloudError> {
        let mut filters = vec![tag_filter(TAG_PROJECT_ID, scope.project_id)];
        if let Some(name) = &requested.name {
            filters.push(filter("group-name", name));
        }
        if let Some(vpc_id) = &requested.vpc_id {
            filters.push(filter("vpc-id", vpc_id));
        }
        let mut groups = Vec::new();
        let mut unknown = Vec::new();
        for described in describe_groups(self, scope, filters).await? {
            let mut group = convert_group(&described, scope);
            if group.project_id != scope.project_id {
                continue;
            }
            let shapes = group_shapes(&described);
            match self.known_rules.recall(scope.region, &group.id, &shapes) {
                Some(rules) => group.rules = rules,
                None => unknown.push(group.id.clone()),
            }
            groups.push(group);
        }
        let mut rules = describe_rules(self, scope, &unknown).await?;
        for group in &mut groups {
            if let Some(read) = rules.remove(&group.id) {
                group.rules = read;
            }
        }
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(groups)
    }

    async fn get_security_group(
        &self,
        scope: Scope<'_>,
        id: &str,
    ) -> Result<SecurityGroup, CloudError> {
        get(self, scope, id).await
    }

    async fn create_security_group(
        &self,
        scope: Scope<'_>,
        spec: &SecurityGroupSpec,
    ) -> Result<SecurityGroup, CloudError> {
        if let Some(token) = &spec.idempotency_token
            && let Some(existing) = find_by_token(self, scope, token).await?
        {
            tracing::info!(security_group_id = %existing.id, "security group already created with this idempotency key");
            return Ok(existing);
        }
        if let Some(vpc_id) = &spec.vpc_id {
            check_vpc(self, scope, vpc_id).await?;
        }
        let tags = creation_tags(scope, spec.idempotency_token.as_deref(), &spec.tags);
        let result = self
            .client(scope)
            .await?
            .create_security_group()
            .group_name(&spec.name)
            .description(&spec.description)
            .set_vpc_id(spec.vpc_id.clone())
            .tag_specifications(tag_specification(ResourceType::SecurityGroup, &tags))
            .send()
            .await
            .map_err(|e| from_sdk("CreateSecurityGroup", e));
        let output = match result {
            Ok(output) => output,
            // Two requests with the same idempotency key may race: the loser finds the
            // winner's group under the name both asked for.
            Err(CloudError::Conflict { .. }) => {
                if let Some(token) = &spec.idempotency_token
                    && let Some(existing) = find_by_token(self, scope, token).await?
                {
                    return Ok(existing);
                }
                return Err(CloudError::Conflict {
                    resource: "security group",
                    reason: "exists",
                    message: format!(
                        "A security group named {:?} already exists in {}; group names are unique per VPC, so choose another name.",
                        spec.name,
                        spec.vpc_id.as_deref().unwrap_or("the default VPC")
                    ),
                });
            }
            // check_vpc found the VPC, so only a VPC deleted since can be missing here.
            Err(CloudError::NotFound { .. }) if spec.vpc_id.is_some() => {
                return Err(vpc_not_found(spec.vpc_id.as_deref().unwrap_or_default()));
            }
            Err(other) => return Err(other),
        };
        let id = output.group_id().unwrap_or_default().to_owned();
        tracing::info!(security_group_id = %id, "created security group");
        retry_not_found(|| get(self, scope, &id)).await
    }

    async fn delete_security_group(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        owned_group(self, scope, id).await?;
        let result = self
            .client(scope)
            .await?
            .delete_security_group()
            .group_id(id)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteSecurityGroup", e));
        self.known_rules.forget(scope.region, id);
        match result {
            Ok(_) => {
                tracing::info!(security_group_id = id, "deleted security group");
                Ok(())
            }
            Err(CloudError::Conflict { message, .. }) => Err(CloudError::Conflict {
                resource: "security group",
                reason: "in_use",
                message: format!(
                    "Security group {id} is still in use, by an instance or network interface or by a rule of another group ({message}); detach it or remove those rules first."
                ),
            }),
            Err(other) => Err(other),
        }
    }

    async fn add_security_group_rule(
        &self,
        scope: Scope<'_>,
        group_id: &str,
        spec: &SecurityGroupRuleSpec,
    ) -> Result<RuleCreation, CloudError> {
        owned_group(self, scope, group_id).await?;
        if let Some(remote) = spec.remote_group_id.as_deref().filter(|r| *r != group_id) {
            owned_group(self, scope, remote)
                .await
                .map_err(|error| match error {
                    CloudError::NotFound { .. } => CloudError::InvalidParameter {
                        field: "remote_group_id".into(),
                        message: format!(
                            "security group {remote} was not found in this project; name a group of the project, in the same VPC"
                        ),
                    },
                    other => other,
                })?;
        }
        let tags = creation_tags(
            scope,
            spec.idempotency_token.as_deref(),
            &Default::default(),
        );
        let client = self.client(scope).await?;
        let permission = permission(spec);
        let tag_spec = tag_specification(ResourceType::SecurityGroupRule, &tags);
        let result = match spec.direction {
            Direction::Ingress => client
                .authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(permission)
                .tag_specifications(tag_spec)
                .send()
                .await
                .map(|o| o.security_group_rules().to_vec())
                .map_err(|e| from_sdk("AuthorizeSecurityGroupIngress", e)),
            Direction::Egress => client
                .authorize_security_group_egress()
                .group_id(group_id)
                .ip_permissions(permission)
                .tag_specifications(tag_spec)
                .send()
                .await
                .map(|o| o.security_group_rules().to_vec())
                .map_err(|e| from_sdk("AuthorizeSecurityGroupEgress", e)),
        };
        self.known_rules.forget(scope.region, group_id);
        match result {
            Ok(added) => {
                let rule = match added.first() {
                    Some(rule) => convert_rule(rule),
                    // When the response lists no rule, look the rule up instead.
                    None => find_matching_rule(self, scope, group_id, spec)
                        .await?
                        .map(|(rule, _)| rule)
                        .ok_or_else(|| {
                            CloudError::Internal(format!(
                                "EC2 accepted a rule for {group_id} but does not list it"
                            ))
                        })?,
                };
                tracing::info!(security_group_id = group_id, security_group_rule_id = %rule.id, "added security group rule");
                Ok(RuleCreation::Created(rule))
            }
            Err(CloudError::Conflict { .. }) => {
                match find_matching_rule(self, scope, group_id, spec).await? {
                    Some((rule, token)) if token.is_some() && token == spec.idempotency_token => {
                        Ok(RuleCreation::Replayed(rule))
                    }
                    Some((rule, _)) => Ok(RuleCreation::Duplicate(rule)),
                    None => Err(CloudError::Conflict {
                        resource: "security group rule",
                        reason: "exists",
                        message: format!(
                            "Security group {group_id} already has this rule, but EC2 does not list it yet; retry in a few seconds."
                        ),
                    }),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn delete_security_group_rule(
        &self,
        scope: Scope<'_>,
        group_id: &str,
        rule_id: &str,
    ) -> Result<(), CloudError> {
        owned_group(self, scope, group_id).await?;
        let not_found = || CloudError::NotFound {
            resource: "security group rule",
            id: rule_id.to_owned(),
        };
        let client = self.client(scope).await?;
        let described = client
            .describe_security_group_rules()
            .security_group_rule_ids(rule_id)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeSecurityGroupRules", e));
        let rule = match described {
            Ok(output) => output
                .security_group_rules()
                .iter()
                .find(|r| {
                    r.security_group_rule_id() == Some(rule_id) && r.group_id() == Some(group_id)
                })
                .cloned()
                .ok_or_else(not_found)?,
            Err(CloudError::NotFound { .. }) => return Err(not_found()),
            Err(other) => return Err(other),
        };
        let result = if rule.is_egress() == Some(true) {
            client
                .revoke_security_group_egress()
                .group_id(group_id)
                .security_group_rule_ids(rule_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| from_sdk("RevokeSecurityGroupEgress", e))
        } else {
            client
                .revoke_security_group_ingress()
                .group_id(group_id)
                .security_group_rule_ids(rule_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| from_sdk("RevokeSecurityGroupIngress", e))
        };
        self.known_rules.forget(scope.region, group_id);
        match result {
            Ok(()) => {
                tracing::info!(
                    security_group_id = group_id,
                    security_group_rule_id = rule_id,
                    "removed security group rule"
                );
                Ok(())
            }
            Err(CloudError::NotFound { .. }) => Err(not_found()),
            Err(other) => Err(other),
        }
    }
}

/// Describe one group of the project with its rules. A group of another project is not found.
async fn get(driver: &AwsDriver, scope: Scope<'_>, id: &str) -> Result<SecurityGroup, CloudError> {
    let mut group = owned_group(driver, scope, id).await?;
    group.rules = describe_rules(driver, scope, &[id.to_owned()])
        .await?
        .remove(id)
        .unwrap_or_default();
    Ok(group)
}

/// Describe group `id`, without its rules, if it belongs to the project.
async fn owned_group(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<SecurityGroup, CloudError> {
    let not_found = || CloudError::NotFound {
        resource: "security group",
        id: id.to_owned(),
    };
    let result = driver
        .client(scope)
        .await?
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeSecurityGroups", e));
    match result {
        Ok(output) => output
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(id))
            .map(|g| convert_group(g, scope))
            .filter(|g| g.project_id == scope.project_id)
            .ok_or_else(not_found),
        Err(CloudError::NotFound { .. }) => Err(not_found()),
        Err(other) => Err(other),
    }
}

async fn find_by_token(
    driver: &AwsDriver,
    scope: Scope<'_>,
    token: &str,
) -> Result<Option<SecurityGroup>, CloudError> {
    let filters = vec![
        tag_filter(TAG_PROJECT_ID, scope.project_id),
        tag_filter(TAG_IDEMPOTENCY_TOKEN, token),
    ];
    let found = describe_groups(driver, scope, filters)
        .await?
        .iter()
        .map(|g| convert_group(g, scope))
        .find(|g| g.project_id == scope.project_id);
    match found {
        Some(group) => get(driver, scope, &group.id).await.map(Some),
        None => Ok(None),
    }
}

/// Walk DescribeSecurityGroups with `filters` to the last page.
async fn describe_groups(
    driver: &AwsDriver,
    scope: Scope<'_>,
    filters: Vec<ec2::Filter>,
) -> Result<Vec<ec2::SecurityGroup>, CloudError> {
    let client = driver.client(scope).await?;
    collect_pages(
        "DescribeSecurityGroups",
        MAX_PAGES,
        |token| {
            client
                .describe_security_groups()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.security_groups().to_vec(),
        DescribeSecurityGroupsOutput::next_token,
    )
    .await
}

/// Describe every rule of the groups `ids`, keyed by group id, each list in ascending rule id
/// order, and remember them for later lists. A group without rules has an empty list.
async fn describe_rules(
    driver: &AwsDriver,
    scope: Scope<'_>,
    ids: &[String],
) -> Result<HashMap<String, Vec<SecurityGroupRule>>, CloudError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rules: HashMap<String, Vec<(RuleShape, SecurityGroupRule)>> =
        ids.iter().map(|id| (id.clone(), Vec::new())).collect();
    let client = driver.client(scope).await?;
    for chunk in ids.chunks(GROUP_IDS_PER_RULE_WALK) {
        let group_filter = ec2::Filter::builder()
            .name("group-id")
            .set_values(Some(chunk.to_vec()))
            .build();
        let described = collect_pages(
            "DescribeSecurityGroupRules",
            MAX_PAGES,
            |token| {
                client
                    .describe_security_group_rules()
                    .filters(group_filter.clone())
                    .max_results(1000)
                    .set_next_token(token)
                    .send()
            },
            |page| page.security_group_rules().to_vec(),
            DescribeSecurityGroupRulesOutput::next_token,
        )
        .await?;
        for rule in &described {
            let converted = convert_rule(rule);
            if let Some(list) = rules.get_mut(&converted.security_group_id) {
                list.push((RuleShape::of_rule(rule), converted));
            }
        }
    }
    Ok(rules
        .into_iter()
        .map(|(group_id, mut list)| {
            list.sort_by(|a, b| a.1.id.cmp(&b.1.id));
            driver.known_rules.remember(scope.region, &group_id, &list);
            (group_id, list.into_iter().map(|(_, rule)| rule).collect())
        })
        .collect())
}

/// Find the rule of `group_id` that matches `spec`, and return it with its
/// idempotency token, if it has one.
async fn find_matching_rule(
    driver: &AwsDriver,
    scope: Scope<'_>,
    group_id: &str,
    spec: &SecurityGroupRuleSpec,
) -> Result<Option<(SecurityGroupRule, Option<String>)>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_security_group_rules()
        .filters(filter("group-id", group_id))
        .max_results(1000)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeSecurityGroupRules", e))?;
    Ok(output
        .security_group_rules()
        .iter()
        .find(|rule| rule_matches(rule, spec))
        .map(|rule| {
            (
                convert_rule(rule),
                Ownership::read(rule.tags()).idempotency_token,
            )
        }))
}

/// Checks that `vpc_id` exists in the account and region. VPCs belong to the account, not to
/// a project, so any of them will do. EC2 checks this itself, but moto 5.2.5 creates groups in
/// VPCs that do not exist.
async fn check_vpc(driver: &AwsDriver, scope: Scope<'_>, vpc_id: &str) -> Result<(), CloudError> {
    let result = driver
        .client(scope)
        .await?
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeVpcs", e));
    match result {
        Ok(output) if output.vpcs().iter().any(|v| v.vpc_id() == Some(vpc_id)) => Ok(()),
        Ok(_) | Err(CloudError::NotFound { .. }) => Err(vpc_not_found(vpc_id)),
        Err(other) => Err(other),
    }
}

fn vpc_not_found(vpc_id: &str) -> CloudError {
    CloudError::InvalidParameter {
        field: "vpc_id".into(),
        message: format!(
            "VPC {vpc_id} does not exist in this region of the project's AWS account; GET /v1/vpcs lists the VPCs, or leave vpc_id out for the default VPC"
        ),
    }
}

/// Build the EC2 permission of one rule.
fn permission(spec: &SecurityGroupRuleSpec) -> IpPermission {
    let description = spec.description.clone();
    let mut builder = IpPermission::builder()
        .ip_protocol(&spec.protocol)
        .from_port(spec.from_port)
        .to_port(spec.to_port);
    if let Some(group_id) = &spec.remote_group_id {
        builder = builder.user_id_group_pairs(
            ec2::UserIdGroupPair::builder()
                .group_id(group_id)
                .set_description(description)
                .build(),
        );
    } else if let Some(cidr) = &spec.remote_ip_prefix {
        builder = if cidr.contains(':') {
            builder.ipv6_ranges(
                ec2::Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(description)
                    .build(),
            )
        } else {
            builder.ip_ranges(
                ec2::IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description)
                    .build(),
            )
        };
    }
    builder.build()
}

/// Return EC2's protocol in one spelling: names for TCP, UDP, ICMP and ICMPv6, `-1` for all,
/// and the number for any other protocol. EC2 returns a name or a number depending on how the
/// rule was written.
pub(super) fn canonical_protocol(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        "-1" | "all" => "-1".into(),
        other => other.to_owned(),
    }
}

/// Returns whether `rule` matches `spec`. Descriptions do not count, as in EC2.
fn rule_matches(rule: &ec2::SecurityGroupRule, spec: &SecurityGroupRuleSpec) -> bool {
    let protocol = canonical_protocol(rule.ip_protocol().unwrap_or_default());
    if rule.is_egress() != Some(spec.direction == Direction::Egress)
        || protocol != canonical_protocol(&spec.protocol)
    {
        return false;
    }
    let has_ports = matches!(protocol.as_str(), "tcp" | "udp" | "icmp" | "icmpv6");
    if has_ports
        && (rule.from_port().unwrap_or(-1) != spec.from_port
            || rule.to_port().unwrap_or(-1) != spec.to_port)
    {
        return false;
    }
    let remote_group = rule.referenced_group_info().and_then(|g| g.group_id());
    let cidr = rule.cidr_ipv4().or(rule.cidr_ipv6());
    remote_group == spec.remote_group_id.as_deref() && cidr == spec.remote_ip_prefix.as_deref()
}

fn convert_group(source: &ec2::SecurityGroup, scope: Scope<'_>) -> SecurityGroup {
    let ownership = Ownership::read(source.tags());
    SecurityGroup {
        id: source.group_id().unwrap_or_default().to_owned(),
        name: source.group_name().unwrap_or_default().to_owned(),
        description: source.description().unwrap_or_default().to_owned(),
        vpc_id: source.vpc_id().map(str::to_owned),
        rules: Vec::new(),
        region: scope.region.to_owned(),
        project_id: ownership.project_id,
        user_id: ownership.user_id,
        tags: ownership.user_tags,
    }
}

fn convert_rule(source: &ec2::SecurityGroupRule) -> SecurityGroupRule {
    let protocol = canonical_protocol(source.ip_protocol().unwrap_or("-1"));
    // EC2 uses -1 for "every port", "every type" and "every code".
    let port = |value: Option<i32>| value.filter(|v| *v >= 0);
    let (port_range_min, port_range_max, icmp_type, icmp_code) = match protocol.as_str() {
        "tcp" | "udp" => (port(source.from_port()), port(source.to_port()), None, None),
        "icmp" | "icmpv6" => (None, None, port(source.from_port()), port(source.to_port())),
        _ => (None, None, None, None),
    };
    let (remote_ip_prefix, ethertype) = match (source.cidr_ipv4(), source.cidr_ipv6()) {
        (Some(cidr), _) => (Some(cidr.to_owned()), Some("IPv4".to_owned())),
        (None, Some(cidr)) => (Some(cidr.to_owned()), Some("IPv6".to_owned())),
        (None, None) => (None, None),
    };
    SecurityGroupRule {
        id: source
            .security_group_rule_id()
            .unwrap_or_default()
            .to_owned(),
        security_group_id: source.group_id().unwrap_or_default().to_owned(),
        direction: if source.is_egress() == Some(true) {
            Direction::Egress.as_str().to_owned()
        } else {
            Direction::Ingress.as_str().to_owned()
        },
        ethertype,
        protocol: if protocol == "-1" {
            "any".to_owned()
        } else {
            protocol
        },
        port_range_min,
        port_range_max,
        icmp_type,
        icmp_code,
        remote_ip_prefix,
        remote_group_id: source
            .referenced_group_info()
            .and_then(|g| g.group_id())
            .map(str::to_owned),
        description: source
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(protocol: &str, from_port: i32, to_port: i32, cidr: &str) -> SecurityGroupRuleSpec {
        SecurityGroupRuleSpec {
            direction: Direction::Ingress,
            protocol: protocol.into(),
            from_port,
            to_port,
            remote_ip_prefix: Some(cidr.into()),
            remote_group_id: None,
            description: None,
            idempotency_token: None,
        }
    }

    fn ec2_rule(
        protocol: &str,
        from_port: i32,
        to_port: i32,
        cidr: &str,
    ) -> ec2::SecurityGroupRule {
        ec2::SecurityGroupRule::builder()
            .security_group_rule_id("sgr-0123456789abcdef0")
            .group_id("sg-0123456789abcdef0")
            .is_egress(false)
            .ip_protocol(protocol)
            .from_port(from_port)
            .to_port(to_port)
            .cidr_ipv4(cidr)
            .build()
    }

    #[test]
    fn protocol_numbers_and_names_match() {
        let rule = ec2_rule("6", 22, 22, "10.0.0.0/8");

        assert!(rule_matches(&rule, &spec("tcp", 22, 22, "10.0.0.0/8")));
        assert!(!rule_matches(&rule, &spec("udp", 22, 22, "10.0.0.0/8")));
        assert!(!rule_matches(&rule, &spec("tcp", 22, 23, "10.0.0.0/8")));
        assert!(!rule_matches(&rule, &spec("tcp", 22, 22, "10.0.0.0/16")));
    }

    #[test]
    fn ports_of_other_protocols_are_ignored() {
        let rule = ec2_rule("47", 0, 0, "10.0.0.0/8");

        assert!(rule_matches(&rule, &spec("47", -1, -1, "10.0.0.0/8")));
    }

    #[test]
    fn icmp_rule_shows_type_and_code() {
        let rule = convert_rule(&ec2_rule("icmp", 8, -1, "10.0.0.0/8"));

        assert_eq!(rule.protocol, "icmp");
        assert_eq!(rule.icmp_type, Some(8));
        assert_eq!(rule.icmp_code, None);
        assert_eq!(rule.port_range_min, None);
        assert_eq!(rule.ethertype.as_deref(), Some("IPv4"));
    }

    #[test]
    fn all_protocols_show_as_any() {
        let rule = convert_rule(&ec2_rule("-1", -1, -1, "0.0.0.0/0"));

        assert_eq!(rule.protocol, "any");
        assert_eq!(rule.port_range_min, None);
        assert_eq!(rule.port_range_max, None);
    }
}
