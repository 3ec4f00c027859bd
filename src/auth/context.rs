//! The caller's identity as Keystone reported it for the token, plus the request's ids.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The facts Keystone returned when it validated a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub user_id: String,
    pub user_name: String,
    pub user_domain_id: String,
    /// Set for project-scoped tokens only.
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub project_domain_id: Option<String>,
    /// Set for domain-scoped tokens only.
    pub domain_id: Option<String>,
    pub system_scope: bool,
    /// Role names, implied roles included, as Keystone lists them.
    pub roles: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

impl Identity {
    /// Check whether the token carries `role`, compared case-insensitively as oslo.policy does.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}

/// The context every authenticated handler receives.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub identity: Arc<Identity>,
    /// The project the token is scoped to; authentication rejects tokens without one.
    pub project_id: String,
    pub request_id: String,
    pub global_request_id: Option<String>,
}

impl RequestContext {
    pub fn user_id(&self) -> &str {
        &self.identity.user_id
    }
}
