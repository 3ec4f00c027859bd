//! `/v1/regions` and `/v1/availability-zones`: where the project's AWS account can run things.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SharedState;
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::auth::RequestContext;
use crate::auth::policy::{Access, enforce};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/regions", get(list_regions))
        .route("/availability-zones", get(list_availability_zones))
}

/// These lists are short and unpaginated; the query string must be empty.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoQuery {}

async fn list_regions(
    State(state): State<SharedState>,
    context: RequestContext,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    enforce(&context, "aws-hybrid:region:list", Access::Read)?;
    let regions = state.driver.list_regions(state.scope(&context)?).await?;
    Ok(axum::Json(json!({ "regions": regions })))
}

async fn list_availability_zones(
    State(state): State<SharedState>,
    context: RequestContext,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    enforce(&context, "aws-hybrid:availability-zone:list", Access::Read)?;
    let zones = state
        .driver
        .list_availability_zones(state.scope(&context)?)
        .await?;
    Ok(axum::Json(json!({ "availability_zones": zones })))
}
