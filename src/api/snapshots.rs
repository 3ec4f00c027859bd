//! `/v1/snapshots`: list, show, create and delete EBS snapshots of the project's volumes.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::listing::{ListEndpoint, list_page, list_params};
use super::openapi::ErrorBody;
use super::pagination::Link;
use super::project::Project;
use super::{SharedState, idempotency, validate};
use crate::cloud::{Snapshot, SnapshotFilter, SnapshotSpec};

const STATES: [&str; 5] = ["pending", "completed", "error", "recoverable", "recovering"];
/// EC2's limit on a snapshot description.
const MAX_DESCRIPTION_CHARS: usize = 255;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/snapshots", get(list).post(create))
        .route("/snapshots/{snapshot_id}", get(show).delete(delete))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotList {
    pub snapshots: Vec<Snapshot>,
    pub snapshots_links: Option<Vec<Link>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotShow {
    pub snapshot: Snapshot,
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "snapshot",
    collection: "snapshots",
    path: "/v1/snapshots",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    state: Option<String>,
    volume_id: Option<String>,
    name: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/snapshots", tag = "snapshots",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("state" = Option<String>, Query),
           ("volume_id" = Option<String>, Query), ("name" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's snapshots", body = SnapshotList),
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
    project.enforce("aws-hybrid:snapshot:list")?;
    if let Some(wanted) = &query.state {
        validate::one_of("state", wanted, &STATES)?;
    }
    if let Some(volume_id) = &query.volume_id {
        validate::aws_id("volume_id", "vol", volume_id)?;
    }
    if let Some(name) = &query.name {
        validate::length("name", name, 1, 255)?;
    }
    let filter = SnapshotFilter {
        state: query.state.clone(),
        volume_id: query.volume_id.clone(),
        name: query.name.clone(),
    };
    let body = list_page(
        &state,
        &project,
        &headers,
        &LIST,
        list_params!(query, [state, volume_id, name]),
        |s: &Snapshot| s.id.as_str(),
        |scope| state.driver.list_snapshots(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/v1/snapshots/{snapshot_id}", tag = "snapshots",
    params(("snapshot_id" = String, Path)),
    responses((status = 200, description = "One snapshot", body = SnapshotShow),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such snapshot in this project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:snapshot:get")?;
    validate::snapshot_id(&id)?;
    let snapshot = state.driver.get_snapshot(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "snapshot": snapshot })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotCreateBody {
    snapshot: CreateSnapshot,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSnapshot {
    volume_id: String,
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/snapshots", tag = "snapshots", request_body = SnapshotCreateBody,
    responses((status = 202, description = "EC2 accepted the snapshot; it is pending", body = SnapshotShow),
        (status = 400, description = "Invalid body, or a volume the project does not have", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<SnapshotCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:snapshot:create")?;
    let request = body.snapshot;
    validate::aws_id("volume_id", "vol", &request.volume_id)?;
    if let Some(name) = &request.name {
        validate::length("name", name, 1, 255)?;
    }
    if let Some(description) = &request.description {
        validate::length("description", description, 0, MAX_DESCRIPTION_CHARS)?;
    }
    validate::tags(&request.tags)?;

    let token = idempotency::client_token(
        &headers,
        &project.context.project_id,
        "snapshot:create",
        &project.context.request_id,
    )?;
    let spec = SnapshotSpec {
        volume_id: request.volume_id,
        name: request.name,
        description: request.description,
        tags: request.tags,
        idempotency_token: headers.contains_key(idempotency::HEADER).then_some(token),
    };
    let snapshot = state.driver.create_snapshot(project.scope(), &spec).await?;

    let location = format!("{}/v1/snapshots/{}", state.base_url(&headers), snapshot.id);
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "snapshot": snapshot })),
    )
        .into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[utoipa::path(delete, path = "/v1/snapshots/{snapshot_id}", tag = "snapshots",
    params(("snapshot_id" = String, Path)),
    responses((status = 204, description = "Snapshot deleted"),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such snapshot in this project", body = ErrorBody),
        (status = 409, description = "An image uses the snapshot", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn delete(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:snapshot:delete")?;
    validate::snapshot_id(&id)?;
    state.driver.delete_snapshot(project.scope(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
