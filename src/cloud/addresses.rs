//! The Elastic IP address operations of a cloud driver.

use async_trait::async_trait;

use super::{Address, AddressAction, AddressFilter, AddressSpec, CloudError, Scope};

/// Elastic IP operations. Like every driver operation, they act only on addresses tagged
/// with `scope.project_id` and report any other address as not found.
#[async_trait]
pub trait AddressDriver: Send + Sync {
    /// List every address of the project that matches `filter`, in ascending id order.
    async fn list_addresses(
        &self,
        scope: Scope<'_>,
        filter: &AddressFilter,
    ) -> Result<Vec<Address>, CloudError>;
    async fn get_address(&self, scope: Scope<'_>, id: &str) -> Result<Address, CloudError>;
    /// Allocate an address, or return the project's address that carries the spec's
    /// idempotency token.
    async fn allocate_address(
        &self,
        scope: Scope<'_>,
        spec: &AddressSpec,
    ) -> Result<Address, CloudError>;
    /// Associate the address with an instance or a network interface of the project, or
    /// disassociate it. An action whose result is already in place is a no-op.
    async fn address_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: AddressAction<'_>,
    ) -> Result<(), CloudError>;
    /// Release an address that is not associated.
    async fn release_address(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;
}
