//! Microversions, as the API-SIG guideline defines them: a client asks for a version of the
//! API with `OpenStack-API-Version: aws-hybrid X.Y` (or `latest`), the service answers with the
//! version it used in the same header and `Vary: OpenStack-API-Version`, and the version
//! documents at `/` and `/v1/` give the minimum and maximum.
//!
//! Versions:
//! - 1.0: instances, regions, availability zones, instance types and images, with the region
//!   header, administrators' listings across projects and the `Idempotency-Key` header.

use std::fmt;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

pub const HEADER: &str = "OpenStack-API-Version";
pub const SERVICE_TYPE: &str = "aws-hybrid";
pub const MIN: ApiVersion = ApiVersion(1, 0);
pub const MAX: ApiVersion = ApiVersion(1, 0);

/// A microversion, major and minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u32, pub u32);

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// Middleware for `/v1/...`: picks the version of the request, puts it in the request's
/// extensions for handlers, and names it in the response.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let requested = request
        .headers()
        .get_all(HEADER)
        .iter()
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
        .collect::<Vec<_>>()
        .join(",");
    let version = match negotiate(&requested) {
        Ok(version) => version,
        Err(error) => return with_version_headers(error.into_response(), None),
    };
    request.extensions_mut().insert(version);
    with_version_headers(next.run(request).await, Some(version))
}

fn with_version_headers(mut response: Response, version: Option<ApiVersion>) -> Response {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static(HEADER));
    if let Some(version) = version {
        let value = format!("{SERVICE_TYPE} {version}");
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HEADER, value);
        }
    }
    response
}

/// Picks the version from the header value, which may name several services separated by
/// commas. No entry for this service means the minimum version.
pub fn negotiate(header_value: &str) -> Result<ApiVersion, ApiError> {
    let ours = header_value.split(',').map(str::trim).find_map(|entry| {
        let (service, version) = entry.split_once(char::is_whitespace)?;
        service
            .eq_ignore_ascii_case(SERVICE_TYPE)
            .then(|| version.trim())
    });
    let Some(text) = ours else {
        return Ok(MIN);
    };
    if text.eq_ignore_ascii_case("latest") {
        return Ok(MAX);
    }
    let version = parse(text).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_api_version",
            format!(
                "Invalid {HEADER} {text:?}: use \"{SERVICE_TYPE} X.Y\" with a version from {MIN} to {MAX}, or \"{SERVICE_TYPE} latest\"."
            ),
        )
    })?;
    if version < MIN || version > MAX {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "api_version_not_acceptable",
            format!(
                "Version {version} is not supported; this service supports {MIN} to {MAX}. GET / lists them."
            ),
        ));
    }
    Ok(version)
}

/// Parses `X.Y` with decimal numbers and no leading zeros, as the guideline writes versions.
fn parse(text: &str) -> Option<ApiVersion> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| -> Option<u32> {
        let valid = !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        valid.then(|| part.parse().ok()).flatten()
    };
    Some(ApiVersion(number(major)?, number(minor)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_header_means_the_minimum() {
        assert_eq!(negotiate("").unwrap(), MIN);
        assert_eq!(negotiate("compute 2.90").unwrap(), MIN);
    }

    #[test]
    fn latest_means_the_maximum() {
        assert_eq!(negotiate("aws-hybrid latest").unwrap(), MAX);
    }

    #[test]
    fn our_entry_found_among_others() {
        assert_eq!(
            negotiate("compute 2.1, aws-hybrid 1.0").unwrap(),
            ApiVersion(1, 0)
        );
    }

    #[test]
    fn malformed_version_is_400() {
        for bad in [
            "aws-hybrid 1",
            "aws-hybrid 1.x",
            "aws-hybrid 01.0",
            "aws-hybrid v1.0",
        ] {
            let error = negotiate(bad).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn out_of_range_is_406_naming_the_range() {
        let error = negotiate("aws-hybrid 1.99").unwrap_err();

        assert_eq!(error.status, StatusCode::NOT_ACCEPTABLE);
        assert!(error.detail.contains("1.0 to 1.0"), "{}", error.detail);
    }
}
