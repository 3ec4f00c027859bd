//! `/v1/instances`: list, show, launch, terminate, and the start, stop and reboot actions.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::block_devices::{BlockDeviceRequest, block_device_specs};
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::listing::{ListEndpoint, list_page, list_params};
use super::openapi::*;
use super::project::Project;
use super::{SharedState, guardrails, idempotency, instance_operations, validate};
use crate::cloud::{Instance, InstanceAction, InstanceFilter, LaunchSpec, Scope};

/// RunInstances accepts at most this many instances per request here; AWS account limits may
/// be lower.
const MAX_COUNT: i32 = 20;
/// EC2's limit on user data, before base64 encoding.
const MAX_USER_DATA_BYTES: usize = 16 * 1024;
const STATES: [&str; 6] = [
    "pending",
    "running",
    "stopping",
    "stopped",
    "shutting-down",
    "terminated",
];

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/instances", get(list).post(create))
        .route("/instances/{instance_id}", get(show).delete(terminate))
        .route("/instances/{instance_id}/action", post(action))
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "instance",
    collection: "instances",
    path: "/v1/instances",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    state: Option<String>,
    name: Option<String>,
    instance_type: Option<String>,
    image_id: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/instances", tag = "instances",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("state" = Option<String>, Query),
           ("name" = Option<String>, Query), ("instance_type" = Option<String>, Query), ("image_id" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's instances", body = InstanceList),
        (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:instance:list")?;
    if let Some(wanted) = &query.state {
        validate::one_of("state", wanted, &STATES)?;
    }
    let filter = InstanceFilter {
        state: query.state.clone(),
        name: query.name.clone(),
        instance_type: query.instance_type.clone(),
        image_id: query.image_id.clone(),
    };
    let body = list_page(
        &state,
        &project,
        &headers,
        &LIST,
        list_params!(query, [state, name, instance_type, image_id]),
        |i: &Instance| i.id.as_str(),
        |scope| state.driver.list_instances(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/v1/instances/{instance_id}", tag = "instances",
    params(("instance_id" = String, Path)),
    responses((status = 200, description = "One instance", body = InstanceShow),
        (status = 404, description = "No such instance in this project", body = ErrorBody),
        (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:instance:get")?;
    validate::instance_id(&id)?;
    let instance = state.driver.get_instance(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "instance": instance })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceCreateBody {
    instance: CreateInstance,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInstance {
    name: Option<String>,
    image_id: String,
    instance_type: String,
    key_name: Option<String>,
    #[serde(default)]
    security_group_ids: Vec<String>,
    subnet_id: Option<String>,
    availability_zone: Option<String>,
    count: Option<i32>,
    user_data: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    block_device_mappings: Vec<BlockDeviceRequest>,
}

#[utoipa::path(post, path = "/v1/instances", tag = "instances", request_body = InstanceCreateBody,
    responses((status = 202, description = "Launch accepted; `instance` when count is 1, `instances` otherwise", body = InstanceShow),
        (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<InstanceCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:instance:create")?;
    let token = idempotency::client_token(
        &headers,
        &project.context.project_id,
        "instance:create",
        &project.context.request_id,
    )?;
    let spec = launch_spec(body.instance, &token)?;
    let scope = project.scope();
    check_references(&*state.driver, scope, &spec).await?;
    let count = u32::try_from(spec.count).unwrap_or(1);
    let check = guardrails::check_launch(
        &state.capacity,
        &*state.driver,
        scope,
        &spec.image_id,
        &spec.instance_type,
        count,
    );
    let hold = match check.await {
        Ok(hold) => Some(hold),
        Err(denied) => {
            retry_of_made_launch(&state, scope, &headers, &spec.client_token, denied).await?;
            None
        }
    };
    let launched = state.driver.launch_instances(scope, &spec).await?;
    drop(hold);
    let base = state.base_url(&headers);
    let mut response = if launched.len() == 1 {
        (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "instance": launched[0] })),
        )
            .into_response()
    } else {
        (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "instances": launched })),
        )
            .into_response()
    };
    let location = launched
        .first()
        .and_then(|first| format!("{base}/v1/instances/{}", first.id).parse().ok());
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Checks that the key pair and security groups a launch names belong to the project. In an
/// AWS account shared by several projects, EC2 would accept another project's group or key,
/// which would let one project's instance into another's network rules or let a key of
/// another project log in.
async fn check_references(
    driver: &dyn crate::cloud::CloudDriver,
    scope: crate::cloud::Scope<'_>,
    spec: &LaunchSpec,
) -> Result<(), ApiError> {
    let not_ours = |field: &str, value: &str, list: &str| {
        ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid {field} {value:?}: this project has none by that name or ID; GET {list} lists the project's own."
            ),
        )
    };
    if let Some(name) = &spec.key_name {
        match driver.get_key_pair(scope, name).await {
            Ok(_) => {}
            Err(crate::cloud::CloudError::NotFound { .. }) => {
                return Err(not_ours("key_name", name, "/v1/key-pairs"));
            }
            Err(other) => return Err(other.into()),
        }
    }
    for id in &spec.security_group_ids {
        match driver.get_security_group(scope, id).await {
            Ok(_) => {}
            Err(crate::cloud::CloudError::NotFound { .. }) => {
                return Err(not_ours("security_group_ids", id, "/v1/security-groups"));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Check every field of a launch request and name the first bad one with its fix.
fn launch_spec(request: CreateInstance, client_token: &str) -> Result<LaunchSpec, ApiError> {
    validate::image_id("image_id", &request.image_id)?;
    validate::instance_type(&request.instance_type)?;
    if let Some(name) = &request.name {
        validate::length("name", name, 1, 255)?;
    }
    if let Some(key_name) = &request.key_name {
        validate::length("key_name", key_name, 1, 255)?;
    }
    for group in &request.security_group_ids {
        validate::aws_id("security_group_ids", "sg", group)?;
    }
    if let Some(subnet) = &request.subnet_id {
        validate::aws_id("subnet_id", "subnet", subnet)?;
    }
    if let Some(zone) = &request.availability_zone {
        validate::length("availability_zone", zone, 1, 64)?;
    }
    let count = request.count.unwrap_or(1);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("Invalid count {count}: it must be between 1 and {MAX_COUNT}."),
        ));
    }
    if let Some(user_data) = &request.user_data {
        check_user_data(user_data)?;
    }
    validate::tags(&request.tags)?;
    let block_device_mappings = block_device_specs(request.block_device_mappings)?;
    Ok(LaunchSpec {
        name: request.name,
        image_id: request.image_id,
        instance_type: request.instance_type,
        key_name: request.key_name,
        security_group_ids: request.security_group_ids,
        subnet_id: request.subnet_id,
        availability_zone: request.availability_zone,
        count,
        user_data: request.user_data,
        tags: request.tags,
        client_token: client_token.to_owned(),
        block_device_mappings,
    })
}

fn check_user_data(user_data: &str) -> Result<(), ApiError> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(user_data).map_err(|_| {
        ApiError::bad_request(
            "invalid_parameter",
            "Invalid user_data: it must be base64-encoded, as Nova and EC2 take it (e.g. `base64 -w0 cloud-init.yaml`).",
        )
    })?;
    if decoded.len() > MAX_USER_DATA_BYTES {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid user_data: it is {} bytes once decoded; EC2 accepts at most {MAX_USER_DATA_BYTES}.",
                decoded.len()
            ),
        ));
    }
    Ok(())
}

#[utoipa::path(delete, path = "/v1/instances/{instance_id}", tag = "instances",
    params(("instance_id" = String, Path)),
    responses((status = 204, description = "Termination accepted"),
        (status = 404, description = "No such instance in this project", body = ErrorBody),
        (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn terminate(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:instance:delete")?;
    validate::instance_id(&id)?;
    state
        .driver
        .terminate_instance(project.scope(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/instances/{instance_id}/action", tag = "instances",
    params(("instance_id" = String, Path)),
    request_body(content = Object, description = "`{\"start\": null}`, `{\"stop\": null}`, `{\"reboot\": null}` or `{\"resize\": {\"instance_type\": \"t3.large\"}}`"),
    responses((status = 202, description = "Action accepted, or already done"),
        (status = 404, description = "No such instance in this project", body = ErrorBody),
        (status = 409, description = "The instance's state does not allow the action", body = ErrorBody),
        (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn action(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<StatusCode, ApiError> {
    if instance_operations::is_resize(&body) {
        return instance_operations::resize(&state, &project, &id, body).await;
    }
    let action = parse_action(&body)?;
    project.enforce(&format!("aws-hybrid:instance:action:{}", action.as_str()))?;
    validate::instance_id(&id)?;
    let scope = project.scope();
    let mut hold = None;
    if action == InstanceAction::Start && scope.tenant.guardrails.limits_capacity() {
        let instance = state.driver.get_instance(scope, &id).await?;
        if instance.state == "stopped" {
            let check = guardrails::check_start(
                &state.capacity,
                &*state.driver,
                scope,
                &instance.instance_type,
            );
            hold = Some(check.await?);
        }
    }
    state.driver.instance_action(scope, &id, action).await?;
    drop(hold);
    Ok(StatusCode::ACCEPTED)
}

/// Decides a launch that the guardrails denied. A retry with the `Idempotency-Key` of a launch
/// that EC2 already made may go on, because EC2 returns the same instances for it instead of
/// launching more. Any other launch gets the denial.
async fn retry_of_made_launch(
    state: &SharedState,
    scope: Scope<'_>,
    headers: &HeaderMap,
    client_token: &str,
    denied: ApiError,
) -> Result<(), ApiError> {
    if !headers.contains_key(idempotency::HEADER) {
        return Err(denied);
    }
    let existing = state
        .driver
        .instances_launched_with(scope, client_token)
        .await?;
    if existing.is_empty() {
        return Err(denied);
    }
    tracing::info!(
        instance_count = existing.len(),
        "guardrails passed a retried launch whose instances exist"
    );
    Ok(())
}

/// Parse a Nova-style action body: exactly one key naming the action, with a null (or empty object)
/// value, e.g. `{"stop": null}`.
fn parse_action(body: &Map<String, Value>) -> Result<InstanceAction, ApiError> {
    let invalid = |detail: String| ApiError::bad_request("invalid_action", detail);
    let mut keys = body.keys();
    let (Some(name), None) = (keys.next(), keys.next()) else {
        return Err(invalid(
            "The action body must have exactly one key: start, stop, reboot or resize, e.g. {\"stop\": null}.".into(),
        ));
    };
    let action = match name.as_str() {
        "start" => InstanceAction::Start,
        "stop" => InstanceAction::Stop,
        "reboot" => InstanceAction::Reboot,
        other => {
            return Err(invalid(format!(
                "Unknown action {other:?}: use start, stop, reboot or resize, e.g. {{\"stop\": null}}."
            )));
        }
    };
    match &body[name] {
        Value::Null => Ok(action),
        Value::Object(options) if options.is_empty() => Ok(action),
        _ => Err(invalid(format!(
            "The {name} action takes no arguments: send {{\"{name}\": null}}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn action_body_names_one_action() {
        assert_eq!(
            parse_action(&body(json!({"stop": null}))).unwrap(),
            InstanceAction::Stop
        );
        assert_eq!(
            parse_action(&body(json!({"reboot": {}}))).unwrap(),
            InstanceAction::Reboot
        );
    }

    #[test]
    fn action_body_rejects_unknown_and_extra_keys() {
        assert!(parse_action(&body(json!({"explode": null}))).is_err());
        assert!(parse_action(&body(json!({"stop": null, "start": null}))).is_err());
        assert!(parse_action(&body(json!({}))).is_err());
        assert!(parse_action(&body(json!({"stop": {"force": true}}))).is_err());
    }

    fn request() -> CreateInstance {
        CreateInstance {
            name: Some("web".into()),
            image_id: "ami-12345678".into(),
            instance_type: "t3.micro".into(),
            key_name: None,
            security_group_ids: vec![],
            subnet_id: None,
            availability_zone: None,
            count: None,
            user_data: None,
            tags: BTreeMap::new(),
            block_device_mappings: Vec::new(),
        }
    }

    #[test]
    fn launch_spec_defaults_count_to_one() {
        let spec = launch_spec(request(), "req-1").unwrap();
        assert_eq!(spec.count, 1);
        assert_eq!(spec.client_token, "req-1");
    }

    #[test]
    fn launch_spec_rejects_bad_count_and_user_data() {
        let mut bad = request();
        bad.count = Some(0);
        assert!(launch_spec(bad, "r").unwrap_err().detail.contains("count"));
        let mut bad = request();
        bad.user_data = Some("not base64!".into());
        assert!(
            launch_spec(bad, "r")
                .unwrap_err()
                .detail
                .contains("user_data")
        );
    }
}
