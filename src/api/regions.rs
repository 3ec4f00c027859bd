//! `/v1/regions` and `/v1/availability-zones`: where the project's AWS account can run things.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use super::SharedState;
use super::error::ApiError;
use super::extract::{ApiQuery, NoQuery};
use super::openapi::*;
use super::project::Project;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/regions", get(list_regions))
        .route("/availability-zones", get(list_availability_zones))
}

#[utoipa::path(get, path = "/v1/regions", tag = "regions",
    responses((status = 200, description = "Regions, with `allowed` for the project", body = RegionList), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list_regions(
    State(state): State<SharedState>,
    project: Project,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:region:list")?;
    let regions = state.driver.list_regions(project.scope()).await?;
    Ok(axum::Json(json!({ "regions": regions })))
}

#[utoipa::path(get, path = "/v1/availability-zones", tag = "regions",
    responses((status = 200, description = "Zones of the project's region", body = AvailabilityZoneList), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list_availability_zones(
    State(state): State<SharedState>,
    project: Project,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:availability-zone:list")?;
    let zones = state
        .driver
        .list_availability_zones(project.scope())
        .await?;
    Ok(axum::Json(json!({ "availability_zones": zones })))
}
