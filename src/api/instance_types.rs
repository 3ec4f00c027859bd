//! `/v1/instance-types`: the instance types offered in the project's region, read live from
//! the cloud.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SharedState;
use super::error::ApiError;
use super::extract::{ApiQuery, NoQuery};
use super::openapi::*;
use super::pagination::{next_link, paginate, parse_limit};
use super::project::Project;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/instance-types", get(list))
        .route("/instance-types/{instance_type}", get(show))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    /// Only types whose default vCPU count equals this.
    vcpus: Option<i32>,
    architecture: Option<String>,
}

#[utoipa::path(get, path = "/v1/instance-types", tag = "instance-types",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("vcpus" = Option<i32>, Query), ("architecture" = Option<String>, Query)),
    responses((status = 200, description = "Instance types offered in the project's region", body = InstanceTypeList), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:instance-type:list")?;
    let limit = parse_limit(query.limit.as_deref(), state.config.api.max_limit)?;
    let all = state.driver.list_instance_types(project.scope()).await?;
    let matching: Vec<_> = all
        .iter()
        .filter(|t| query.vcpus.is_none_or(|v| t.vcpus == Some(v)))
        .filter(|t| {
            query
                .architecture
                .as_ref()
                .is_none_or(|a| t.architectures.iter().any(|x| x == a))
        })
        .cloned()
        .collect();
    let base = state.base_url(&headers);
    let vcpus = query.vcpus.map(|v| v.to_string());
    let filters = [
        ("vcpus", vcpus.as_deref()),
        ("architecture", query.architecture.as_deref()),
    ];
    let page = paginate(
        matching,
        |t| t.name.as_str(),
        limit,
        query.marker.as_deref(),
        |marker| next_link(&base, "/v1/instance-types", &filters, limit, marker),
    );
    Ok(axum::Json(page.into_body("instance_types")))
}

#[utoipa::path(get, path = "/v1/instance-types/{instance_type}", tag = "instance-types",
    params(("instance_type" = String, Path)),
    responses((status = 200, description = "One instance type", body = InstanceTypeShow),
        (status = 404, description = "Not offered in the project's region", body = ErrorBody), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(name): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:instance-type:get")?;
    let all = state.driver.list_instance_types(project.scope()).await?;
    let found = all.iter().find(|t| t.name == name).ok_or_else(|| {
        ApiError::not_found(
            "instance_type.not_found",
            format!("The instance type {name} is not offered in this project's region; GET /v1/instance-types lists them."),
        )
    })?;
    Ok(axum::Json(json!({ "instance_type": found })))
}
