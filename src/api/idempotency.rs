//! The `Idempotency-Key` request header: a client that retries a create with the same key gets
//! the resource of the first attempt instead of a second one.
//!
//! The service derives an EC2 `ClientToken` from the key, the project ID and the operation, so
//! keys of different projects or operations never collide. Creates whose EC2 call takes no
//! client token tag the resource with the token and look for that tag first.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";
/// Maximum key length accepted. Keys may be longer than EC2's 64-character client tokens,
/// since the token is a fixed-length digest of the key.
const MAX_KEY_LEN: usize = 255;

/// Returns the client token for a create: derived from the `Idempotency-Key` header when the
/// client sent one, else the request ID (which makes the SDK's own retries safe).
pub fn client_token(
    headers: &HeaderMap,
    project_id: &str,
    operation: &str,
    request_id: &str,
) -> Result<String, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(request_id.to_owned());
    };
    let key = value.to_str().ok().filter(|key| valid_key(key)).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_idempotency_key",
            format!(
                "The {HEADER} header must be 1 to {MAX_KEY_LEN} printable ASCII characters, such as a UUID."
            ),
        )
    })?;
    Ok(derive(project_id, operation, key))
}

/// Returns the client token derived from the `Idempotency-Key` header, or None without the
/// header. For creates whose EC2 call takes no client token, the token becomes a tag that a
/// repeated request looks for, and a request without the header needs no such tag.
pub fn tag_token(
    headers: &HeaderMap,
    project_id: &str,
    operation: &str,
    request_id: &str,
) -> Result<Option<String>, ApiError> {
    if !headers.contains_key(HEADER) {
        return Ok(None);
    }
    client_token(headers, project_id, operation, request_id).map(Some)
}

fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| (0x21..0x7f).contains(&b))
}

/// `ah-` and the first 61 hex digits of SHA-256(project, operation, key): 64 characters.
fn derive(project_id: &str, operation: &str, key: &str) -> String {
    let mut hash = Sha256::new();
    for part in [project_id, operation, key] {
        hash.update(part.len().to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    format!("ah-{}", &digest[..61])
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(key).unwrap());
        headers
    }

    #[test]
    fn no_header_uses_the_request_id() {
        let token = client_token(&HeaderMap::new(), "p", "instance:create", "req-1").unwrap();

        assert_eq!(token, "req-1");
    }

    #[test]
    fn same_key_same_token_within_a_project() {
        let first = client_token(&headers("k1"), "p", "instance:create", "req-1").unwrap();
        let retry = client_token(&headers("k1"), "p", "instance:create", "req-2").unwrap();

        assert_eq!(first, retry);
        assert_eq!(first.len(), 64);
    }

    #[test]
    fn projects_and_operations_do_not_share_tokens() {
        let base = client_token(&headers("k1"), "p", "instance:create", "r").unwrap();
        let other_project = client_token(&headers("k1"), "q", "instance:create", "r").unwrap();
        let other_operation = client_token(&headers("k1"), "p", "volume:create", "r").unwrap();

        assert_ne!(base, other_project);
        assert_ne!(base, other_operation);
    }

    #[test]
    fn tag_token_only_with_the_header() {
        let without = tag_token(&HeaderMap::new(), "p", "key_pair:create", "req-1").unwrap();
        let with = tag_token(&headers("k1"), "p", "key_pair:create", "req-1").unwrap();
        let retry = client_token(&headers("k1"), "p", "key_pair:create", "req-2").unwrap();

        assert_eq!(without, None);
        assert_eq!(with, Some(retry));
    }

    #[test]
    fn keys_with_spaces_or_too_long_rejected() {
        let spaced = client_token(&headers("a b"), "p", "o", "r").unwrap_err();
        let long = client_token(&headers(&"k".repeat(256)), "p", "o", "r").unwrap_err();

        assert_eq!(spaced.status.as_u16(), 400);
        assert_eq!(long.status.as_u16(), 400);
    }
}
