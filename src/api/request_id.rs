//! Request ids in the oslo.middleware form: a fresh `req-<uuid4>` for every request, echoed in
//! `x-openstack-request-id`, and a valid inbound `X-OpenStack-Request-ID` kept as the global id.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-openstack-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Return the id of the request served on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Generate a request id the way oslo.context does: `req-` followed by a uuid4.
pub fn generate() -> String {
    format!("req-{}", uuid::Uuid::new_v4())
}

/// Check that `value` has exactly the form `req-<lowercase uuid>`.
pub fn is_valid(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("req-") else {
        return false;
    };
    let groups: Vec<&str> = rest.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups.iter().zip(lengths).all(|(group, len)| {
            group.len() == len
                && group
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Global request id sent by the caller, or none when the header is absent or malformed.
#[derive(Debug, Clone)]
pub struct GlobalRequestId(pub Option<String>);

/// Middleware: assigns the request id, makes it visible to handlers, errors and log lines, and
/// sets the response header on every response, errors included.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = generate();
    let global = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid(v))
        .map(str::to_owned);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        global_request_id = global.as_deref().unwrap_or("-"),
        project_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    request.extensions_mut().insert(GlobalRequestId(global));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    span.in_scope(|| {
        tracing::info!(%method, %path, status = response.status().as_u16(), "request served");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid() {
        assert!(is_valid(&generate()));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        assert!(!is_valid("req-1234"));
        assert!(!is_valid("12345678-1234-1234-1234-123456789abc"));
        assert!(!is_valid("req-12345678-1234-1234-1234-123456789ABC"));
        assert!(!is_valid("req-12345678-1234-1234-1234-123456789abc-extra"));
    }

    #[test]
    fn lowercase_uuid_is_accepted() {
        assert!(is_valid("req-12345678-1234-1234-1234-123456789abc"));
    }
}
