//! The VPC and subnet reads of a cloud driver.

use async_trait::async_trait;

use super::{CloudError, Scope, Subnet, SubnetFilter, Vpc};

/// VPCs and subnets of the scope's account and region. They belong to the account, not to a
/// project, because the service never creates them. So every project mapped to the account
/// lists all of them, which it needs to pick a subnet for a launch.
#[async_trait]
pub trait NetworkDriver: Send + Sync {
    /// List every VPC of the account in the region, in ascending id order.
    async fn list_vpcs(&self, scope: Scope<'_>) -> Result<Vec<Vpc>, CloudError>;
    async fn get_vpc(&self, scope: Scope<'_>, id: &str) -> Result<Vpc, CloudError>;
    /// List every subnet of the account in the region that matches `filter`, in ascending id
    /// order.
    async fn list_subnets(
        &self,
        scope: Scope<'_>,
        filter: &SubnetFilter,
    ) -> Result<Vec<Subnet>, CloudError>;
    async fn get_subnet(&self, scope: Scope<'_>, id: &str) -> Result<Subnet, CloudError>;
}
