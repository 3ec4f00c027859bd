//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`: what AWS reads to check the
//! tokens the service signs as an OpenID Connect provider. Both are public, like the version
//! documents, and answer 404 when no signing key is configured.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::SharedState;
use super::error::ApiError;
use crate::oidc::Signer;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(key_set))
}

fn signer(state: &SharedState) -> Result<&Signer, ApiError> {
    state.signer.as_deref().ok_or_else(|| {
        ApiError::not_found(
            "oidc_not_configured",
            "This service is no OpenID Connect provider: [oidc] signing_key_file is not set.",
        )
    })
}

/// Documents change only with the key, so AWS and proxies may cache them for a while.
const CACHE_CONTROL: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=300");

#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oidc",
    responses((status = 200, description = "OpenID discovery document of the service's token issuer", body = Object),
        (status = 404, description = "No signing key is configured", body = super::openapi::ErrorBody)))]
pub(super) async fn discovery(
    State(state): State<SharedState>,
) -> Result<impl IntoResponse, ApiError> {
    let document = signer(&state)?.discovery_document();
    Ok(([CACHE_CONTROL], axum::Json(document)))
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "oidc",
    responses((status = 200, description = "Public key set that verifies the service's tokens", body = Object),
        (status = 404, description = "No signing key is configured", body = super::openapi::ErrorBody)))]
pub(super) async fn key_set(
    State(state): State<SharedState>,
) -> Result<impl IntoResponse, ApiError> {
    let keys = signer(&state)?.key_set();
    Ok(([CACHE_CONTROL], axum::Json(keys)))
}
