//! The security group operations of a cloud driver.

use async_trait::async_trait;

use super::{
    CloudError, RuleCreation, Scope, SecurityGroup, SecurityGroupFilter, SecurityGroupRuleSpec,
    SecurityGroupSpec,
};

/// Security groups of a project and their rules. Every method acts only on groups tagged with
/// `scope.project_id`, and reports any other group as not found.
#[async_trait]
pub trait SecurityGroupDriver: Send + Sync {
    /// List the project's security groups that match `filter`, with their rules, in ascending
    /// id order.
    async fn list_security_groups(
        &self,
        scope: Scope<'_>,
        filter: &SecurityGroupFilter,
    ) -> Result<Vec<SecurityGroup>, CloudError>;
    async fn get_security_group(
        &self,
        scope: Scope<'_>,
        id: &str,
    ) -> Result<SecurityGroup, CloudError>;
    /// Create a group, or return the project's group that carries the spec's idempotency
    /// token. A name already used in the VPC is a [`CloudError::Conflict`], and a VPC
    /// that does not exist is a [`CloudError::InvalidParameter`].
    async fn create_security_group(
        &self,
        scope: Scope<'_>,
        spec: &SecurityGroupSpec,
    ) -> Result<SecurityGroup, CloudError>;
    /// Delete a group. A group that instances or other groups' rules still use is a
    /// [`CloudError::Conflict`].
    async fn delete_security_group(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;
    /// Add one rule to group `group_id`. A `remote_group_id` must name a group of the project.
    async fn add_security_group_rule(
        &self,
        scope: Scope<'_>,
        group_id: &str,
        spec: &SecurityGroupRuleSpec,
    ) -> Result<RuleCreation, CloudError>;
    /// Remove rule `rule_id` from group `group_id`.
    async fn delete_security_group_rule(
        &self,
        scope: Scope<'_>,
        group_id: &str,
        rule_id: &str,
    ) -> Result<(), CloudError>;
}
