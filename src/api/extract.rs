//! Extractors that turn malformed input into API-SIG 400s and hand handlers the caller's
//! context.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::auth::RequestContext;

/// Largest request body accepted: axum's default limit, far above any request this API takes.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// JSON body; unknown fields are rejected by the target type's `deny_unknown_fields`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes; send a smaller body."),
        );
    }
    let detail = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "The request body must be JSON: send Content-Type: application/json.".to_owned()
        }
        _ => {
            // Drop axum's "Failed to deserialize the JSON body into the target type" prefix.
            let text = rejection.body_text();
            let reason = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, reason)| reason);
            format!("The request body is invalid: {reason}")
        }
    };
    ApiError::bad_request("invalid_body", detail)
}

/// Query string; unknown parameters are rejected by the target type's `deny_unknown_fields`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

/// The query of a route that takes no parameters: any parameter is rejected.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        format!("The query string is invalid: {}", rejection.body_text()),
    )
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| ApiError::internal("the route was served without authentication"))
    }
}
