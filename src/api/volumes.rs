//! `/v1/volumes`: list, show, create and delete EBS volumes, and attach them to or detach
//! them from instances with `POST /v1/volumes/{volume_id}/action`.
//!
//! Attaching and detaching are actions on the volume, as in Cinder's volume actions, instead
//! of an attachment sub-resource. An EBS volume has at most one attachment, because this API
//! does not offer Multi-Attach, and EC2 gives an attachment no id of its own.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::listing::{ListEndpoint, list_page, list_params};
use super::openapi::ErrorBody;
use super::pagination::Link;
use super::project::Project;
use super::{SharedState, idempotency, validate};
use crate::cloud::{CloudError, Scope, Volume, VolumeAction, VolumeFilter, VolumeSpec};

const STATES: [&str; 6] = [
    "creating",
    "available",
    "in-use",
    "deleting",
    "deleted",
    "error",
];

/// EC2 applies this type when a request names none.
const DEFAULT_VOLUME_TYPE: &str = "gp2";

/// Limits that EC2 sets for one volume type: size in GiB, provisioned IOPS and throughput in
/// MiB/s. Source: the CreateVolume documentation in aws-sdk-ec2 1.274.0.
struct TypeLimits {
    name: &'static str,
    min_size: i32,
    max_size: i32,
    /// Allowed IOPS, for the types that take provisioned IOPS.
    iops: Option<(i32, i32)>,
    iops_required: bool,
    throughput: Option<(i32, i32)>,
}

const VOLUME_TYPES: [TypeLimits; 7] = [
    TypeLimits {
        name: "gp2",
        min_size: 1,
        max_size: 16_384,
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "gp3",
        min_size: 1,
        max_size: 65_536,
        iops: Some((3_000, 80_000)),
        iops_required: false,
        throughput: Some((125, 2_000)),
    },
    TypeLimits {
        name: "io1",
        min_size: 4,
        max_size: 16_384,
        iops: Some((100, 64_000)),
        iops_required: true,
        throughput: None,
    },
    TypeLimits {
        name: "io2",
        min_size: 4,
        max_size: 65_536,
        iops: Some((100, 256_000)),
        iops_required: true,
        throughput: None,
    },
    TypeLimits {
        name: "st1",
        min_size: 125,
        max_size: 16_384,
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "sc1",
        min_size: 125,
        max_size: 16_384,
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "standard",
        min_size: 1,
        max_size: 1_024,
        iops: None,
        iops_required: false,
        throughput: None,
    },
];

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/volumes", get(list).post(create))
        .route("/volumes/{volume_id}", get(show).delete(delete))
        .route("/volumes/{volume_id}/action", post(action))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VolumeList {
    pub volumes: Vec<Volume>,
    pub volumes_links: Option<Vec<Link>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VolumeShow {
    pub volume: Volume,
}

fn invalid(detail: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", detail)
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "volume",
    collection: "volumes",
    path: "/v1/volumes",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    state: Option<String>,
    availability_zone: Option<String>,
    name: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/volumes", tag = "volumes",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("state" = Option<String>, Query),
           ("availability_zone" = Option<String>, Query), ("name" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's volumes", body = VolumeList),
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
    project.enforce("aws-hybrid:volume:list")?;
    if let Some(wanted) = &query.state {
        validate::one_of("state", wanted, &STATES)?;
    }
    if let Some(zone) = &query.availability_zone {
        validate::length("availability_zone", zone, 1, 64)?;
    }
    if let Some(name) = &query.name {
        validate::length("name", name, 1, 255)?;
    }
    let filter = VolumeFilter {
        state: query.state.clone(),
        availability_zone: query.availability_zone.clone(),
        name: query.name.clone(),
    };
    let body = list_page(
        &state,
        &project,
        &headers,
        &LIST,
        list_params!(query, [state, availability_zone, name]),
        |v: &Volume| v.id.as_str(),
        |scope| state.driver.list_volumes(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/v1/volumes/{volume_id}", tag = "volumes",
    params(("volume_id" = String, Path)),
    responses((status = 200, description = "One volume", body = VolumeShow),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such volume in this project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:volume:get")?;
    validate::volume_id(&id)?;
    let volume = state.driver.get_volume(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "volume": volume })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeCreateBody {
    volume: CreateVolume,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateVolume {
    /// Size in GiB; defaults to the size of `snapshot_id`.
    size: Option<i32>,
    volume_type: Option<String>,
    iops: Option<i32>,
    throughput: Option<i32>,
    /// Defaults to the first availability zone of the region, in name order.
    availability_zone: Option<String>,
    #[serde(default)]
    encrypted: bool,
    snapshot_id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/volumes", tag = "volumes", request_body = VolumeCreateBody,
    responses((status = 202, description = "EC2 accepted the create; the volume is creating", body = VolumeShow),
        (status = 400, description = "Invalid body, or a value EC2 rejected", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<VolumeCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:volume:create")?;
    let request = body.volume;
    check_create(&request)?;
    let client_token = idempotency::client_token(
        &headers,
        &project.context.project_id,
        "volume:create",
        &project.context.request_id,
    )?;

    // The zone and the size from a snapshot come from EC2.
    let scope = project.scope();
    let availability_zone =
        choose_zone(&state, scope, request.availability_zone.as_deref()).await?;
    let size = match (request.size, request.snapshot_id.as_deref()) {
        (Some(size), _) => size,
        (None, Some(snapshot_id)) => snapshot_size(&state, scope, snapshot_id).await?,
        (None, None) => {
            return Err(invalid(
                "Missing size: give the size in GiB, or a snapshot_id to take the size from."
                    .into(),
            ));
        }
    };
    let volume_type = request
        .volume_type
        .clone()
        .unwrap_or_else(|| DEFAULT_VOLUME_TYPE.to_owned());
    check_size(&volume_type, size)?;

    let spec = VolumeSpec {
        name: request.name,
        size,
        volume_type,
        iops: request.iops,
        throughput: request.throughput,
        encrypted: request.encrypted,
        availability_zone,
        snapshot_id: request.snapshot_id,
        tags: request.tags,
        idempotency_token: headers
            .contains_key(idempotency::HEADER)
            .then(|| client_token.clone()),
        client_token,
    };
    let volume = state.driver.create_volume(scope, &spec).await?;

    let location = format!("{}/v1/volumes/{}", state.base_url(&headers), volume.id);
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "volume": volume })),
    )
        .into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Check the fields of a create request that need no call to EC2.
fn check_create(request: &CreateVolume) -> Result<(), ApiError> {
    if let Some(name) = &request.name {
        validate::length("name", name, 1, 255)?;
    }
    validate::tags(&request.tags)?;
    if let Some(zone) = &request.availability_zone {
        validate::length("availability_zone", zone, 1, 64)?;
    }
    if let Some(snapshot_id) = &request.snapshot_id {
        validate::aws_id("snapshot_id", "snap", snapshot_id)?;
    }
    let volume_type = request
        .volume_type
        .as_deref()
        .unwrap_or(DEFAULT_VOLUME_TYPE);
    let limits = type_limits(volume_type)?;
    if let Some(size) = request.size {
        check_size(volume_type, size)?;
    }
    check_iops(limits, request.iops)?;
    match (request.throughput, limits.throughput) {
        (None, _) => Ok(()),
        (Some(throughput), Some((min, max))) if (min..=max).contains(&throughput) => Ok(()),
        (Some(throughput), Some((min, max))) => Err(invalid(format!(
            "Invalid throughput {throughput}: a {volume_type} volume takes {min} to {max} MiB/s."
        ))),
        (Some(_), None) => Err(invalid(format!(
            "Invalid throughput: only gp3 volumes take a provisioned throughput, not {volume_type}; leave throughput out."
        ))),
    }
}

fn type_limits(volume_type: &str) -> Result<&'static TypeLimits, ApiError> {
    VOLUME_TYPES
        .iter()
        .find(|t| t.name == volume_type)
        .ok_or_else(|| {
            let names: Vec<&str> = VOLUME_TYPES.iter().map(|t| t.name).collect();
            invalid(format!(
                "Invalid volume_type {volume_type:?}: use one of {}.",
                names.join(", ")
            ))
        })
}

/// Check `size` against the limits of the volume type, so that a volume that is too small
/// or too large is a 400 naming the limits before the request reaches EC2.
fn check_size(volume_type: &str, size: i32) -> Result<(), ApiError> {
    let limits = type_limits(volume_type)?;
    if (limits.min_size..=limits.max_size).contains(&size) {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid size {size}: a {volume_type} volume must be between {} and {} GiB.",
        limits.min_size, limits.max_size
    )))
}

fn check_iops(limits: &TypeLimits, iops: Option<i32>) -> Result<(), ApiError> {
    let name = limits.name;
    match (iops, limits.iops) {
        (None, _) if limits.iops_required => Err(invalid(format!(
            "Missing iops: a {name} volume needs provisioned IOPS, between {} and {}.",
            limits.iops.map_or(0, |(min, _)| min),
            limits.iops.map_or(0, |(_, max)| max)
        ))),
        (None, _) => Ok(()),
        (Some(iops), Some((min, max))) if (min..=max).contains(&iops) => Ok(()),
        (Some(iops), Some((min, max))) => Err(invalid(format!(
            "Invalid iops {iops}: a {name} volume takes {min} to {max} IOPS."
        ))),
        (Some(_), None) => Err(invalid(format!(
            "Invalid iops: only gp3, io1 and io2 volumes take provisioned IOPS, not {name}; leave iops out."
        ))),
    }
}

/// Return the zone the volume is created in: the requested one, which must exist in the
/// region, or else the first available zone of the region in name order.
async fn choose_zone(
    state: &SharedState,
    scope: Scope<'_>,
    requested: Option<&str>,
) -> Result<String, ApiError> {
    let zones = state.driver.list_availability_zones(scope).await?;
    let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
    match requested {
        Some(zone) if names.contains(&zone) => Ok(zone.to_owned()),
        Some(zone) => Err(invalid(format!(
            "Invalid availability_zone {zone:?}: region {} has {}.",
            scope.region,
            names.join(", ")
        ))),
        None => zones
            .iter()
            .find(|z| z.state.as_deref().is_none_or(|s| s == "available"))
            .map(|z| z.name.clone())
            .ok_or_else(|| {
                invalid(format!(
                    "Missing availability_zone: region {} reports no available zone to default to; name one.",
                    scope.region
                ))
            }),
    }
}

/// Return the size in GiB of a snapshot of the project, for a volume created from it.
async fn snapshot_size(
    state: &SharedState,
    scope: Scope<'_>,
    snapshot_id: &str,
) -> Result<i32, ApiError> {
    match state.driver.get_snapshot(scope, snapshot_id).await {
        Ok(snapshot) => snapshot.volume_size.ok_or_else(|| {
            invalid(format!(
                "Missing size: EC2 reports no size for snapshot {snapshot_id}; give the size in GiB."
            ))
        }),
        Err(CloudError::NotFound { .. }) => Err(invalid(format!(
            "Invalid snapshot_id {snapshot_id:?}: the project has no such snapshot in region {}.",
            scope.region
        ))),
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(delete, path = "/v1/volumes/{volume_id}", tag = "volumes",
    params(("volume_id" = String, Path)),
    responses((status = 204, description = "Deletion accepted, or the volume is already being deleted"),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such volume in this project", body = ErrorBody),
        (status = 409, description = "The volume is attached to an instance", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn delete(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:volume:delete")?;
    validate::volume_id(&id)?;
    state.driver.delete_volume(project.scope(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The arguments of the attach action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachArguments {
    instance_id: String,
    device: String,
}

/// A parsed action body.
#[derive(Debug, PartialEq)]
enum Action {
    Attach { instance_id: String, device: String },
    Detach,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Attach { .. } => "attach",
            Action::Detach => "detach",
        }
    }
}

#[utoipa::path(post, path = "/v1/volumes/{volume_id}/action", tag = "volumes",
    params(("volume_id" = String, Path)),
    request_body(content = Object, description = "`{\"attach\": {\"instance_id\": \"i-...\", \"device\": \"/dev/sdf\"}}` or `{\"detach\": null}`"),
    responses((status = 202, description = "Action accepted, or already done"),
        (status = 400, description = "Invalid action body, device name or instance", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such volume in this project", body = ErrorBody),
        (status = 409, description = "The volume's or the instance's state does not allow the action", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn action(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<StatusCode, ApiError> {
    let action = parse_action(&body)?;
    project.enforce(&format!("aws-hybrid:volume:action:{}", action.name()))?;
    validate::volume_id(&id)?;
    let action = match &action {
        Action::Attach {
            instance_id,
            device,
        } => {
            validate::aws_id("instance_id", "i", instance_id)?;
            validate::device_name("device", device)?;
            VolumeAction::Attach {
                instance_id,
                device,
            }
        }
        Action::Detach => VolumeAction::Detach,
    };
    state
        .driver
        .volume_action(project.scope(), &id, action)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Parse an action body: exactly one key naming the action, `attach` with an object of
/// `instance_id` and `device`, or `detach` with a null (or empty object) value.
fn parse_action(body: &Map<String, Value>) -> Result<Action, ApiError> {
    let invalid_action = |detail: String| ApiError::bad_request("invalid_action", detail);
    let example = r#"{"attach": {"instance_id": "i-0123456789abcdef0", "device": "/dev/sdf"}} or {"detach": null}"#;
    let mut keys = body.keys();
    let (Some(name), None) = (keys.next(), keys.next()) else {
        return Err(invalid_action(format!(
            "The action body must have exactly one key, attach or detach: {example}."
        )));
    };
    match (name.as_str(), &body[name]) {
        ("attach", arguments) => {
            let arguments: AttachArguments =
                serde_json::from_value(arguments.clone()).map_err(|error| {
                    invalid_action(format!(
                        "The attach action takes an object with instance_id and device ({error}), e.g. {example}."
                    ))
                })?;
            Ok(Action::Attach {
                instance_id: arguments.instance_id,
                device: arguments.device,
            })
        }
        ("detach", Value::Null) => Ok(Action::Detach),
        ("detach", Value::Object(options)) if options.is_empty() => Ok(Action::Detach),
        ("detach", _) => Err(invalid_action(
            "The detach action takes no arguments: send {\"detach\": null}.".into(),
        )),
        (other, _) => Err(invalid_action(format!(
            "Unknown action {other:?}: use attach or detach, e.g. {example}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn request() -> CreateVolume {
        CreateVolume {
            size: Some(8),
            volume_type: None,
            iops: None,
            throughput: None,
            availability_zone: None,
            encrypted: false,
            snapshot_id: None,
            name: Some("data".into()),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn attach_body_parsed() {
        let action = parse_action(&body(
            json!({"attach": {"instance_id": "i-12345678", "device": "/dev/sdf"}}),
        ))
        .unwrap();

        assert_eq!(
            action,
            Action::Attach {
                instance_id: "i-12345678".into(),
                device: "/dev/sdf".into()
            }
        );
    }

    #[test]
    fn detach_body_takes_null_or_empty_object() {
        assert_eq!(
            parse_action(&body(json!({"detach": null}))).unwrap(),
            Action::Detach
        );
        assert_eq!(
            parse_action(&body(json!({"detach": {}}))).unwrap(),
            Action::Detach
        );
    }

    #[test]
    fn malformed_action_bodies_rejected() {
        for bad in [
            json!({}),
            json!({"attach": null}),
            json!({"attach": {"instance_id": "i-12345678"}}),
            json!({"attach": {"instance_id": "i-12345678", "device": "/dev/sdf", "force": true}}),
            json!({"detach": {"force": true}}),
            json!({"detach": null, "attach": null}),
            json!({"extend": {"size": 10}}),
        ] {
            let error = parse_action(&body(bad.clone())).unwrap_err();
            assert_eq!(error.code, "invalid_action", "{bad}");
        }
    }

    #[test]
    fn device_names_follow_ec2_recommendation() {
        for good in ["/dev/sdf", "/dev/sdp", "/dev/xvdf", "/dev/xvdp"] {
            assert!(validate::device_name("device", good).is_ok(), "{good}");
        }
        for bad in [
            "/dev/sda1",
            "/dev/sde",
            "/dev/sdq",
            "/dev/xvda",
            "sdf",
            "/dev/sdff",
            "/dev/nvme1n1",
        ] {
            let error = validate::device_name("device", bad).unwrap_err();
            assert!(error.detail.contains("device"), "{bad}: {}", error.detail);
        }
    }

    #[test]
    fn sizes_checked_per_type() {
        assert!(check_size("gp2", 1).is_ok());
        assert!(check_size("gp3", 65_536).is_ok());
        assert!(check_size("standard", 1_025).is_err());
        let too_small = check_size("st1", 100).unwrap_err();
        assert!(
            too_small.detail.contains("size 100"),
            "{}",
            too_small.detail
        );
        assert!(too_small.detail.contains("125"), "{}", too_small.detail);
        assert!(check_size("io1", 3).is_err());
    }

    #[test]
    fn iops_required_for_io_types_only() {
        let mut io1 = request();
        io1.volume_type = Some("io1".into());
        assert!(check_create(&io1).unwrap_err().detail.contains("iops"));
        io1.iops = Some(1_000);
        assert!(check_create(&io1).is_ok());

        let mut gp2 = request();
        gp2.iops = Some(3_000);
        assert!(check_create(&gp2).unwrap_err().detail.contains("iops"));
    }

    #[test]
    fn throughput_only_for_gp3() {
        let mut gp3 = request();
        gp3.volume_type = Some("gp3".into());
        gp3.throughput = Some(250);
        assert!(check_create(&gp3).is_ok());
        gp3.throughput = Some(5_000);
        assert!(
            check_create(&gp3)
                .unwrap_err()
                .detail
                .contains("throughput")
        );

        let mut gp2 = request();
        gp2.throughput = Some(250);
        assert!(
            check_create(&gp2)
                .unwrap_err()
                .detail
                .contains("throughput")
        );
    }

    #[test]
    fn unknown_volume_type_lists_the_known_ones() {
        let mut bad = request();
        bad.volume_type = Some("ssd".into());

        let error = check_create(&bad).unwrap_err();

        assert!(error.detail.contains("volume_type"), "{}", error.detail);
        assert!(error.detail.contains("gp3"), "{}", error.detail);
    }
}
