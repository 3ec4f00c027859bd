//! `/v1/key-pairs`: list, show, create (EC2 generates the key) or import (the client sends a
//! public key), and delete.
//!
//! The private key of a generated key pair is in the create response only. The service never
//! stores or logs it, so a repeated request with the same `Idempotency-Key` returns the key
//! pair without it.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::listing::{ListEndpoint, ListRequest, list_params};
use super::openapi::*;
use super::pagination::Page;
use super::project::Project;
use super::{SharedState, idempotency, ssh_public_key, validate};
use crate::cloud::{KeyPair, KeyPairFilter, KeyPairSpec, KeyType};

/// EC2's limit on key pair names.
const MAX_NAME_LEN: usize = 255;
const KEY_TYPES: [&str; 2] = ["rsa", "ed25519"];

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/key-pairs", get(list).post(create))
        .route("/key-pairs/{key_name}", get(show).delete(delete))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct KeyPairList {
    pub key_pairs: Vec<KeyPair>,
    pub key_pairs_links: Option<Vec<super::pagination::Link>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct KeyPairShow {
    pub key_pair: KeyPair,
}

/// A created key pair: the key pair's fields and, for a generated one, `private_key`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct KeyPairCreated {
    #[schema(value_type = Object)]
    pub key_pair: serde_json::Value,
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "key-pair",
    collection: "key_pairs",
    path: "/v1/key-pairs",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    key_type: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/key-pairs", tag = "key-pairs",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query, description = "Name of the last key pair of the previous page; with all_projects or project_id, its project_id and name as <project_id>/<name>"),
           ("key_type" = Option<String>, Query, description = "rsa or ed25519"),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "The project's key pairs, by name", body = KeyPairList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:key-pair:list")?;
    if let Some(wanted) = query.key_type.as_deref() {
        check_key_type(wanted)?;
    }
    let filter = KeyPairFilter {
        key_type: query.key_type.clone(),
    };
    let params = list_params!(query, [key_type]);
    let request = ListRequest::parse(&LIST, params, state.config.api.max_limit)?;
    let pairs = request
        .list(
            &project,
            |k: &KeyPair| k.name.as_str(),
            |scope| state.driver.list_key_pairs(scope, &filter),
        )
        .await?;

    let base = state.base_url(&headers);
    let page = if request.selection.is_own_project() {
        request.page(pairs, |k| k.name.as_str(), &base)
    } else {
        paginate_across_projects(pairs, &request, &base)
    };
    Ok(axum::Json(page.into_body(LIST.collection)).into_response())
}

/// Takes one page of key pairs of several projects, ordered and paginated by
/// `<project_id>/<name>`. Two projects mapped to different AWS accounts may each have a key
/// pair of the same name, so the name alone does not identify one across projects. Mapped
/// project IDs contain no `/`, which keeps the combined key unique.
fn paginate_across_projects(
    pairs: Vec<KeyPair>,
    request: &ListRequest<'_>,
    base: &str,
) -> Page<KeyPair> {
    let mut keyed: Vec<(String, KeyPair)> = pairs
        .into_iter()
        .map(|pair| (format!("{}/{}", pair.project_id, pair.name), pair))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let page = request.page(keyed, |(key, _)| key.as_str(), base);
    Page {
        items: page.items.into_iter().map(|(_, pair)| pair).collect(),
        links: page.links,
    }
}

#[utoipa::path(get, path = "/v1/key-pairs/{key_name}", tag = "key-pairs",
    params(("key_name" = String, Path)),
    responses((status = 200, description = "One key pair", body = KeyPairShow),
        (status = 404, description = "No such key pair in this project", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(name): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:key-pair:get")?;
    check_name_in_path(&name)?;
    let key_pair = state.driver.get_key_pair(project.scope(), &name).await?;
    Ok(axum::Json(json!({ "key_pair": key_pair })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyPairCreateBody {
    key_pair: CreateKeyPair,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKeyPair {
    name: String,
    /// `rsa` (the default) or `ed25519`.
    key_type: Option<String>,
    /// An OpenSSH public key to import instead of having EC2 generate a key pair.
    public_key: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/key-pairs", tag = "key-pairs", request_body = KeyPairCreateBody,
    responses((status = 201, description = "Key pair created or imported, or found for a repeated Idempotency-Key; `private_key` is set for a newly generated key pair, in this response only", body = KeyPairCreated),
        (status = 400, description = "Invalid body, such as a malformed public key", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 409, description = "The name is taken in the AWS account and region", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<KeyPairCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:key-pair:create")?;
    let idempotency_token = idempotency::tag_token(
        &headers,
        &project.context.project_id,
        "key_pair:create",
        &project.context.request_id,
    )?;
    let spec = key_pair_spec(body.key_pair, idempotency_token)?;
    let created = state.driver.create_key_pair(project.scope(), &spec).await?;
    let mut item = serde_json::to_value(&created.key_pair)
        .map_err(|e| ApiError::internal(format!("cannot serialize a key pair: {e}")))?;
    if let Some(private_key) = &created.private_key {
        item["private_key"] = json!(private_key.expose());
    }
    // A repeated request gets 201 too, as for the first one, but without the private key.
    let mut response =
        (StatusCode::CREATED, axum::Json(json!({ "key_pair": item }))).into_response();
    let location = format!(
        "{}/v1/key-pairs/{}",
        state.base_url(&headers),
        percent_encode_segment(&created.key_pair.name)
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Check every field of a create request and name the first bad one with its fix.
fn key_pair_spec(
    request: CreateKeyPair,
    idempotency_token: Option<String>,
) -> Result<KeyPairSpec, ApiError> {
    check_name("name", &request.name)?;
    let requested_type = match request.key_type.as_deref() {
        Some(value) => Some(check_key_type(value)?),
        None => None,
    };
    if let Some(public_key) = &request.public_key {
        let parsed = ssh_public_key::parse(public_key).map_err(|reason| {
            ApiError::bad_request(
                "invalid_parameter",
                format!("Invalid public_key: {reason}."),
            )
        })?;
        if let Some(requested) = requested_type.filter(|t| t.as_str() != parsed.key_type) {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!(
                    "Invalid key_type {:?}: the public_key is an {} key; leave key_type out when you import a key.",
                    requested.as_str(),
                    parsed.key_type
                ),
            ));
        }
    }
    validate::tags(&request.tags)?;
    Ok(KeyPairSpec {
        name: request.name,
        key_type: requested_type.unwrap_or(KeyType::Rsa),
        public_key: request.public_key.map(|k| k.trim().to_owned()),
        tags: request.tags,
        idempotency_token,
    })
}

fn check_key_type(value: &str) -> Result<KeyType, ApiError> {
    match value {
        "rsa" => Ok(KeyType::Rsa),
        "ed25519" => Ok(KeyType::Ed25519),
        other => Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid key_type {other:?}: use one of {}.",
                KEY_TYPES.join(", ")
            ),
        )),
    }
}

/// Key pair names, as EC2 takes them: 1 to 255 printable ASCII characters. Leading and
/// trailing spaces are rejected too, because they are invisible in most listings.
fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let invalid = |fix: &str| {
        ApiError::bad_request(
            "invalid_parameter",
            format!("Invalid {field} {name:?}: {fix}"),
        )
    };
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(invalid(&format!(
            "it must have between 1 and {MAX_NAME_LEN} characters."
        )));
    }
    if !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(invalid(
            "use printable ASCII characters only (letters, digits, spaces and punctuation).",
        ));
    }
    if name.trim() != name {
        return Err(invalid("remove the leading or trailing spaces."));
    }
    Ok(())
}

/// Check a key pair name in the URL, and report one that could not have been created as not
/// found, like any unknown name.
fn check_name_in_path(name: &str) -> Result<(), ApiError> {
    check_name("key_name", name).map_err(|_| {
        ApiError::not_found(
            "key_pair.not_found",
            format!("The key pair {name:?} was not found in this project."),
        )
    })
}

/// Percent-encode `value` for use as one URL path segment.
fn percent_encode_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[utoipa::path(delete, path = "/v1/key-pairs/{key_name}", tag = "key-pairs",
    params(("key_name" = String, Path)),
    responses((status = 204, description = "Key pair deleted"),
        (status = 404, description = "No such key pair in this project", body = ErrorBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn delete(
    State(state): State<SharedState>,
    project: Project,
    Path(name): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:key-pair:delete")?;
    check_name_in_path(&name)?;
    state.driver.delete_key_pair(project.scope(), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str) -> CreateKeyPair {
        CreateKeyPair {
            name: name.into(),
            key_type: None,
            public_key: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn key_type_defaults_to_rsa() {
        let spec = key_pair_spec(request("deploy"), None).unwrap();

        assert_eq!(spec.key_type, KeyType::Rsa);
        assert_eq!(spec.public_key, None);
    }

    #[test]
    fn bad_names_are_rejected() {
        for name in ["", " deploy", "caf\u{e9}", "a\u{0}b", &"k".repeat(256)] {
            let error = key_pair_spec(request(name), None).unwrap_err();
            assert!(error.detail.contains("name"), "{name:?}: {}", error.detail);
        }
    }

    #[test]
    fn key_type_must_match_public_key() {
        let mut import = request("laptop");
        import.key_type = Some("rsa".into());
        import.public_key = Some(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcK9+NEX26qiMBENrf3xhSV6VnyICzwoE8E/5eXiLBD"
                .into(),
        );

        let error = key_pair_spec(import, None).unwrap_err();

        assert!(error.detail.contains("key_type"), "{}", error.detail);
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(percent_encode_segment("my key/1"), "my%20key%2F1");
    }
}
