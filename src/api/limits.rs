//! Request header limits, rejected with a JSON 431 instead of a dropped connection.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Middleware: rejects any request with a header longer than `[api] max_header_size` bytes.
pub async fn header_size(
    State(max_header_size): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let oversized = request
        .headers()
        .iter()
        .find(|(name, value)| name.as_str().len() + value.len() > max_header_size);
    if let Some((name, value)) = oversized {
        let detail = format!(
            "The {name} header is {} bytes long; the limit is {max_header_size} bytes ([api] max_header_size).",
            name.as_str().len() + value.len()
        );
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_too_large",
            detail,
        )
        .into_response();
    }
    next.run(request).await
}
