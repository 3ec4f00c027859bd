//! The [`Project`] extractor: who calls, for which project, in which AWS region, and the rules
//! and tenant mapping in force when the request arrived.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use super::SharedState;
use super::error::ApiError;
use crate::auth::RequestContext;
use crate::cloud::Scope;
use crate::config::options::is_aws_region;
use crate::policy::Policy;
use crate::tenancy::{TenantEntry, TenantMap};

/// Request header that picks one of the project's allowed AWS regions.
pub const REGION_HEADER: &str = "AWS-Hybrid-Region";

/// An authenticated request of a project that is mapped to an AWS account.
///
/// It contains the tenant mapping and the policy as they were when the request arrived, so a
/// reload (SIGHUP) never changes them under a request in flight.
pub struct Project {
    pub context: RequestContext,
    tenants: Arc<TenantMap>,
    policy: Arc<Policy>,
    region: String,
    _change: Option<Change>,
}

/// A request that may change the project's resources. The lists kept for the project's next
/// pages are dropped when it starts and again when it ends, so that no page after a change
/// comes from a list read before the change finished.
struct Change {
    state: SharedState,
    project_id: String,
}

impl Change {
    fn begin(parts: &Parts, state: &SharedState, project_id: &str) -> Option<Change> {
        if parts.method == Method::GET || parts.method == Method::HEAD {
            return None;
        }
        state.cursors.forget_project(project_id);
        Some(Change {
            state: state.clone(),
            project_id: project_id.to_owned(),
        })
    }
}

impl Drop for Change {
    fn drop(&mut self) {
        self.state.cursors.forget_project(&self.project_id);
    }
}

impl FromRequestParts<SharedState> for Project {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let context = RequestContext::from_request_parts(parts, state).await?;
        let tenants = state.tenants();
        let policy = state.policy();
        let tenant = tenant_of(&tenants, &context.project_id)?;
        let requested = parts
            .headers
            .get(REGION_HEADER)
            .map(|value| value.to_str().unwrap_or("\u{fffd}").trim().to_owned());
        let region = choose_region(tenant, requested)?;
        let change = Change::begin(parts, state, &context.project_id);
        Ok(Project {
            context,
            tenants,
            policy,
            region,
            _change: change,
        })
    }
}

impl Project {
    /// Returns the project's mapping entry.
    pub fn tenant(&self) -> &TenantEntry {
        self.tenants
            .get(&self.context.project_id)
            .expect("the extractor checked that the project is mapped")
    }

    /// Returns the cloud scope of the request: the project's account in the chosen region.
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            project_id: &self.context.project_id,
            user_id: self.context.user_id(),
            request_id: &self.context.request_id,
            tenant: self.tenant(),
            region: &self.region,
        }
    }

    /// Returns the scope of another mapped project in the same region, for administrators'
    /// listings.
    pub fn scope_of<'a>(&'a self, project_id: &'a str) -> Result<Scope<'a>, ApiError> {
        let tenant = tenant_of(&self.tenants, project_id)?;
        let region = if tenant.allowed_regions.contains(&self.region) {
            &self.region
        } else {
            &tenant.region
        };
        Ok(Scope {
            project_id,
            user_id: self.context.user_id(),
            request_id: &self.context.request_id,
            tenant,
            region,
        })
    }

    /// Lists every mapped project ID.
    pub fn mapped_projects(&self) -> impl Iterator<Item = &str> {
        self.tenants.project_ids()
    }

    /// Checks `rule` with the caller's own project as the target.
    pub fn enforce(&self, rule: &str) -> Result<(), ApiError> {
        self.policy
            .enforce(rule, &self.context, &self.context.project_id)
    }

    /// Checks `rule` with `project_id` as the target's project.
    pub fn enforce_for(&self, rule: &str, project_id: &str) -> Result<(), ApiError> {
        self.policy.enforce(rule, &self.context, project_id)
    }
}

fn tenant_of<'a>(tenants: &'a TenantMap, project_id: &str) -> Result<&'a TenantEntry, ApiError> {
    tenants.get(project_id).ok_or_else(|| {
        ApiError::forbidden(
            "project_not_mapped",
            format!(
                "Project {project_id} is not mapped to an AWS account; ask the cloud administrator to add it to the tenant mapping file."
            ),
        )
    })
}

/// Picks the region of the request: the one the header names, if the project may use it,
/// else the project's default region.
fn choose_region(tenant: &TenantEntry, requested: Option<String>) -> Result<String, ApiError> {
    let Some(region) = requested else {
        return Ok(tenant.region.clone());
    };
    if !is_aws_region(&region) {
        return Err(ApiError::bad_request(
            "invalid_region",
            format!(
                "The {REGION_HEADER} header {region:?} is not an AWS region name; use one of {} or leave the header out for {}.",
                tenant.allowed_regions.join(", "),
                tenant.region
            ),
        ));
    }
    if !tenant.allowed_regions.contains(&region) {
        return Err(ApiError::forbidden(
            "region_not_allowed",
            format!(
                "This project may not use region {region}; allowed regions: {}. Ask the cloud administrator to add it to allowed_regions.",
                tenant.allowed_regions.join(", ")
            ),
        ));
    }
    Ok(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::TenantMap;

    fn tenant() -> TenantEntry {
        let text = "[project:p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                    aws_secret_access_key = x\nregion = eu-west-1\n\
                    allowed_regions = eu-west-1, us-east-1\n";
        TenantMap::parse(text, "t", "us-east-1")
            .unwrap()
            .get("p")
            .unwrap()
            .clone()
    }

    #[test]
    fn no_header_means_the_default_region() {
        assert_eq!(choose_region(&tenant(), None).unwrap(), "eu-west-1");
    }

    #[test]
    fn allowed_region_chosen() {
        let region = choose_region(&tenant(), Some("us-east-1".into())).unwrap();

        assert_eq!(region, "us-east-1");
    }

    #[test]
    fn other_region_forbidden_naming_the_allowed_ones() {
        let error = choose_region(&tenant(), Some("ap-south-1".into())).unwrap_err();

        assert_eq!(error.status.as_u16(), 403);
        assert!(
            error.detail.contains("eu-west-1, us-east-1"),
            "{}",
            error.detail
        );
    }

    #[test]
    fn malformed_region_is_a_bad_request() {
        let error = choose_region(&tenant(), Some("mars".into())).unwrap_err();

        assert_eq!(error.status.as_u16(), 400);
        assert!(error.detail.contains("\"mars\""), "{}", error.detail);
    }
}
