//! Authorization with oslo.policy semantics: the default rules registered in code
//! ([`defaults`]), overridden rule by rule by `[oslo_policy] policy_file` and `policy_dirs`,
//! and enforced by every handler with the target's project.

pub mod defaults;

use aws_hybrid_policy::{Decision, DenyReason, Enforcer, RuleDefault};
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::auth::RequestContext;
use crate::config::PolicyOpts;

pub use aws_hybrid_policy::PolicyError;

/// The rules in force: the defaults with the operator's overrides.
#[derive(Debug)]
pub struct Policy {
    enforcer: Enforcer,
}

/// Returns the defaults in the crate's form, for the enforcer and the sample file.
pub fn rule_defaults() -> Vec<RuleDefault> {
    defaults::RULES
        .iter()
        .map(|rule| RuleDefault {
            name: rule.name.to_owned(),
            check_str: rule.check.to_owned(),
            description: rule.description.to_owned(),
            operations: rule
                .operations
                .iter()
                .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
                .collect(),
            scope_types: if rule.operations.is_empty() {
                Vec::new()
            } else {
                vec!["project".to_owned()]
            },
        })
        .collect()
}

/// Renders the commented sample `policy.yaml`, as oslopolicy-sample-generator writes it.
pub fn sample() -> String {
    aws_hybrid_policy::sample_yaml(&rule_defaults())
}

impl Policy {
    /// Loads the policy files named by `[oslo_policy]`. Missing files mean the defaults apply;
    /// a malformed one is an error naming the file, the rule and the position.
    pub fn load(opts: &PolicyOpts) -> Result<Policy, PolicyError> {
        let enforcer =
            Enforcer::load(&rule_defaults(), Some(&opts.policy_file), &opts.policy_dirs)?;
        for warning in enforcer.warnings() {
            tracing::warn!("policy: {warning}");
        }
        Ok(Policy { enforcer })
    }

    /// Returns the enforcer, for status checks and tools.
    pub fn enforcer(&self) -> &Enforcer {
        &self.enforcer
    }

    /// Checks `rule` for the caller against a target in `project_id`. A denial is a 403
    /// (an authenticated caller the rules refuse) that names the rule.
    pub fn enforce(
        &self,
        rule: &str,
        context: &RequestContext,
        project_id: &str,
    ) -> Result<(), ApiError> {
        let target = json!({ "project_id": project_id, "user_id": context.user_id() });
        match self.enforcer.enforce(rule, &target, &credentials(context)) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => {
                tracing::info!(rule, reason = ?reason, "policy denied the request");
                let check = self.enforcer.rule_check(rule).map(ToString::to_string);
                Err(denied(rule, check.as_deref(), &reason))
            }
        }
    }
}

/// Builds the creds that oslo.policy services build from a request context.
fn credentials(context: &RequestContext) -> Value {
    let identity = &context.identity;
    json!({
        "user_id": identity.user_id,
        "user_domain_id": identity.user_domain_id,
        "project_id": identity.project_id,
        "project_domain_id": identity.project_domain_id,
        "domain_id": identity.domain_id,
        "system_scope": if identity.system_scope { Value::from("all") } else { Value::Null },
        "roles": identity.roles,
    })
}

fn denied(rule: &str, check: Option<&str>, reason: &DenyReason) -> ApiError {
    let why = match (reason, check) {
        (DenyReason::ScopeMismatch { token_scope, .. }, _) => {
            format!(
                " A {token_scope}-scoped token cannot be used for it; use a project-scoped token."
            )
        }
        (_, Some(check)) => format!(
            " The rule in force is \"{check}\"; the roles of your token in this project do not pass it. Ask the project or cloud administrator for a role that does."
        ),
        _ => String::new(),
    };
    ApiError::forbidden(
        "policy_not_authorized",
        format!("Policy does not allow {rule} to be performed.{why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::defaults::RULES;

    #[test]
    fn every_route_of_the_api_has_a_rule() {
        let unauthenticated = ["/", "/v1/", "/healthcheck", "/v1/openapi.json"];
        for (method, path) in crate::api::ROUTES {
            if unauthenticated.contains(path) || path.starts_with("/.well-known/") {
                continue;
            }
            let covered = RULES
                .iter()
                .any(|rule| rule.operations.contains(&(*method, *path)));
            assert!(covered, "{method} {path} has no rule");
        }
    }
}
