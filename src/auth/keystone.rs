//! Client for Keystone's v3 token API: the service user's own token and the validation of
//! user tokens (`GET /v3/auth/tokens` with `X-Subject-Token`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::context::Identity;
use crate::config::KeystoneAuthtokenOpts;
use crate::secret::Secret;

/// The service token is renewed when less than this much of its life is left, or a tenth of
/// its lifetime for tokens shorter than 20 minutes.
const RENEW_MARGIN: chrono::Duration = chrono::Duration::seconds(120);
/// Upper bound on one call to Keystone, so that a hung Keystone becomes a 503, not a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause between retries of a call that failed to connect.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Reason a user token was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// Keystone does not know the token, or it expired or was revoked.
    #[error("the token is invalid, expired or revoked")]
    Invalid,
    /// Keystone could not be reached or did not return a usable response.
    #[error("Keystone is unavailable: {0}")]
    Unavailable(String),
}

struct ServiceToken {
    token: Secret,
    /// When to obtain a new token instead of using this one.
    renew_at: DateTime<Utc>,
    /// Versioned identity URL (ending in `/v3`) taken from the catalog for the configured
    /// interface and region.
    identity_url: String,
}

/// Talks to Keystone on behalf of the service user configured in `[keystone_authtoken]`.
pub struct KeystoneClient {
    http: reqwest::Client,
    opts: KeystoneAuthtokenOpts,
    service_token: Mutex<Option<Arc<ServiceToken>>>,
}

impl KeystoneClient {
    pub fn new(opts: KeystoneAuthtokenOpts) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(seconds) = opts.http_connect_timeout {
            builder = builder.connect_timeout(Duration::from_secs(seconds));
        }
        Ok(Self {
            http: builder.build()?,
            opts,
            service_token: Mutex::new(None),
        })
    }

    /// Validate `user_token`; `allow_expired` is set only when a valid service token came with
    /// the request, as keystonemiddleware does.
    pub async fn validate(
        &self,
        user_token: &str,
        allow_expired: bool,
    ) -> Result<Identity, ValidateError> {
        let mut renewed = false;
        loop {
            let service = self.service_token(renewed).await?;
            let mut url = format!("{}/auth/tokens?nocatalog", service.identity_url);
            if allow_expired {
                url.push_str("&allow_expired=1");
            }
            let response = self
                .send_with_retries(|| {
                    self.http
                        .get(&url)
                        .header("X-Auth-Token", service.token.expose())
                        .header("X-Subject-Token", user_token)
                })
                .await?;
            match response.status() {
                StatusCode::OK => return parse_identity(response).await,
                StatusCode::NOT_FOUND => return Err(ValidateError::Invalid),
                // Keystone rejected our own token: obtain a new one once, then give up.
                StatusCode::UNAUTHORIZED if !renewed => {
                    tracing::warn!("Keystone rejected the service token; authenticating again");
                    renewed = true;
                }
                status => {
                    return Err(ValidateError::Unavailable(format!(
                        "token validation returned HTTP {}",
                        status.as_u16()
                    )));
                }
            }
        }
    }

    /// Check that Keystone is reachable and that the service user can authenticate.
    pub async fn check(&self) -> Result<(), ValidateError> {
        self.service_token(false).await.map(|_| ())
    }

    async fn service_token(&self, force_renew: bool) -> Result<Arc<ServiceToken>, ValidateError> {
        let mut slot = self.service_token.lock().await;
        let reusable = slot
            .as_ref()
            .filter(|current| !force_renew && Utc::now() < current.renew_at);
        if let Some(current) = reusable {
            return Ok(current.clone());
        }
        let fresh = Arc::new(self.authenticate().await?);
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    async fn authenticate(&self) -> Result<ServiceToken, ValidateError> {
        let o = &self.opts;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": o.username,
                "domain": {"name": o.user_domain_name},
                "password": o.password.expose(),
            }}},
            "scope": {"project": {"name": o.project_name, "domain": {"name": o.project_domain_name}}},
        }});
        let url = format!("{}/v3/auth/tokens", unversioned(&o.auth_url));
        let response = self
            .send_with_retries(|| self.http.post(&url).json(&body))
            .await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            tracing::error!(
                status = status.as_u16(),
                username = %o.username,
                auth_url = %o.auth_url,
                "Keystone rejected the service user's credentials from [keystone_authtoken]"
            );
            return Err(ValidateError::Unavailable(format!(
                "the service user could not authenticate (HTTP {})",
                status.as_u16()
            )));
        }
        let token = response
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .map(|v| Secret::new(v.to_owned()))
            .ok_or_else(|| ValidateError::Unavailable("Keystone sent no X-Subject-Token".into()))?;
        let parsed: ServiceTokenBody = response
            .json()
            .await
            .map_err(|e| ValidateError::Unavailable(format!("unreadable token response: {e}")))?;
        let identity_url = self.identity_url(&parsed.token.catalog)?;
        tracing::info!(identity_url = %identity_url, expires_at = %parsed.token.expires_at, "obtained the service token");
        let lifetime = parsed.token.expires_at - parsed.token.issued_at;
        Ok(ServiceToken {
            token,
            renew_at: parsed.token.expires_at - RENEW_MARGIN.min(lifetime / 10),
            identity_url,
        })
    }

    /// Find the identity endpoint for `[keystone_authtoken] interface` (and `region_name` when set).
    fn identity_url(&self, catalog: &[CatalogService]) -> Result<String, ValidateError> {
        let interface = self.opts.interface.as_str();
        let region = self.opts.region_name.as_deref();
        let found = catalog
            .iter()
            .filter(|service| service.service_type == "identity")
            .flat_map(|service| &service.endpoints)
            .find(|e| {
                e.interface == interface && region.is_none_or(|r| e.region_id.as_deref() == Some(r))
            });
        match found {
            Some(endpoint) => Ok(format!("{}/v3", unversioned(&endpoint.url))),
            None => {
                let message = format!(
                    "the catalog has no {interface} identity endpoint{}; set [keystone_authtoken] interface \
                     (and region_name) to an interface Keystone registered",
                    region
                        .map(|r| format!(" in region {r}"))
                        .unwrap_or_default()
                );
                tracing::error!("{message}");
                Err(ValidateError::Unavailable(message))
            }
        }
    }

    async fn send_with_retries(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ValidateError> {
        let attempts = self.opts.http_request_max_retries + 1;
        let mut last_error = String::new();
        for attempt in 1..=attempts {
            match request().send().await {
                Ok(response) => {
                    if response.status().is_server_error() && attempt < attempts {
                        last_error = format!("HTTP {}", response.status().as_u16());
                    } else {
                        return Ok(response);
                    }
                }
                // reqwest's errors name the URL, never a header, so no token leaks here.
                Err(e) => last_error = error_chain(&e),
            }
            tracing::debug!(attempt, attempts, error = %last_error, "call to Keystone failed");
            if attempt < attempts {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
        Err(ValidateError::Unavailable(last_error))
    }
}

/// Join an error and its sources, e.g. "error sending request for url (…): client error (Connect):
/// tcp connect error: Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `auth_url` and catalog URLs may or may not end in `/v3`; the token API lives under `/v3`.
fn unversioned(url: &str) -> &str {
    let trimmed = url.trim_end_matches('/');
    trimmed.strip_suffix("/v3").unwrap_or(trimmed)
}

async fn parse_identity(response: reqwest::Response) -> Result<Identity, ValidateError> {
    let body: ValidatedTokenBody = response
        .json()
        .await
        .map_err(|e| ValidateError::Unavailable(format!("unreadable validation response: {e}")))?;
    let token = body.token;
    Ok(Identity {
        user_id: token.user.id,
        user_name: token.user.name,
        user_domain_id: token.user.domain.map(|d| d.id).unwrap_or_default(),
        project_id: token.project.as_ref().map(|p| p.id.clone()),
        project_name: token.project.as_ref().map(|p| p.name.clone()),
        project_domain_id: token.project.and_then(|p| p.domain).map(|d| d.id),
        domain_id: token.domain.map(|d| d.id),
        system_scope: token.system.is_some(),
        roles: token.roles.into_iter().map(|r| r.name).collect(),
        expires_at: token.expires_at,
    })
}

#[derive(Deserialize)]
struct ServiceTokenBody {
    token: ServiceTokenData,
}

#[derive(Deserialize)]
struct ServiceTokenData {
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[serde(default)]
    catalog: Vec<CatalogService>,
}

#[derive(Deserialize)]
struct CatalogService {
    #[serde(rename = "type")]
    service_type: String,
    #[serde(default)]
    endpoints: Vec<CatalogEndpoint>,
}

#[derive(Deserialize)]
struct CatalogEndpoint {
    interface: String,
    url: String,
    region_id: Option<String>,
}

#[derive(Deserialize)]
struct ValidatedTokenBody {
    token: ValidatedToken,
}

#[derive(Deserialize)]
struct ValidatedToken {
    expires_at: DateTime<Utc>,
    user: NamedRef,
    project: Option<NamedRef>,
    domain: Option<IdRef>,
    system: Option<serde_json::Value>,
    #[serde(default)]
    roles: Vec<RoleRef>,
}

#[derive(Deserialize)]
struct NamedRef {
    id: String,
    #[serde(default)]
    name: String,
    domain: Option<IdRef>,
}

#[derive(Deserialize)]
struct IdRef {
    id: String,
}

#[derive(Deserialize)]
struct RoleRef {
    name: String,
}

#[cfg(test)]
mod tests {
    use super::unversioned;

    #[test]
    fn unversioned_strips_version_and_slashes() {
        assert_eq!(unversioned("http://k:5000/v3/"), "http://k:5000");
        assert_eq!(unversioned("http://k/identity/v3"), "http://k/identity");
        assert_eq!(unversioned("http://k:5000"), "http://k:5000");
    }
}
