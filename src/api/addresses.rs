//! `/v1/addresses`: allocate, list, show and release Elastic IP addresses, and associate them
//! with or disassociate them from an instance or a network interface with
//! `POST /v1/addresses/{allocation_id}/action`.
//!
//! The path is `addresses`, EC2's own term, rather than Neutron's `floating-ips`: an Elastic
//! IP is associated with an EC2 instance or network interface of the AWS account, not with a
//! Neutron port, and the `openstack floating ip` commands already mean Neutron's resource.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

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
use crate::cloud::{Address, AddressAction, AddressFilter, AddressSpec, AssociationTarget};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/addresses", get(list).post(create))
        .route("/addresses/{allocation_id}", get(show).delete(release))
        .route("/addresses/{allocation_id}/action", post(action))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AddressList {
    pub addresses: Vec<Address>,
    pub addresses_links: Option<Vec<Link>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AddressShow {
    pub address: Address,
}

fn invalid(detail: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", detail)
}

fn check_ipv4(field: &str, value: &str) -> Result<(), ApiError> {
    value.parse::<Ipv4Addr>().map(|_| ()).map_err(|_| {
        invalid(format!(
            "Invalid {field} {value:?}: expected an IPv4 address such as 203.0.113.25."
        ))
    })
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "address",
    collection: "addresses",
    path: "/v1/addresses",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    name: Option<String>,
    instance_id: Option<String>,
    public_ip: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/addresses", tag = "addresses",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("name" = Option<String>, Query),
           ("instance_id" = Option<String>, Query), ("public_ip" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's Elastic IP addresses", body = AddressList),
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
    project.enforce("aws-hybrid:address:list")?;
    if let Some(name) = &query.name {
        validate::length("name", name, 1, 255)?;
    }
    if let Some(instance_id) = &query.instance_id {
        validate::aws_id("instance_id", "i", instance_id)?;
    }
    if let Some(public_ip) = &query.public_ip {
        check_ipv4("public_ip", public_ip)?;
    }
    let filter = AddressFilter {
        name: query.name.clone(),
        instance_id: query.instance_id.clone(),
        public_ip: query.public_ip.clone(),
    };
    let body = list_page(
        &state,
        &project,
        &headers,
        &LIST,
        list_params!(query, [name, instance_id, public_ip]),
        |a: &Address| a.id.as_str(),
        |scope| state.driver.list_addresses(scope, &filter),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/v1/addresses/{allocation_id}", tag = "addresses",
    params(("allocation_id" = String, Path)),
    responses((status = 200, description = "One Elastic IP address", body = AddressShow),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such address in this project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:address:get")?;
    validate::allocation_id(&id)?;
    let address = state.driver.get_address(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "address": address })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressCreateBody {
    address: CreateAddress,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAddress {
    name: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/addresses", tag = "addresses", request_body = AddressCreateBody,
    responses((status = 201, description = "Address allocated", body = AddressShow),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or the account's address limit reached", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<AddressCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:address:create")?;
    let request = body.address;
    if let Some(name) = &request.name {
        validate::length("name", name, 1, 255)?;
    }
    validate::tags(&request.tags)?;

    let token = idempotency::client_token(
        &headers,
        &project.context.project_id,
        "address:create",
        &project.context.request_id,
    )?;
    let spec = AddressSpec {
        name: request.name,
        tags: request.tags,
        idempotency_token: headers.contains_key(idempotency::HEADER).then_some(token),
    };
    let address = state
        .driver
        .allocate_address(project.scope(), &spec)
        .await?;

    let location = format!("{}/v1/addresses/{}", state.base_url(&headers), address.id);
    let mut response = (
        StatusCode::CREATED,
        axum::Json(json!({ "address": address })),
    )
        .into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[utoipa::path(delete, path = "/v1/addresses/{allocation_id}", tag = "addresses",
    params(("allocation_id" = String, Path)),
    responses((status = 204, description = "Address released"),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such address in this project", body = ErrorBody),
        (status = 409, description = "The address is associated", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn release(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:address:delete")?;
    validate::allocation_id(&id)?;
    state.driver.release_address(project.scope(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The arguments of the associate action: exactly one of `instance_id` and
/// `network_interface_id`, and a private address only with a network interface.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssociateArguments {
    instance_id: Option<String>,
    network_interface_id: Option<String>,
    private_ip_address: Option<String>,
}

#[derive(Debug, PartialEq)]
enum Action {
    Associate(AssociateArguments),
    Disassociate,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Associate(_) => "associate",
            Action::Disassociate => "disassociate",
        }
    }
}

#[utoipa::path(post, path = "/v1/addresses/{allocation_id}/action", tag = "addresses",
    params(("allocation_id" = String, Path)),
    request_body(content = Object, description = "`{\"associate\": {\"instance_id\": \"i-...\"}}`, `{\"associate\": {\"network_interface_id\": \"eni-...\"}}` or `{\"disassociate\": null}`"),
    responses((status = 202, description = "Action done, or already done"),
        (status = 400, description = "Invalid action body, or an instance or network interface the project does not have", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 404, description = "No such address in this project", body = ErrorBody),
        (status = 409, description = "The address is associated elsewhere, or the instance's state does not allow it", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn action(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<StatusCode, ApiError> {
    let action = parse_action(&body)?;
    project.enforce(&format!("aws-hybrid:address:action:{}", action.name()))?;
    validate::allocation_id(&id)?;
    let action = match &action {
        Action::Associate(arguments) => AddressAction::Associate(association_target(arguments)?),
        Action::Disassociate => AddressAction::Disassociate,
    };
    state
        .driver
        .address_action(project.scope(), &id, action)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Check the associate arguments and name what the address goes to.
fn association_target(arguments: &AssociateArguments) -> Result<AssociationTarget<'_>, ApiError> {
    match (
        arguments.instance_id.as_deref(),
        arguments.network_interface_id.as_deref(),
    ) {
        (Some(instance_id), None) => {
            validate::aws_id("instance_id", "i", instance_id)?;
            if arguments.private_ip_address.is_some() {
                return Err(invalid(
                    "Invalid private_ip_address: it applies only with network_interface_id; leave it out when you give instance_id."
                        .into(),
                ));
            }
            Ok(AssociationTarget::Instance(instance_id))
        }
        (None, Some(interface_id)) => {
            validate::aws_id("network_interface_id", "eni", interface_id)?;
            if let Some(ip) = &arguments.private_ip_address {
                check_ipv4("private_ip_address", ip)?;
            }
            Ok(AssociationTarget::NetworkInterface {
                id: interface_id,
                private_ip_address: arguments.private_ip_address.as_deref(),
            })
        }
        _ => Err(invalid(
            "Invalid associate arguments: give exactly one of instance_id and network_interface_id."
                .into(),
        )),
    }
}

/// Parse an action body: exactly one key naming the action, `associate` with an object of
/// arguments, or `disassociate` with a null (or empty object) value.
fn parse_action(body: &Map<String, Value>) -> Result<Action, ApiError> {
    let invalid_action = |detail: String| ApiError::bad_request("invalid_action", detail);
    let example =
        r#"{"associate": {"instance_id": "i-0123456789abcdef0"}} or {"disassociate": null}"#;
    let mut keys = body.keys();
    let (Some(name), None) = (keys.next(), keys.next()) else {
        return Err(invalid_action(format!(
            "The action body must have exactly one key, associate or disassociate: {example}."
        )));
    };
    match (name.as_str(), &body[name]) {
        ("associate", arguments @ Value::Object(_)) => {
            let arguments: AssociateArguments = serde_json::from_value(arguments.clone())
                .map_err(|error| {
                    invalid_action(format!(
                        "The associate action takes an object with instance_id or network_interface_id, and optionally private_ip_address ({error}), e.g. {example}."
                    ))
                })?;
            Ok(Action::Associate(arguments))
        }
        ("associate", _) => Err(invalid_action(format!(
            "The associate action takes an object with instance_id or network_interface_id, e.g. {example}."
        ))),
        ("disassociate", Value::Null) => Ok(Action::Disassociate),
        ("disassociate", Value::Object(options)) if options.is_empty() => Ok(Action::Disassociate),
        ("disassociate", _) => Err(invalid_action(
            "The disassociate action takes no arguments: send {\"disassociate\": null}.".into(),
        )),
        (other, _) => Err(invalid_action(format!(
            "Unknown action {other:?}: use associate or disassociate, e.g. {example}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn arguments(value: Value) -> AssociateArguments {
        match parse_action(&body(json!({ "associate": value }))).unwrap() {
            Action::Associate(arguments) => arguments,
            Action::Disassociate => panic!("parsed as disassociate"),
        }
    }

    #[test]
    fn disassociate_takes_null_or_empty_object() {
        assert_eq!(
            parse_action(&body(json!({"disassociate": null}))).unwrap(),
            Action::Disassociate
        );
        assert_eq!(
            parse_action(&body(json!({"disassociate": {}}))).unwrap(),
            Action::Disassociate
        );
    }

    #[test]
    fn malformed_action_bodies_rejected() {
        for bad in [
            json!({}),
            json!({"associate": null}),
            json!({"associate": {"instance_id": "i-12345678", "force": true}}),
            json!({"disassociate": {"force": true}}),
            json!({"release": null}),
            json!({"associate": {}, "disassociate": null}),
        ] {
            let error = parse_action(&body(bad.clone())).unwrap_err();
            assert_eq!(error.code, "invalid_action", "{bad}");
        }
    }

    #[test]
    fn target_is_an_instance_or_an_interface() {
        let instance = arguments(json!({"instance_id": "i-12345678"}));
        assert_eq!(
            association_target(&instance).unwrap(),
            AssociationTarget::Instance("i-12345678")
        );

        let interface = arguments(
            json!({"network_interface_id": "eni-12345678", "private_ip_address": "10.0.0.5"}),
        );
        assert_eq!(
            association_target(&interface).unwrap(),
            AssociationTarget::NetworkInterface {
                id: "eni-12345678",
                private_ip_address: Some("10.0.0.5")
            }
        );
    }

    #[test]
    fn target_needs_exactly_one_of_instance_and_interface() {
        let both =
            arguments(json!({"instance_id": "i-12345678", "network_interface_id": "eni-12345678"}));
        let neither = arguments(json!({}));

        assert!(
            association_target(&both)
                .unwrap_err()
                .detail
                .contains("exactly one")
        );
        assert!(
            association_target(&neither)
                .unwrap_err()
                .detail
                .contains("exactly one")
        );
    }

    #[test]
    fn target_fields_checked() {
        let bad_instance = arguments(json!({"instance_id": "vol-12345678"}));
        let bad_ip = arguments(
            json!({"network_interface_id": "eni-12345678", "private_ip_address": "10.0.0"}),
        );
        let ip_with_instance =
            arguments(json!({"instance_id": "i-12345678", "private_ip_address": "10.0.0.5"}));

        assert!(
            association_target(&bad_instance)
                .unwrap_err()
                .detail
                .contains("instance_id")
        );
        assert!(
            association_target(&bad_ip)
                .unwrap_err()
                .detail
                .contains("private_ip_address")
        );
        assert!(
            association_target(&ip_with_instance)
                .unwrap_err()
                .detail
                .contains("private_ip_address")
        );
    }
}
