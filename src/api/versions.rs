//! Version discovery documents, served without a token at `/` and `/v1/`, in the shape the
//! API-SIG schema and keystoneauth expect.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{SharedState, microversion};

/// Return the unversioned root of `endpoint`: trailing slashes and a trailing `/v1` removed, so that
/// links never repeat a path segment.
pub fn unversioned_root(endpoint: &str) -> String {
    let trimmed = endpoint.trim_end_matches('/');
    trimmed.strip_suffix("/v1").unwrap_or(trimmed).to_owned()
}

fn version_entry(base: &str) -> Value {
    json!({
        "id": "v1.0",
        "status": "CURRENT",
        "min_version": microversion::MIN.to_string(),
        "max_version": microversion::MAX.to_string(),
        "links": [
            {"rel": "self", "href": format!("{base}/v1/")},
            {"rel": "collection", "href": format!("{base}/")},
        ],
    })
}

#[utoipa::path(get, path = "/", tag = "versions", responses((status = 200, description = "Version list", body = Object)))]
pub async fn root(State(state): State<SharedState>, headers: HeaderMap) -> Json<Value> {
    let base = state.base_url(&headers);
    Json(json!({ "versions": [version_entry(&base)] }))
}

#[utoipa::path(get, path = "/v1/", tag = "versions", responses((status = 200, description = "The v1 version document", body = Object)))]
pub async fn v1(State(state): State<SharedState>, headers: HeaderMap) -> Json<Value> {
    let base = state.base_url(&headers);
    Json(json!({ "version": version_entry(&base) }))
}

#[cfg(test)]
mod tests {
    use super::unversioned_root;

    #[test]
    fn root_drops_version_and_slashes() {
        assert_eq!(unversioned_root("http://h:9797/v1/"), "http://h:9797");
        assert_eq!(unversioned_root("http://h:9797/"), "http://h:9797");
        assert_eq!(
            unversioned_root("http://h/aws-hybrid"),
            "http://h/aws-hybrid"
        );
    }
}
