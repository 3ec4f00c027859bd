//! Default authorization rules, one named rule per operation, in the secure-RBAC personas:
//! a project reader reads, a project member also creates, acts and deletes, admin does all.
//!
//! TODO: replace with the oslo.policy-compatible engine and `policy.yaml` overrides; until
//! then these defaults cannot be changed by the operator.

use super::context::RequestContext;
use crate::api::error::ApiError;

/// What an operation does, which decides the roles it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    fn roles(self) -> &'static [&'static str] {
        match self {
            Access::Read => &["reader", "member", "admin"],
            Access::Write => &["member", "admin"],
        }
    }
}

/// Check `rule` (e.g. `aws-hybrid:instance:create`) for the caller; a denial is a 403 that
/// names the rule and the roles it needs.
pub fn enforce(context: &RequestContext, rule: &str, access: Access) -> Result<(), ApiError> {
    let roles = access.roles();
    if roles.iter().any(|role| context.identity.has_role(role)) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "policy_not_authorized",
        format!(
            "Policy does not allow {rule} to be performed: it needs one of the roles {} in project {}.",
            roles.join(", "),
            context.project_id
        ),
    ))
}
