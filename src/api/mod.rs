//! The REST API under `/v1`: routing, the shared state handlers receive, and one module per
//! resource.

pub mod addresses;
pub mod all_projects;
pub mod block_devices;
pub mod error;
pub mod extract;
pub mod guardrails;
pub mod idempotency;
pub mod image_changes;
pub mod images;
pub mod instance_operations;
pub mod instance_types;
pub mod instances;
pub mod key_pairs;
pub mod limits;
pub mod list_cursors;
pub mod listing;
pub mod microversion;
pub mod networks;
pub mod openapi;
pub mod pagination;
pub mod project;
pub mod regions;
pub mod request_id;
pub mod security_group_rules;
pub mod security_groups;
pub mod snapshots;
pub mod ssh_public_key;
pub mod validate;
pub mod versions;
pub mod volumes;
pub mod well_known;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::routing::get;

use crate::auth::Authenticator;
use crate::cloud::{CloudDriver, CloudError};
use crate::config::Config;
use crate::oidc::Signer;
use crate::policy::Policy;
use crate::tenancy::TenantMap;
use error::ApiError;

/// Every route the router serves, as (method, path) with the path parameter names the api-ref
/// uses. A test checks this table against the running router and against the api-ref.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/v1/"),
    ("GET", "/healthcheck"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/v1/instances"),
    ("POST", "/v1/instances"),
    ("GET", "/v1/instances/{instance_id}"),
    ("DELETE", "/v1/instances/{instance_id}"),
    ("POST", "/v1/instances/{instance_id}/action"),
    ("GET", "/v1/regions"),
    ("GET", "/v1/availability-zones"),
    ("GET", "/v1/instance-types"),
    ("GET", "/v1/instance-types/{instance_type}"),
    ("GET", "/v1/images"),
    ("GET", "/v1/images/{image_id}"),
    ("POST", "/v1/images"),
    ("DELETE", "/v1/images/{image_id}"),
    ("PUT", "/v1/images/{image_id}/tags"),
    ("GET", "/v1/instances/{instance_id}/console-output"),
    ("GET", "/v1/vpcs"),
    ("GET", "/v1/vpcs/{vpc_id}"),
    ("GET", "/v1/subnets"),
    ("GET", "/v1/subnets/{subnet_id}"),
    ("GET", "/v1/key-pairs"),
    ("POST", "/v1/key-pairs"),
    ("GET", "/v1/key-pairs/{key_name}"),
    ("DELETE", "/v1/key-pairs/{key_name}"),
    ("GET", "/v1/security-groups"),
    ("POST", "/v1/security-groups"),
    ("GET", "/v1/security-groups/{security_group_id}"),
    ("DELETE", "/v1/security-groups/{security_group_id}"),
    ("GET", "/v1/security-groups/{security_group_id}/rules"),
    ("POST", "/v1/security-groups/{security_group_id}/rules"),
    (
        "GET",
        "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}",
    ),
    (
        "DELETE",
        "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}",
    ),
    ("GET", "/v1/volumes"),
    ("POST", "/v1/volumes"),
    ("GET", "/v1/volumes/{volume_id}"),
    ("DELETE", "/v1/volumes/{volume_id}"),
    ("POST", "/v1/volumes/{volume_id}/action"),
    ("GET", "/v1/snapshots"),
    ("POST", "/v1/snapshots"),
    ("GET", "/v1/snapshots/{snapshot_id}"),
    ("DELETE", "/v1/snapshots/{snapshot_id}"),
    ("GET", "/v1/addresses"),
    ("POST", "/v1/addresses"),
    ("GET", "/v1/addresses/{allocation_id}"),
    ("DELETE", "/v1/addresses/{allocation_id}"),
    ("POST", "/v1/addresses/{allocation_id}/action"),
];

/// State shared by every handler.
pub struct AppState {
    pub config: Arc<Config>,
    /// Replaced as a whole on reload; requests keep the snapshot they started with.
    tenants: RwLock<Arc<TenantMap>>,
    policy: RwLock<Arc<Policy>>,
    pub driver: Arc<dyn CloudDriver>,
    pub auth: Arc<Authenticator>,
    /// Set when the service signs tokens as an OpenID Connect provider.
    pub signer: Option<Arc<Signer>>,
    /// Makes the capacity checks and launches of one project take turns.
    pub capacity: guardrails::CapacityLocks,
    /// Lists kept for the pages after the first.
    pub cursors: list_cursors::ListCursors,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(
        config: Arc<Config>,
        tenants: TenantMap,
        policy: Policy,
        driver: Arc<dyn CloudDriver>,
        auth: Arc<Authenticator>,
        signer: Option<Arc<Signer>>,
    ) -> Self {
        Self {
            config,
            tenants: RwLock::new(Arc::new(tenants)),
            policy: RwLock::new(Arc::new(policy)),
            driver,
            auth,
            signer,
            capacity: guardrails::CapacityLocks::default(),
            cursors: list_cursors::ListCursors::default(),
        }
    }

    /// Returns the tenant mapping in force now.
    pub fn tenants(&self) -> Arc<TenantMap> {
        self.tenants.read().expect("tenant lock poisoned").clone()
    }

    /// Returns the policy in force now.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy.read().expect("policy lock poisoned").clone()
    }

    /// Puts a reloaded mapping and policy in force. Requests in flight finish with the ones
    /// they started with; cached AWS clients and role sessions are dropped, since keys or
    /// roles may have changed.
    pub fn replace(&self, tenants: TenantMap, policy: Policy) {
        *self.tenants.write().expect("tenant lock poisoned") = Arc::new(tenants);
        *self.policy.write().expect("policy lock poisoned") = Arc::new(policy);
        self.driver.forget_credentials();
    }

    /// Return the unversioned root URL used in links: `[api] public_endpoint`, or the request's Host.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(endpoint) = &self.config.api.public_endpoint {
            return versions::unversioned_root(endpoint);
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}

/// Build the application with every route and middleware.
pub fn router(state: SharedState) -> Router {
    let v1 = Router::new()
        .merge(instances::routes())
        .merge(key_pairs::routes())
        .merge(security_groups::routes())
        .merge(security_group_rules::routes())
        .merge(regions::routes())
        .merge(instance_types::routes())
        .merge(images::routes())
        .merge(image_changes::routes())
        .merge(instance_operations::routes())
        .merge(networks::routes())
        .merge(volumes::routes())
        .merge(snapshots::routes())
        .merge(addresses::routes());
    Router::new()
        .route("/", get(versions::root))
        .route("/v1", get(versions::v1))
        .route("/v1/", get(versions::v1))
        .route("/healthcheck", get(healthcheck))
        .route("/v1/openapi.json", get(openapi::openapi_document))
        .merge(well_known::routes())
        .nest("/v1", v1.layer(middleware::from_fn(microversion::layer)))
        .fallback(not_found)
        .layer(middleware::from_fn(method_not_allowed))
        .layer(middleware::from_fn_with_state(
            state.auth.clone(),
            crate::auth::middleware::layer,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.api.max_header_size,
            limits::header_size,
        ))
        .layer(middleware::from_fn(request_id::layer))
        .with_state(state)
}

#[utoipa::path(get, path = "/healthcheck", tag = "versions", responses((status = 200, description = "The process serves requests", body = String)))]
async fn healthcheck() -> (StatusCode, &'static str) {
    (StatusCode::OK, "OK")
}

/// Middleware: gives the router's bare 405 an API-SIG body, keeping its `Allow` header.
async fn method_not_allowed(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;

    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not allowed on {path}; allowed methods: {}.",
            allow.as_deref().unwrap_or("none")
        ),
    );
    error.allow = allow;
    error.into_response()
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "route_not_found",
        format!(
            "No resource at {}; the API root / lists the versions and their links.",
            uri.path()
        ),
    )
}

impl From<CloudError> for ApiError {
    fn from(error: CloudError) -> Self {
        match error {
            CloudError::NotFound { resource, id } => {
                let code = match resource {
                    "instance" => "instance.not_found",
                    "image" => "image.not_found",
                    "key pair" => "key_pair.not_found",
                    "security group" => "security_group.not_found",
                    "security group rule" => "security_group_rule.not_found",
                    "VPC" => "vpc.not_found",
                    "subnet" => "subnet.not_found",
                    "volume" => "volume.not_found",
                    "snapshot" => "snapshot.not_found",
                    "address" => "address.not_found",
                    _ => "not_found",
                };
                ApiError::not_found(
                    code,
                    format!("The {resource} {id} was not found in this project."),
                )
            }
            CloudError::NotOwned { resource, id } => ApiError::forbidden(
                match resource {
                    "image" => "image.not_owned",
                    _ => "not_owned",
                },
                format!(
                    "The {resource} {id} was not created by this project, so this project may read it but not change it."
                ),
            ),
            CloudError::InvalidState { id, state, action } => ApiError::conflict(
                "instance.invalid_state",
                format!(
                    "Cannot {action} instance {id} while it is {state}; wait until it reaches a state that allows {action}."
                ),
            ),
            CloudError::InvalidParameter { field, message } => ApiError::bad_request(
                "invalid_parameter",
                format!("Invalid value for {field}: {message}"),
            ),
            CloudError::Conflict {
                resource,
                reason,
                message,
            } => {
                let code = match (resource, reason) {
                    ("key pair", "exists") => "key_pair.exists",
                    ("security group", "exists") => "security_group.exists",
                    ("security group", "in_use") => "security_group.in_use",
                    ("security group rule", "exists") => "security_group_rule.exists",
                    ("volume", "in_use") => "volume.in_use",
                    ("volume", "invalid_state") => "volume.invalid_state",
                    ("volume", "device_in_use") => "volume.device_in_use",
                    ("snapshot", "in_use") => "snapshot.in_use",
                    ("address", "in_use") => "address.in_use",
                    ("instance", "invalid_state") => "instance.invalid_state",
                    _ => "conflict",
                };
                ApiError::conflict(code, message)
            }
            CloudError::Forbidden { action, message } => ApiError::forbidden(
                "aws_unauthorized",
                format!("AWS denied {action} for this project's AWS account ({message})."),
            ),
            CloudError::QuotaExceeded { action, message } => ApiError::forbidden(
                "aws_quota_exceeded",
                format!("{action} would exceed a limit of this project's AWS account: {message}"),
            ),
            CloudError::Throttled { action } => ApiError::unavailable(
                "aws_throttled",
                format!(
                    "AWS throttled {action} for this project's AWS account after all retries; retry later."
                ),
                10,
            ),
            CloudError::Unavailable { action, message } => ApiError::unavailable(
                "aws_unavailable",
                format!("AWS could not complete {action}: {message}; retry later."),
                5,
            ),
            CloudError::RoleRefused {
                role_arn,
                project_id,
                message,
            } => ApiError::forbidden(
                "aws_role_refused",
                format!(
                    "AWS refused to let aws-hybrid assume {role_arn} for this project ({message}); the role's trust policy must trust the service and require external ID {project_id} (or the subject {project_id} for web identity). Ask the cloud administrator."
                ),
            ),
            CloudError::Internal(message) => ApiError::internal(message),
        }
    }
}
