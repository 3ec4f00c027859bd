//! `/v1/vpcs` and `/v1/subnets`: the VPCs and subnets of the project's AWS account, read-only,
//! so that a launch can name a subnet.
//!
//! They are account resources that the service neither creates nor tags, so these lists show
//! every VPC and subnet of the account in the region, not only the project's. Projects that
//! share an account see the same ones.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{ApiQuery, NoQuery};
use super::listing::{ListEndpoint, ListParams, list_page};
use super::openapi::*;
use super::pagination::Link;
use super::project::Project;
use super::{SharedState, validate};
use crate::cloud::{Subnet, SubnetFilter, Vpc};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/vpcs", get(list_vpcs))
        .route("/vpcs/{vpc_id}", get(show_vpc))
        .route("/subnets", get(list_subnets))
        .route("/subnets/{subnet_id}", get(show_subnet))
}

#[derive(Serialize, ToSchema)]
pub struct VpcList {
    pub vpcs: Vec<Vpc>,
    pub vpcs_links: Option<Vec<Link>>,
}

#[derive(Serialize, ToSchema)]
pub struct VpcShow {
    pub vpc: Vpc,
}

#[derive(Serialize, ToSchema)]
pub struct SubnetList {
    pub subnets: Vec<Subnet>,
    pub subnets_links: Option<Vec<Link>>,
}

#[derive(Serialize, ToSchema)]
pub struct SubnetShow {
    pub subnet: Subnet,
}

// VPCs and subnets take no `all_projects` or `project_id`, so the `list:all_projects` rule
// that `resource` would name is never checked.
const VPC_LIST: ListEndpoint = ListEndpoint {
    resource: "vpc",
    collection: "vpcs",
    path: "/v1/vpcs",
};

const SUBNET_LIST: ListEndpoint = ListEndpoint {
    resource: "subnet",
    collection: "subnets",
    path: "/v1/subnets",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VpcListQuery {
    limit: Option<String>,
    marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubnetListQuery {
    limit: Option<String>,
    marker: Option<String>,
    vpc_id: Option<String>,
    availability_zone: Option<String>,
}

/// Check an id in a path; one that cannot exist is not found, like any unknown id.
fn path_id(resource: &str, code: &'static str, prefix: &str, id: &str) -> Result<(), ApiError> {
    validate::aws_id(resource, prefix, id).map_err(|_| {
        ApiError::not_found(
            code,
            format!(
                "The {resource} {id} was not found: {resource} ids look like {prefix}-0123456789abcdef0."
            ),
        )
    })
}

#[utoipa::path(get, path = "/v1/vpcs", tag = "networks",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query)),
    responses((status = 200, description = "Every VPC of the project's AWS account in the region", body = VpcList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list_vpcs(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<VpcListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:vpc:list")?;
    let params = ListParams::account_wide(query.limit.as_deref(), query.marker.as_deref(), &[]);
    let body = list_page(
        &state,
        &project,
        &headers,
        &VPC_LIST,
        params,
        |v: &Vpc| v.id.as_str(),
        |scope| state.driver.list_vpcs(scope),
    )
    .await?;
    Ok(axum::Json(body))
}

#[utoipa::path(get, path = "/v1/vpcs/{vpc_id}", tag = "networks",
    params(("vpc_id" = String, Path)),
    responses((status = 200, description = "One VPC", body = VpcShow),
        (status = 404, description = "No such VPC in the project's AWS account and region", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show_vpc(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:vpc:get")?;
    path_id("VPC", "vpc.not_found", "vpc", &id)?;
    let vpc = state.driver.get_vpc(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "vpc": vpc })))
}

#[utoipa::path(get, path = "/v1/subnets", tag = "networks",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query),
           ("vpc_id" = Option<String>, Query), ("availability_zone" = Option<String>, Query)),
    responses((status = 200, description = "Every subnet of the project's AWS account in the region that matches the filters", body = SubnetList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list_subnets(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SubnetListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:subnet:list")?;
    if let Some(vpc_id) = &query.vpc_id {
        validate::aws_id("vpc_id", "vpc", vpc_id)?;
    }
    if let Some(zone) = &query.availability_zone {
        validate::length("availability_zone", zone, 1, 64)?;
    }
    let filter = SubnetFilter {
        vpc_id: query.vpc_id.clone(),
        availability_zone: query.availability_zone.clone(),
    };
    let filters = [
        ("vpc_id", query.vpc_id.as_deref()),
        ("availability_zone", query.availability_zone.as_deref()),
    ];
    let params =
        ListParams::account_wide(query.limit.as_deref(), query.marker.as_deref(), &filters);
    let body = list_page(
        &state,
        &project,
        &headers,
        &SUBNET_LIST,
        params,
        |s: &Subnet| s.id.as_str(),
        |scope| state.driver.list_subnets(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body))
}

#[utoipa::path(get, path = "/v1/subnets/{subnet_id}", tag = "networks",
    params(("subnet_id" = String, Path)),
    responses((status = 200, description = "One subnet", body = SubnetShow),
        (status = 404, description = "No such subnet in the project's AWS account and region", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show_subnet(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:subnet:get")?;
    path_id("subnet", "subnet.not_found", "subnet", &id)?;
    let subnet = state.driver.get_subnet(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "subnet": subnet })))
}
