//! `/v1/security-groups`: list, show, create and delete security groups. Their rules are
//! under `/v1/security-groups/{security_group_id}/rules` (see `security_group_rules`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::listing::{ListEndpoint, list_page, list_params};
use super::openapi::*;
use super::pagination::Link;
use super::project::Project;
use super::{SharedState, idempotency, validate};
use crate::cloud::{SecurityGroup, SecurityGroupFilter, SecurityGroupSpec};

/// EC2's limit on group names and descriptions.
const MAX_TEXT_LEN: usize = 255;
/// Punctuation EC2 accepts in group names and descriptions of VPC security groups, besides
/// letters, digits and spaces.
const ALLOWED_PUNCTUATION: &str = "._-:/()#,@[]+=&;{}!$*";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/security-groups", get(list).post(create))
        .route(
            "/security-groups/{security_group_id}",
            get(show).delete(delete),
        )
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SecurityGroupList {
    pub security_groups: Vec<SecurityGroup>,
    pub security_groups_links: Option<Vec<Link>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SecurityGroupShow {
    pub security_group: SecurityGroup,
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "security-group",
    collection: "security_groups",
    path: "/v1/security-groups",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    name: Option<String>,
    vpc_id: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/security-groups", tag = "security-groups",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("name" = Option<String>, Query),
           ("vpc_id" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's security groups with their rules, by id", body = SecurityGroupList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group:list")?;
    if let Some(name) = &query.name {
        validate::length("name", name, 1, MAX_TEXT_LEN)?;
    }
    if let Some(vpc_id) = &query.vpc_id {
        validate::aws_id("vpc_id", "vpc", vpc_id)?;
    }
    let filter = SecurityGroupFilter {
        name: query.name.clone(),
        vpc_id: query.vpc_id.clone(),
    };
    let body = list_page(
        &state,
        &project,
        &headers,
        &LIST,
        list_params!(query, [name, vpc_id]),
        |g: &SecurityGroup| g.id.as_str(),
        |scope| state.driver.list_security_groups(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/v1/security-groups/{security_group_id}", tag = "security-groups",
    params(("security_group_id" = String, Path)),
    responses((status = 200, description = "One security group with its rules", body = SecurityGroupShow),
        (status = 404, description = "No such security group in this project", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group:get")?;
    security_group_id(&id)?;
    let group = state
        .driver
        .get_security_group(project.scope(), &id)
        .await?;
    Ok(axum::Json(json!({ "security_group": group })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroupCreateBody {
    security_group: CreateSecurityGroup,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSecurityGroup {
    name: String,
    /// Defaults to the name, because EC2 requires a description.
    description: Option<String>,
    /// Defaults to the default VPC of the region.
    vpc_id: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/security-groups", tag = "security-groups", request_body = SecurityGroupCreateBody,
    responses((status = 201, description = "Security group created, with the rules EC2 gave it, or found for a repeated Idempotency-Key", body = SecurityGroupShow),
        (status = 400, description = "Invalid body, or a VPC that is not the default one or the project's", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 409, description = "The VPC already has a group with this name", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<SecurityGroupCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:security-group:create")?;
    let token = idempotency::tag_token(
        &headers,
        &project.context.project_id,
        "security_group:create",
        &project.context.request_id,
    )?;
    let spec = security_group_spec(body.security_group, token)?;
    let created = state
        .driver
        .create_security_group(project.scope(), &spec)
        .await?;
    let location = format!(
        "{}/v1/security-groups/{}",
        state.base_url(&headers),
        created.id
    );
    // A repeated request gets 201 too, with the group of the first one.
    let mut response = (
        StatusCode::CREATED,
        axum::Json(json!({ "security_group": created })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Check every field of a create request and name the first bad one with its fix.
fn security_group_spec(
    request: CreateSecurityGroup,
    idempotency_token: Option<String>,
) -> Result<SecurityGroupSpec, ApiError> {
    check_text("name", &request.name, 1)?;
    if request.name.starts_with("sg-") {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid name {:?}: EC2 reserves names that start with sg- for group ids; choose another name.",
                request.name
            ),
        ));
    }
    if request.name.eq_ignore_ascii_case("default") {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            "Invalid name \"default\": EC2 reserves it for the default group of each VPC; choose another name.",
        ));
    }
    if let Some(description) = &request.description {
        check_text("description", description, 0)?;
    }
    if let Some(vpc_id) = &request.vpc_id {
        validate::aws_id("vpc_id", "vpc", vpc_id)?;
    }
    validate::tags(&request.tags)?;
    let description = request
        .description
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| request.name.clone());
    Ok(SecurityGroupSpec {
        name: request.name,
        description,
        vpc_id: request.vpc_id,
        tags: request.tags,
        idempotency_token,
    })
}

/// Check a group name or description against EC2's rules for VPC security groups.
pub(super) fn check_text(field: &str, value: &str, min_len: usize) -> Result<(), ApiError> {
    validate::length(field, value, min_len, MAX_TEXT_LEN)?;
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == ' ' || ALLOWED_PUNCTUATION.contains(*c)))
    {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid {field} {value:?}: EC2 does not accept the character {bad:?}; use letters, digits, spaces and {ALLOWED_PUNCTUATION}"
            ),
        ));
    }
    Ok(())
}

/// Check a security group id in the URL, and report one that cannot exist as not found, like
/// any unknown id.
pub(super) fn security_group_id(value: &str) -> Result<(), ApiError> {
    if validate::aws_id("security_group_id", "sg", value).is_ok() {
        return Ok(());
    }
    Err(ApiError::not_found(
        "security_group.not_found",
        format!(
            "The security group {value} was not found in this project: security group ids look like sg-0123456789abcdef0."
        ),
    ))
}

#[utoipa::path(delete, path = "/v1/security-groups/{security_group_id}", tag = "security-groups",
    params(("security_group_id" = String, Path)),
    responses((status = 204, description = "Security group deleted"),
        (status = 404, description = "No such security group in this project", body = ErrorBody),
        (status = 409, description = "The group is still in use", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn delete(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:security-group:delete")?;
    security_group_id(&id)?;
    state
        .driver
        .delete_security_group(project.scope(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str) -> CreateSecurityGroup {
        CreateSecurityGroup {
            name: name.into(),
            description: None,
            vpc_id: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn description_defaults_to_name() {
        let spec = security_group_spec(request("web"), None).unwrap();

        assert_eq!(spec.description, "web");
        assert_eq!(spec.vpc_id, None);
    }

    #[test]
    fn reserved_and_malformed_names_are_rejected() {
        for name in [
            "",
            "sg-web",
            "default",
            "web\u{e9}",
            "a|b",
            &"n".repeat(256),
        ] {
            let error = security_group_spec(request(name), None).unwrap_err();
            assert!(error.detail.contains("name"), "{name:?}: {}", error.detail);
        }
    }

    #[test]
    fn malformed_vpc_id_is_rejected() {
        let mut bad = request("web");
        bad.vpc_id = Some("default".into());

        let error = security_group_spec(bad, None).unwrap_err();

        assert!(error.detail.contains("vpc_id"), "{}", error.detail);
    }

    #[test]
    fn malformed_group_id_is_not_found() {
        assert_eq!(security_group_id("sg-web").unwrap_err().status, 404);
        assert!(security_group_id("sg-0123456789abcdef0").is_ok());
    }
}
