//! The REST API under `/v1`: routing, the shared state handlers receive, and one module per
//! resource.

pub mod error;
pub mod extract;
pub mod images;
pub mod instance_types;
pub mod instances;
pub mod limits;
pub mod openapi;
pub mod pagination;
pub mod regions;
pub mod request_id;
pub mod validate;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::routing::get;

use crate::auth::{Authenticator, RequestContext};
use crate::cloud::{CloudDriver, CloudError, Scope};
use crate::config::Config;
use crate::tenancy::TenantMap;
use error::ApiError;

/// Every route the router serves, as (method, path) with the path parameter names the api-ref
/// uses. A test checks this table against the running router and against the api-ref.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/v1/"),
    ("GET", "/healthcheck"),
    ("GET", "/v1/openapi.json"),
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
];

/// State shared by every handler.
pub struct AppState {
    pub config: Arc<Config>,
    pub tenants: Arc<TenantMap>,
    pub driver: Arc<dyn CloudDriver>,
    pub auth: Arc<Authenticator>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// Build the cloud scope of an authenticated request: the project's mapped account and region.
    /// A project without a mapping gets a 403 that sends the user to the cloud administrator.
    pub fn scope<'a>(&'a self, context: &'a RequestContext) -> Result<Scope<'a>, ApiError> {
        let tenant = self.tenants.get(&context.project_id).ok_or_else(|| {
            ApiError::forbidden(
                "project_not_mapped",
                format!(
                    "Project {} is not mapped to an AWS account; ask the cloud administrator to add it to the tenant mapping file.",
                    context.project_id
                ),
            )
        })?;
        Ok(Scope {
            project_id: &context.project_id,
            user_id: context.user_id(),
            request_id: &context.request_id,
            tenant,
            region: &tenant.region,
        })
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
        .merge(regions::routes())
        .merge(instance_types::routes())
        .merge(images::routes());
    Router::new()
        .route("/", get(versions::root))
        .route("/v1", get(versions::v1))
        .route("/v1/", get(versions::v1))
        .route("/healthcheck", get(healthcheck))
        .route("/v1/openapi.json", get(openapi::openapi_document))
        .nest("/v1", v1)
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
                    _ => "not_found",
                };
                ApiError::not_found(
                    code,
                    format!("The {resource} {id} was not found in this project."),
                )
            }
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
            CloudError::Internal(message) => ApiError::internal(message),
        }
    }
}
