//! `/v1/security-groups/{security_group_id}/rules`: list, show, add and remove the rules of a
//! security group, one at a time.
//!
//! Rules live under their group, unlike Neutron's top-level `/v2.0/security-group-rules`,
//! because an EC2 rule belongs to exactly one group. EC2 adds and removes rules through the
//! group, and the group's project tag decides who may see or change a rule.

use std::net::IpAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::openapi::*;
use super::pagination::{Link, next_link, paginate, parse_limit};
use super::project::Project;
use super::security_groups::{check_text, security_group_id};
use super::{SharedState, idempotency};
use crate::cloud::{Direction, RuleCreation, SecurityGroupRule, SecurityGroupRuleSpec};

const MAX_PORT: i64 = 65_535;
const MAX_ICMP_VALUE: i64 = 255;
const MAX_PROTOCOL_NUMBER: i64 = 255;
const PROTOCOLS: &str =
    "tcp, udp, icmp, icmpv6, any (or -1), or an IP protocol number from 0 to 255";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/security-groups/{security_group_id}/rules",
            get(list).post(create),
        )
        .route(
            "/security-groups/{security_group_id}/rules/{security_group_rule_id}",
            get(show).delete(delete),
        )
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SecurityGroupRuleList {
    pub security_group_rules: Vec<SecurityGroupRule>,
    pub security_group_rules_links: Option<Vec<Link>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SecurityGroupRuleShow {
    pub security_group_rule: SecurityGroupRule,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    direction: Option<String>,
}

#[utoipa::path(get, path = "/v1/security-groups/{security_group_id}/rules", tag = "security-groups",
    params(("security_group_id" = String, Path), ("limit" = Option<usize>, Query), ("marker" = Option<String>, Query),
           ("direction" = Option<String>, Query, description = "ingress or egress")),
    responses((status = 200, description = "The group's rules, by id", body = SecurityGroupRuleList),
        (status = 404, description = "No such security group in this project", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group-rule:list")?;
    let direction = query
        .direction
        .as_deref()
        .map(parse_direction)
        .transpose()?;
    let limit = parse_limit(query.limit.as_deref(), state.config.api.max_limit)?;
    security_group_id(&group_id)?;
    let group = state
        .driver
        .get_security_group(project.scope(), &group_id)
        .await?;
    let rules: Vec<SecurityGroupRule> = group
        .rules
        .into_iter()
        .filter(|r| direction.is_none_or(|d| r.direction == d.as_str()))
        .collect();
    let base = state.base_url(&headers);
    let path = format!("/v1/security-groups/{group_id}/rules");
    let filters = [("direction", query.direction.as_deref())];
    let page = paginate(
        rules,
        |r| r.id.as_str(),
        limit,
        query.marker.as_deref(),
        |marker| next_link(&base, &path, &filters, limit, marker),
    );
    Ok(axum::Json(page.into_body("security_group_rules")).into_response())
}

#[utoipa::path(get, path = "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}", tag = "security-groups",
    params(("security_group_id" = String, Path), ("security_group_rule_id" = String, Path)),
    responses((status = 200, description = "One rule", body = SecurityGroupRuleShow),
        (status = 404, description = "No such security group in this project, or no such rule in the group", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path((group_id, rule_id)): Path<(String, String)>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group-rule:get")?;
    security_group_id(&group_id)?;
    rule_id_in_path(&rule_id)?;
    let group = state
        .driver
        .get_security_group(project.scope(), &group_id)
        .await?;
    let rule = group
        .rules
        .into_iter()
        .find(|r| r.id == rule_id)
        .ok_or_else(|| rule_not_found(&group_id, &rule_id))?;
    Ok(axum::Json(json!({ "security_group_rule": rule })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleCreateBody {
    security_group_rule: CreateRule,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRule {
    /// `ingress` or `egress`.
    direction: String,
    /// tcp, udp, icmp, icmpv6, any (or -1), or an IP protocol number from 0 to 255, as a
    /// string or a number.
    #[schema(value_type = String)]
    protocol: Value,
    port_range_min: Option<i64>,
    port_range_max: Option<i64>,
    icmp_type: Option<i64>,
    icmp_code: Option<i64>,
    remote_ip_prefix: Option<String>,
    remote_group_id: Option<String>,
    description: Option<String>,
}

#[utoipa::path(post, path = "/v1/security-groups/{security_group_id}/rules", tag = "security-groups",
    params(("security_group_id" = String, Path)), request_body = RuleCreateBody,
    responses((status = 201, description = "Rule added, or found for a repeated Idempotency-Key", body = SecurityGroupRuleShow),
        (status = 400, description = "Invalid body, such as a bad CIDR, an unknown protocol or a reversed port range", body = ErrorBody),
        (status = 404, description = "No such security group in this project", body = ErrorBody),
        (status = 409, description = "The group already has this rule; the body has it as `security_group_rule`", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<RuleCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group-rule:create")?;
    security_group_id(&group_id)?;
    let token = idempotency::tag_token(
        &headers,
        &project.context.project_id,
        "security_group_rule:create",
        &project.context.request_id,
    )?;
    let spec = rule_spec(body.security_group_rule, token)?;
    let outcome = state
        .driver
        .add_security_group_rule(project.scope(), &group_id, &spec)
        .await?;
    // A repeated request gets 201 too, with the rule of the first one.
    let rule = match outcome {
        RuleCreation::Created(rule) | RuleCreation::Replayed(rule) => rule,
        RuleCreation::Duplicate(rule) => return Ok(duplicate_response(rule).await),
    };
    let location = format!(
        "{}/v1/security-groups/{group_id}/rules/{}",
        state.base_url(&headers),
        rule.id
    );
    let mut response = (
        StatusCode::CREATED,
        axum::Json(json!({ "security_group_rule": rule })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Build the 409 for a rule the group already has: the API-SIG error body, plus the existing
/// rule as `security_group_rule` so that a client can use its id without another request.
async fn duplicate_response(rule: SecurityGroupRule) -> Response {
    let error = ApiError::conflict(
        "security_group_rule.exists",
        format!(
            "Security group {} already has this rule, with id {}; EC2 treats rules with the same direction, protocol, ports and remote as one, whatever their descriptions.",
            rule.security_group_id, rule.id
        ),
    );
    let (parts, body) = error.into_response().into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return ApiError::internal(format!("cannot read an error body: {e}")).into_response();
        }
    };
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => {
            return ApiError::internal(format!("cannot parse an error body: {e}")).into_response();
        }
    };
    value["security_group_rule"] = json!(rule);
    let mut response = Response::from_parts(parts, Body::from(value.to_string()));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Check every field of a rule and name the first bad one with its fix, and translate the rule
/// into EC2's terms.
fn rule_spec(
    request: CreateRule,
    idempotency_token: Option<String>,
) -> Result<SecurityGroupRuleSpec, ApiError> {
    let direction = parse_direction(&request.direction)?;
    let protocol = parse_protocol(&request.protocol)?;
    let remote_ip_prefix = match (&request.remote_ip_prefix, &request.remote_group_id) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "remote_group_id",
                "give either remote_ip_prefix or remote_group_id, not both",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "remote_ip_prefix",
                "missing: give remote_ip_prefix (a CIDR such as 0.0.0.0/0 or ::/0) or remote_group_id (a security group of the project)",
            ));
        }
        (Some(cidr), None) => Some(parse_cidr(cidr)?),
        (None, Some(group)) => {
            if security_group_id(group).is_err() {
                return Err(invalid(
                    "remote_group_id",
                    &format!(
                        "{group:?} is not a security group id; it looks like sg-0123456789abcdef0"
                    ),
                ));
            }
            None
        }
    };
    if let Some(description) = &request.description {
        check_text("description", description, 0)?;
    }
    let ipv6 = remote_ip_prefix.as_ref().map(|(_, v6)| *v6);
    let (from_port, to_port) = ports(&protocol, &request, ipv6)?;
    Ok(SecurityGroupRuleSpec {
        direction,
        protocol,
        from_port,
        to_port,
        remote_ip_prefix: remote_ip_prefix.map(|(cidr, _)| cidr),
        remote_group_id: request.remote_group_id,
        description: request.description.filter(|d| !d.is_empty()),
        idempotency_token,
    })
}

fn invalid(field: &str, fix: &str) -> ApiError {
    ApiError::bad_request("invalid_parameter", format!("Invalid {field}: {fix}."))
}

fn parse_direction(value: &str) -> Result<Direction, ApiError> {
    match value {
        "ingress" => Ok(Direction::Ingress),
        "egress" => Ok(Direction::Egress),
        other => Err(invalid(
            "direction",
            &format!("{other:?} is not a direction; use ingress or egress"),
        )),
    }
}

/// Return EC2's spelling of the protocol: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` for any, or
/// the number of another protocol. The numbers of the four named protocols become names, so
/// that a rule has one spelling whichever way it was written.
fn parse_protocol(value: &Value) -> Result<String, ApiError> {
    let text = match value {
        Value::String(s) => s.trim().to_ascii_lowercase(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(invalid(
                "protocol",
                &format!("{other} is not a protocol; use {PROTOCOLS}"),
            ));
        }
    };
    let protocol = match text.as_str() {
        "tcp" | "6" => "tcp".to_owned(),
        "udp" | "17" => "udp".to_owned(),
        "icmp" | "1" => "icmp".to_owned(),
        "icmpv6" | "ipv6-icmp" | "58" => "icmpv6".to_owned(),
        "any" | "-1" => "-1".to_owned(),
        number => match number.parse::<i64>() {
            Ok(n) if (0..=MAX_PROTOCOL_NUMBER).contains(&n) => n.to_string(),
            _ => {
                return Err(invalid(
                    "protocol",
                    &format!("{value} is not a protocol; use {PROTOCOLS}"),
                ));
            }
        },
    };
    Ok(protocol)
}

/// Parse a CIDR and return it in canonical form, with whether it is IPv6. Host bits must be
/// zero, so that the rule reads as the network it allows.
fn parse_cidr(value: &str) -> Result<(String, bool), ApiError> {
    let field = "remote_ip_prefix";
    let Some((address, length)) = value.split_once('/') else {
        return Err(invalid(
            field,
            &format!(
                "{value:?} has no prefix length; write a CIDR such as {value}/32 for one IPv4 address or {value}/128 for one IPv6 address"
            ),
        ));
    };
    let address: IpAddr = address.parse().map_err(|_| {
        invalid(
            field,
            &format!("{value:?} is not a CIDR; write an IPv4 or IPv6 network such as 203.0.113.0/24 or 2001:db8::/32"),
        )
    })?;
    let max_length = if address.is_ipv4() { 32 } else { 128 };
    let length: u32 = match length.parse() {
        Ok(n) if n <= max_length && !length.starts_with('+') => n,
        _ => {
            return Err(invalid(
                field,
                &format!(
                    "{value:?} has an invalid prefix length; it must be a number from 0 to {max_length}"
                ),
            ));
        }
    };
    let network = match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            IpAddr::from(std::net::Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            IpAddr::from(std::net::Ipv6Addr::from(u128::from(v6) & mask))
        }
    };
    if network != address {
        return Err(invalid(
            field,
            &format!("{value:?} has host bits set; write the network address, {network}/{length}"),
        ));
    }
    Ok((format!("{network}/{length}"), network.is_ipv6()))
}

/// Check the port or ICMP fields that fit the protocol, and return EC2's FromPort and ToPort.
/// `ipv6` is whether the remote is an IPv6 CIDR, or None for a remote group.
fn ports(protocol: &str, request: &CreateRule, ipv6: Option<bool>) -> Result<(i32, i32), ApiError> {
    let ports_given = request.port_range_min.is_some() || request.port_range_max.is_some();
    let icmp_given = request.icmp_type.is_some() || request.icmp_code.is_some();
    match protocol {
        "tcp" | "udp" => {
            if icmp_given {
                let field = if request.icmp_type.is_some() {
                    "icmp_type"
                } else {
                    "icmp_code"
                };
                return Err(invalid(
                    field,
                    &format!(
                        "{protocol} rules have ports, not ICMP fields; use port_range_min and port_range_max"
                    ),
                ));
            }
            let (min, max) = match (request.port_range_min, request.port_range_max) {
                (None, None) => (0, MAX_PORT),
                (Some(min), Some(max)) => (min, max),
                (Some(_), None) => {
                    return Err(invalid(
                        "port_range_max",
                        "missing: give both port_range_min and port_range_max (equal for one port), or neither for every port",
                    ));
                }
                (None, Some(_)) => {
                    return Err(invalid(
                        "port_range_min",
                        "missing: give both port_range_min and port_range_max (equal for one port), or neither for every port",
                    ));
                }
            };
            for (field, port) in [("port_range_min", min), ("port_range_max", max)] {
                if !(0..=MAX_PORT).contains(&port) {
                    return Err(invalid(
                        field,
                        &format!("{port} is not a port; use a number from 0 to {MAX_PORT}"),
                    ));
                }
            }
            if min > max {
                return Err(invalid(
                    "port_range_min",
                    &format!(
                        "the range {min}-{max} is reversed; port_range_min must not exceed port_range_max"
                    ),
                ));
            }
            Ok((min as i32, max as i32))
        }
        "icmp" | "icmpv6" => {
            if ports_given {
                let field = if request.port_range_min.is_some() {
                    "port_range_min"
                } else {
                    "port_range_max"
                };
                return Err(invalid(
                    field,
                    &format!("{protocol} rules have no ports; use icmp_type and icmp_code"),
                ));
            }
            match (protocol, ipv6) {
                ("icmp", Some(true)) => {
                    return Err(invalid(
                        "protocol",
                        "icmp is IPv4 only, but remote_ip_prefix is an IPv6 CIDR; use icmpv6",
                    ));
                }
                ("icmpv6", Some(false)) => {
                    return Err(invalid(
                        "protocol",
                        "icmpv6 is IPv6 only, but remote_ip_prefix is an IPv4 CIDR; use icmp",
                    ));
                }
                _ => {}
            }
            if request.icmp_code.is_some() && request.icmp_type.is_none() {
                return Err(invalid(
                    "icmp_type",
                    "missing: an icmp_code needs an icmp_type",
                ));
            }
            for (field, value) in [
                ("icmp_type", request.icmp_type),
                ("icmp_code", request.icmp_code),
            ] {
                if let Some(value) = value.filter(|v| !(0..=MAX_ICMP_VALUE).contains(v)) {
                    return Err(invalid(
                        field,
                        &format!(
                            "{value} is out of range; use a number from 0 to {MAX_ICMP_VALUE}, or leave it out for all"
                        ),
                    ));
                }
            }
            Ok((
                request.icmp_type.map_or(-1, |v| v as i32),
                request.icmp_code.map_or(-1, |v| v as i32),
            ))
        }
        _ => {
            let shown = if protocol == "-1" { "any" } else { protocol };
            for (field, given) in [
                ("port_range_min", request.port_range_min.is_some()),
                ("port_range_max", request.port_range_max.is_some()),
                ("icmp_type", request.icmp_type.is_some()),
                ("icmp_code", request.icmp_code.is_some()),
            ] {
                if given {
                    return Err(invalid(
                        field,
                        &format!(
                            "protocol {shown} has no ports or ICMP fields; a rule for it allows every port, so leave {field} out"
                        ),
                    ));
                }
            }
            Ok((-1, -1))
        }
    }
}

/// Check a rule id in the URL, and report one that cannot exist as not found.
fn rule_id_in_path(value: &str) -> Result<(), ApiError> {
    if super::validate::aws_id("security_group_rule_id", "sgr", value).is_ok() {
        return Ok(());
    }
    Err(ApiError::not_found(
        "security_group_rule.not_found",
        format!(
            "The security group rule {value} was not found: rule ids look like sgr-0123456789abcdef0."
        ),
    ))
}

fn rule_not_found(group_id: &str, rule_id: &str) -> ApiError {
    ApiError::not_found(
        "security_group_rule.not_found",
        format!("Security group {group_id} has no rule {rule_id}."),
    )
}

#[utoipa::path(delete, path = "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}", tag = "security-groups",
    params(("security_group_id" = String, Path), ("security_group_rule_id" = String, Path)),
    responses((status = 204, description = "Rule removed"),
        (status = 404, description = "No such security group in this project, or no such rule in the group", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn delete(
    State(state): State<SharedState>,
    project: Project,
    Path((group_id, rule_id)): Path<(String, String)>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:security-group-rule:delete")?;
    security_group_id(&group_id)?;
    rule_id_in_path(&rule_id)?;
    state
        .driver
        .delete_security_group_rule(project.scope(), &group_id, &rule_id)
        .await
        .map_err(|error| match error {
            crate::cloud::CloudError::NotFound {
                resource: "security group rule",
                ..
            } => rule_not_found(&group_id, &rule_id),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: Value) -> CreateRule {
        CreateRule {
            direction: "ingress".into(),
            protocol,
            port_range_min: None,
            port_range_max: None,
            icmp_type: None,
            icmp_code: None,
            remote_ip_prefix: Some("0.0.0.0/0".into()),
            remote_group_id: None,
            description: None,
        }
    }

    fn error_of(request: CreateRule) -> String {
        rule_spec(request, None).unwrap_err().detail
    }

    #[test]
    fn tcp_without_ports_allows_every_port() {
        let spec = rule_spec(rule(json!("tcp")), None).unwrap();

        assert_eq!((spec.from_port, spec.to_port), (0, 65535));
        assert_eq!(spec.remote_ip_prefix.as_deref(), Some("0.0.0.0/0"));
    }

    #[test]
    fn protocol_spellings_are_canonical() {
        let cases = [
            (json!("TCP"), "tcp"),
            (json!(6), "tcp"),
            (json!("17"), "udp"),
            (json!("ipv6-icmp"), "icmpv6"),
            (json!("any"), "-1"),
            (json!(-1), "-1"),
            (json!(47), "47"),
        ];
        for (given, expected) in cases {
            assert_eq!(parse_protocol(&given).unwrap(), expected, "{given}");
        }
    }

    #[test]
    fn unknown_protocols_are_rejected() {
        for given in [json!("gre"), json!(256), json!(true), json!("")] {
            assert!(
                parse_protocol(&given)
                    .unwrap_err()
                    .detail
                    .contains("protocol")
            );
        }
    }

    #[test]
    fn reversed_port_range_is_rejected() {
        let mut request = rule(json!("tcp"));
        request.port_range_min = Some(90);
        request.port_range_max = Some(80);

        assert!(error_of(request).contains("reversed"));
    }

    #[test]
    fn out_of_range_port_names_the_field() {
        let mut request = rule(json!("udp"));
        request.port_range_min = Some(53);
        request.port_range_max = Some(70000);

        assert!(error_of(request).contains("port_range_max"));
    }

    #[test]
    fn icmp_type_and_code_become_ports() {
        let mut request = rule(json!("icmp"));
        request.icmp_type = Some(8);
        request.icmp_code = Some(0);

        let spec = rule_spec(request, None).unwrap();

        assert_eq!((spec.from_port, spec.to_port), (8, 0));
    }

    #[test]
    fn icmp_family_must_match_cidr() {
        let mut request = rule(json!("icmp"));
        request.remote_ip_prefix = Some("::/0".into());

        assert!(error_of(request).contains("icmpv6"));
    }

    #[test]
    fn ports_on_any_protocol_are_rejected() {
        let mut request = rule(json!("any"));
        request.port_range_min = Some(1);
        request.port_range_max = Some(2);

        assert!(error_of(request).contains("port_range_min"));
    }

    #[test]
    fn cidrs_are_checked_and_canonical() {
        assert_eq!(
            parse_cidr("10.0.0.0/8").unwrap(),
            ("10.0.0.0/8".into(), false)
        );
        assert_eq!(
            parse_cidr("2001:DB8:0:0::/32").unwrap(),
            ("2001:db8::/32".into(), true)
        );
        assert_eq!(
            parse_cidr("0.0.0.0/0").unwrap(),
            ("0.0.0.0/0".into(), false)
        );
        for bad in [
            "10.0.0.1",
            "10.0.0.1/8",
            "10.0.0.0/33",
            "10.0.0/8",
            "::/129",
            "10.0.0.0/+8",
        ] {
            let error = parse_cidr(bad).unwrap_err().detail;
            assert!(error.contains("remote_ip_prefix"), "{bad}: {error}");
        }
        assert!(
            parse_cidr("10.0.0.1/8")
                .unwrap_err()
                .detail
                .contains("10.0.0.0/8")
        );
    }

    #[test]
    fn remote_must_be_one_of_two() {
        let mut neither = rule(json!("tcp"));
        neither.remote_ip_prefix = None;
        let mut both = rule(json!("tcp"));
        both.remote_group_id = Some("sg-0123456789abcdef0".into());

        assert!(error_of(neither).contains("remote_ip_prefix"));
        assert!(error_of(both).contains("remote_group_id"));
    }
}
