//! Role sessions for projects mapped to a `role_arn`.
//!
//! The service assumes the role through STS with the Keystone project ID as external ID, or
//! with a token it signed for the project (see [`crate::oidc`]), and a session name made of the
//! project and user IDs, so that CloudTrail names the OpenStack user. Sessions are cached per
//! (project, role, user). A request that finds its session in the last quarter of its life
//! (at most five minutes before expiry) starts a refresh in the background and goes on with the
//! current credentials, so requests wait for STS only when no valid session exists.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::config::{BehaviorVersion, Region as SdkRegion};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;

use super::errors;
use crate::cloud::CloudError;
use crate::config::{AwsOpts, CredentialSource, StsOpts};
use crate::oidc::Signer;
use crate::secret::Secret;

/// Maximum time before expiry at which a session is refreshed.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// AWS's limit on role session names.
const MAX_SESSION_NAME_LEN: usize = 64;

/// Static keys that sign `sts:AssumeRole` calls.
#[derive(Clone, Debug)]
pub struct BaseKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// Identity that the service presents to STS.
pub enum StsIdentity {
    /// `AssumeRole`, signed with these keys, with the project ID as external ID.
    Keys(BaseKeys),
    /// `AssumeRoleWithWebIdentity` with a token signed for the project.
    WebIdentity(Arc<Signer>),
    /// No way to assume roles is configured; projects mapped to a role get a 503 with the reason.
    None(String),
}

/// A session key: project ID, role ARN, user ID.
type SessionKey = (String, String, String);

#[derive(Clone)]
struct Session {
    credentials: Credentials,
    /// When the session should be renewed in the background.
    refresh_at: SystemTime,
    /// When the session is too close to expiry to sign a request with.
    unusable_at: SystemTime,
}

#[derive(Default)]
struct Slot {
    session: Mutex<Option<Session>>,
    /// Held while a call to STS for this key is under way, so there is at most one.
    renewing: Arc<tokio::sync::Mutex<()>>,
}

/// Assumed-role sessions of every project, user and role.
pub struct RoleSessions {
    sts: aws_sdk_sts::Client,
    identity: StsIdentity,
    duration: i32,
    slots: Mutex<HashMap<SessionKey, Arc<Slot>>>,
}

impl RoleSessions {
    pub fn new(aws: &AwsOpts, sts: &StsOpts, identity: StsIdentity) -> Self {
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(aws.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(aws.operation_timeout))
                    .connect_timeout(Duration::from_secs(10))
                    .build(),
            );
        if let StsIdentity::Keys(keys) = &identity {
            builder = builder.credentials_provider(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.expose().to_owned(),
                keys.session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "aws-hybrid-sts-base",
            ));
        }
        if let Some(endpoint) = sts.endpoint_url.as_ref().or(aws.endpoint_url.as_ref()) {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            sts: aws_sdk_sts::Client::from_conf(builder.build()),
            identity,
            duration: i32::try_from(sts.session_duration).unwrap_or(3600),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Returns usable credentials of the role for this project and user, from the cache when it
    /// contains a session that is not about to expire.
    pub async fn credentials(
        self: &Arc<Self>,
        project_id: &str,
        role_arn: &str,
        user_id: &str,
    ) -> Result<Credentials, CloudError> {
        let key = (
            project_id.to_owned(),
            role_arn.to_owned(),
            user_id.to_owned(),
        );
        let slot = self.slot(&key);
        let now = SystemTime::now();
        let cached = slot.session.lock().expect("session lock poisoned").clone();
        if let Some(session) = cached.filter(|s| now < s.unusable_at) {
            if now >= session.refresh_at {
                self.renew_in_background(key, slot);
            }
            return Ok(session.credentials);
        }
        let _renewing = slot.renewing.lock().await;
        // Another request may have renewed the session while this one waited.
        let cached = slot.session.lock().expect("session lock poisoned").clone();
        if let Some(session) = cached.filter(|s| SystemTime::now() < s.unusable_at) {
            return Ok(session.credentials);
        }
        let session = self.assume(&key).await?;
        *slot.session.lock().expect("session lock poisoned") = Some(session.clone());
        Ok(session.credentials)
    }

    /// Forgets every session, after the mapping changed.
    pub fn clear(&self) {
        self.slots
            .lock()
            .expect("session table lock poisoned")
            .clear();
    }

    fn slot(&self, key: &SessionKey) -> Arc<Slot> {
        let mut slots = self.slots.lock().expect("session table lock poisoned");
        slots.entry(key.clone()).or_default().clone()
    }

    fn renew_in_background(self: &Arc<Self>, key: SessionKey, slot: Arc<Slot>) {
        let Ok(guard) = slot.renewing.clone().try_lock_owned() else {
            return; // A renewal is already under way.
        };
        let sessions = self.clone();
        tokio::spawn(async move {
            let _renewing = guard;
            match sessions.assume(&key).await {
                Ok(session) => {
                    *slot.session.lock().expect("session lock poisoned") = Some(session);
                }
                // The current session stays in use until it is unusable; the next request
                // after that retries on its own path and reports the error.
                Err(error) => tracing::warn!(
                    project_id = %key.0,
                    role_arn = %key.1,
                    error = %error,
                    "renewing a role session failed"
                ),
            }
        });
    }

    async fn assume(
        &self,
        (project_id, role_arn, user_id): &SessionKey,
    ) -> Result<Session, CloudError> {
        let session_name = session_name(project_id, user_id);
        let issued = SystemTime::now();
        let credentials = match &self.identity {
            StsIdentity::Keys(_) => {
                let output = self
                    .sts
                    .assume_role()
                    .role_arn(role_arn)
                    .role_session_name(&session_name)
                    .external_id(project_id)
                    .duration_seconds(self.duration)
                    .send()
                    .await
                    .map_err(|e| {
                        role_error(role_arn, project_id, errors::from_sdk("AssumeRole", e))
                    })?;
                output.credentials
            }
            StsIdentity::WebIdentity(signer) => {
                let token = signer.sign(project_id).map_err(CloudError::Internal)?;
                let output = self
                    .sts
                    .assume_role_with_web_identity()
                    .role_arn(role_arn)
                    .role_session_name(&session_name)
                    .web_identity_token(token)
                    .duration_seconds(self.duration)
                    .send()
                    .await
                    .map_err(|e| {
                        let action = "AssumeRoleWithWebIdentity";
                        role_error(role_arn, project_id, errors::from_sdk(action, e))
                    })?;
                output.credentials
            }
            StsIdentity::None(reason) => {
                return Err(CloudError::Unavailable {
                    action: "AssumeRole".to_owned(),
                    message: reason.clone(),
                });
            }
        };
        let Some(credentials) = credentials else {
            return Err(CloudError::Internal(
                "STS returned no credentials".to_owned(),
            ));
        };
        let expires: SystemTime = credentials
            .expiration
            .try_into()
            .unwrap_or(issued + Duration::from_secs(900));
        tracing::info!(
            project_id = %project_id,
            role_arn = %role_arn,
            session_name = %session_name,
            "assumed role"
        );
        Ok(Session {
            credentials: Credentials::new(
                credentials.access_key_id,
                credentials.secret_access_key,
                Some(credentials.session_token),
                Some(expires),
                "aws-hybrid-role-session",
            ),
            refresh_at: expires - refresh_margin(issued, expires),
            unusable_at: expires - refresh_margin(issued, expires) / 5,
        })
    }
}

/// Returns how long before expiry to renew: a quarter of the session's life, at most five
/// minutes.
fn refresh_margin(issued: SystemTime, expires: SystemTime) -> Duration {
    let lifetime = expires.duration_since(issued).unwrap_or_default();
    (lifetime / 4).min(MAX_REFRESH_MARGIN)
}

/// Builds the role session name `<project_id>.<user_id>`. Characters STS does not accept
/// become `-`, and the user ID is shortened when the name would exceed 64 characters.
pub fn session_name(project_id: &str, user_id: &str) -> String {
    let clean = |id: &str| -> String {
        id.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let mut name = format!("{}.{}", clean(project_id), clean(user_id));
    name.truncate(MAX_SESSION_NAME_LEN);
    name
}

/// Turns a refusal by STS into an error that names the role and what its trust policy needs.
fn role_error(role_arn: &str, project_id: &str, error: CloudError) -> CloudError {
    match error {
        CloudError::Forbidden { message, .. } | CloudError::InvalidParameter { message, .. } => {
            CloudError::RoleRefused {
                role_arn: role_arn.to_owned(),
                project_id: project_id.to_owned(),
                message,
            }
        }
        other => other,
    }
}

/// Reads static keys from a profile of an AWS shared credentials file. Other kinds of profile
/// (roles, processes, SSO) are refused, since they could reach hosts the operator did not name.
pub fn read_profile(path: &std::path::Path, profile: &str) -> Result<BaseKeys, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("[sts] shared_credentials_file {}: {error}", path.display()))?;
    let file = crate::config::ini::parse(&text, &path.display().to_string()).map_err(|errors| {
        let first = errors
            .first()
            .map(|e| format!("line {}: {}", e.line, e.kind));
        format!(
            "[sts] shared_credentials_file {}: not an INI file ({})",
            path.display(),
            first.unwrap_or_default()
        )
    })?;
    let section = file
        .sections
        .iter()
        .find(|section| section.name == profile)
        .ok_or_else(|| {
            format!(
                "[sts] shared_credentials_file {} has no [{profile}] profile; add it or set [sts] profile",
                path.display()
            )
        })?;
    let value = |key: &str| section.last(key).map(|entry| entry.value.clone());
    match (value("aws_access_key_id"), value("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret)) => Ok(BaseKeys {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: value("aws_session_token").map(Secret::new),
        }),
        _ => Err(format!(
            "[sts] shared_credentials_file {}: profile [{profile}] needs aws_access_key_id and aws_secret_access_key; other kinds of profile are not supported",
            path.display()
        )),
    }
}

/// Says why roles cannot be assumed with this configuration, or `None` when they can.
pub fn unusable_reason(sts: &StsOpts, signer: Option<Arc<Signer>>) -> Option<String> {
    match sts_identity(sts, signer) {
        StsIdentity::None(reason) => Some(reason),
        _ => None,
    }
}

/// Works out how the service proves itself to STS from `[sts]`.
pub fn sts_identity(sts: &StsOpts, signer: Option<Arc<Signer>>) -> StsIdentity {
    match sts.credential_source {
        CredentialSource::Keys => match (&sts.access_key_id, &sts.secret_access_key) {
            (Some(id), Some(secret)) => StsIdentity::Keys(BaseKeys {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: None,
            }),
            _ => StsIdentity::None(
                "no credentials to assume roles with; set [sts] access_key_id and secret_access_key"
                    .to_owned(),
            ),
        },
        CredentialSource::SharedCredentialsFile => {
            match read_profile(&sts.shared_credentials_file, &sts.profile) {
                Ok(keys) => StsIdentity::Keys(keys),
                Err(message) => StsIdentity::None(message),
            }
        }
        CredentialSource::WebIdentity => match signer {
            Some(signer) => StsIdentity::WebIdentity(signer),
            None => StsIdentity::None("[oidc] signing_key_file is not set".to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_name_joins_project_and_user() {
        assert_eq!(session_name("p1", "u1"), "p1.u1");
    }

    #[test]
    fn session_name_fits_sts_limit() {
        let id = "0123456789abcdef0123456789abcdef";

        let name = session_name(id, id);

        assert_eq!(name.len(), 64);
        assert!(name.starts_with(&format!("{id}.")));
    }

    #[test]
    fn session_name_replaces_characters_sts_refuses() {
        assert_eq!(session_name("p 1", "cn=a/b"), "p-1.cn=a-b");
    }

    #[test]
    fn refresh_margin_is_a_quarter_capped_at_five_minutes() {
        let start = SystemTime::UNIX_EPOCH;
        let in_secs = |s| start + Duration::from_secs(s);

        assert_eq!(refresh_margin(start, in_secs(40)), Duration::from_secs(10));
        assert_eq!(
            refresh_margin(start, in_secs(3600)),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn profile_with_static_keys_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "[default]\naws_access_key_id = AKIADEFAULT00000000\naws_secret_access_key = s1\n\
             [ops]\naws_access_key_id = AKIAOPS000000000000\naws_secret_access_key = s2\n",
        )
        .unwrap();

        let keys = read_profile(&path, "ops").unwrap();

        assert_eq!(keys.access_key_id, "AKIAOPS000000000000");
        assert_eq!(keys.secret_access_key.expose(), "s2");
    }

    #[test]
    fn profile_without_keys_refused_without_showing_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "[ops]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = s3cr3t\n",
        )
        .unwrap();

        let error = read_profile(&path, "ops").unwrap_err();

        assert!(error.contains("needs aws_access_key_id"), "{error}");
        assert!(!error.contains("s3cr3t"));
        assert!(
            read_profile(&path, "missing")
                .unwrap_err()
                .contains("no [missing] profile")
        );
    }
}
