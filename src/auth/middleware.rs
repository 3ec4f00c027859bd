//! The authentication middleware: what keystonemiddleware's `auth_token` does for a Python
//! service, done in front of every route but version discovery and the healthcheck.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cache::{TokenCache, token_key};
use super::context::{Identity, RequestContext};
use super::keystone::{KeystoneClient, ValidateError};
use crate::api::error::ApiError;
use crate::api::request_id::{self, GlobalRequestId};
use crate::config::KeystoneAuthtokenOpts;

/// Routes reachable without a token.
const PUBLIC_PATHS: [&str; 7] = [
    "/",
    "/v1",
    "/v1/",
    "/healthcheck",
    "/v1/openapi.json",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
];

/// Seconds a client is asked to wait after a 503 caused by Keystone.
const KEYSTONE_RETRY_AFTER: u64 = 5;

/// Prefixes of identity headers that keystonemiddleware sets; a client must not be able to
/// forge them, so they are removed before any handler runs.
const IDENTITY_HEADER_PREFIXES: [&str; 11] = [
    "x-identity-status",
    "x-service-identity-status",
    "x-service-catalog",
    "x-is-admin-project",
    "x-roles",
    "x-role",
    "x-user",
    "x-project",
    "x-domain",
    "x-tenant",
    "openstack-system-scope",
];

pub struct Authenticator {
    keystone: KeystoneClient,
    cache: TokenCache,
    www_authenticate_uri: String,
    service_token_roles: Vec<String>,
    service_token_roles_required: bool,
}

impl Authenticator {
    pub fn new(opts: &KeystoneAuthtokenOpts) -> Result<Self, reqwest::Error> {
        Ok(Self {
            keystone: KeystoneClient::new(opts.clone())?,
            cache: TokenCache::new(opts.token_cache_time),
            www_authenticate_uri: opts.www_authenticate_uri.clone(),
            service_token_roles: opts.service_token_roles.clone(),
            service_token_roles_required: opts.service_token_roles_required,
        })
    }

    pub fn keystone(&self) -> &KeystoneClient {
        &self.keystone
    }

    fn unauthorized(&self) -> ApiError {
        ApiError::unauthorized(
            "The request you have made requires authentication: send a valid Keystone token in X-Auth-Token.",
            &self.www_authenticate_uri,
        )
    }

    async fn identify(&self, token: &str, allow_expired: bool) -> Result<Arc<Identity>, ApiError> {
        let key = token_key(token);
        if let Some(identity) = self.cache.get(&key) {
            return Ok(identity);
        }
        match self.keystone.validate(token, allow_expired).await {
            Ok(identity) => {
                let identity = Arc::new(identity);
                self.cache.insert(key, identity.clone());
                Ok(identity)
            }
            Err(ValidateError::Invalid) => Err(self.unauthorized()),
            Err(ValidateError::Unavailable(reason)) => {
                tracing::error!(%reason, "token validation failed: Keystone is unavailable");
                Err(ApiError::unavailable(
                    "identity_unavailable",
                    "The Keystone service is temporarily unavailable; retry later.",
                    KEYSTONE_RETRY_AFTER,
                ))
            }
        }
    }

    /// Validate an `X-Service-Token`; returns whether it may let an expired user token through.
    async fn check_service_token(&self, token: &str) -> Result<bool, ApiError> {
        let rejected = || {
            let mut error = self.unauthorized();
            error.detail = "The X-Service-Token is invalid, expired, or lacks a role listed in [keystone_authtoken] service_token_roles; send a token of a service user, or no X-Service-Token.".into();
            error
        };
        let identity = match self.identify(token, false).await {
            Ok(identity) => identity,
            Err(error) if error.status == axum::http::StatusCode::UNAUTHORIZED => {
                return Err(rejected());
            }
            Err(error) => return Err(error),
        };
        let has_role = self
            .service_token_roles
            .iter()
            .any(|role| identity.has_role(role));
        if self.service_token_roles_required && !has_role {
            tracing::info!(user_id = %identity.user_id, "service token lacks a role from service_token_roles");
            return Err(rejected());
        }
        Ok(has_role)
    }

    async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Identity>, ApiError> {
        let allow_expired = match read_token(headers, "x-service-token")? {
            Some(service_token) => self.check_service_token(&service_token).await?,
            None => false,
        };
        let user_token = match read_token(headers, "x-auth-token")? {
            Some(token) => token,
            None => read_token(headers, "x-storage-token")?.ok_or_else(|| self.unauthorized())?,
        };
        self.identify(&user_token, allow_expired).await
    }
}

/// Read a token header: surrounding spaces and tabs are trimmed; control characters inside
/// are a client error (400), an empty value counts as no token.
fn read_token(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let trimmed = bytes.trim_ascii();
    if trimmed
        .iter()
        .any(|b| b.is_ascii_control() || !b.is_ascii())
    {
        return Err(ApiError::bad_request(
            "malformed_token",
            format!(
                "The {name} header contains control or non-ASCII characters; send the token as printed by `openstack token issue`, without line breaks."
            ),
        ));
    }
    if trimmed.is_empty() {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(trimmed).into_owned()))
}

fn strip_identity_headers(headers: &mut HeaderMap) {
    let forged: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            let name = name.as_str();
            name != "x-service-token"
                && IDENTITY_HEADER_PREFIXES.iter().any(|p| name.starts_with(p))
        })
        .cloned()
        .collect();
    for name in forged {
        headers.remove(name);
    }
}

/// Middleware: rejects requests without a valid project-scoped token and attaches a
/// [`RequestContext`] to the others.
pub async fn layer(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    strip_identity_headers(request.headers_mut());
    if PUBLIC_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let identity = match auth.authenticate(request.headers()).await {
        Ok(identity) => identity,
        Err(error) => return error.into_response(),
    };
    let Some(project_id) = identity.project_id.clone() else {
        return ApiError::forbidden(
            "project_scoped_token_required",
            "A project-scoped token is required: request a token scoped to the project whose AWS resources you manage (e.g. `openstack --os-project-name <project> token issue`).",
        )
        .into_response();
    };
    let span = tracing::Span::current();
    span.record("project_id", project_id.as_str());
    span.record("user_id", identity.user_id.as_str());
    let global_request_id = request
        .extensions()
        .get::<GlobalRequestId>()
        .and_then(|g| g.0.clone());
    let context = RequestContext {
        identity,
        project_id,
        request_id: request_id::current().unwrap_or_default(),
        global_request_id,
    };
    request.extensions_mut().insert(context);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers_with(name: &'static str, value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    #[test]
    fn token_whitespace_is_trimmed() {
        let headers = headers_with("x-auth-token", b"  abc \t");
        assert_eq!(
            read_token(&headers, "x-auth-token").unwrap().as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn empty_token_counts_as_missing() {
        let headers = headers_with("x-auth-token", b"   ");
        assert_eq!(read_token(&headers, "x-auth-token").unwrap(), None);
    }

    #[test]
    fn control_characters_are_rejected() {
        let headers = headers_with("x-auth-token", b"ab\xffc");
        let error = read_token(&headers, "x-auth-token").unwrap_err();
        assert_eq!(error.status.as_u16(), 400);
        assert!(!error.detail.contains("ab"));
    }

    #[test]
    fn forged_identity_headers_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert("x-roles", HeaderValue::from_static("admin"));
        headers.insert("x-project-id", HeaderValue::from_static("p"));
        headers.insert("x-service-token", HeaderValue::from_static("t"));
        headers.insert("x-auth-token", HeaderValue::from_static("t"));
        strip_identity_headers(&mut headers);
        assert!(headers.get("x-roles").is_none());
        assert!(headers.get("x-project-id").is_none());
        assert!(headers.get("x-service-token").is_some());
        assert!(headers.get("x-auth-token").is_some());
    }
}
