//! The one error type at the API edge, rendered in the API-SIG `errors` format.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::request_id;

/// Link target for the `help` link that every API-SIG error item must carry.
const HELP_HREF: &str = "https://docs.openstack.org/api-ref/aws-hybrid/";

/// An error returned to an API client.
///
/// `code` is the part after `aws-hybrid.` in the API-SIG `code` field; it is stable and
/// documented, so clients may branch on it. `detail` is for people: it names the value and
/// the fix, and never carries a token, password or AWS secret.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub retry_after: Option<u64>,
    pub www_authenticate: Option<String>,
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
            www_authenticate: None,
            allow: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unavailable(code: &'static str, detail: impl Into<String>, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
        }
    }

    /// Build a 401 whose `WWW-Authenticate` header gives keystoneauth-style clients the Keystone URL.
    pub fn unauthorized(detail: impl Into<String>, www_authenticate_uri: &str) -> Self {
        Self {
            www_authenticate: Some(format!("Keystone uri=\"{www_authenticate_uri}\"")),
            ..Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", detail)
    }

    /// Return the full API-SIG code, e.g. `aws-hybrid.instance.not_found`.
    pub fn full_code(&self) -> String {
        format!("aws-hybrid.{}", self.code)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.full_code(),
            self.detail
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current();
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut item = json!({
            "code": self.full_code(),
            "status": self.status.as_u16(),
            "title": title,
            "detail": self.detail,
            "links": [{"rel": "help", "href": HELP_HREF}],
        });
        if let Some(id) = &request_id {
            item["request_id"] = json!(id);
        }
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), code = %self.full_code(), detail = ?self.detail, "request failed");
        } else {
            tracing::info!(status = self.status.as_u16(), code = %self.full_code(), detail = ?self.detail, "request rejected");
        }
        let mut response = (self.status, axum::Json(json!({ "errors": [item] }))).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(value) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(value) = self.allow.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::ALLOW, value);
        }
        response
    }
}
