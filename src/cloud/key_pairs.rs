//! The key pair operations of a cloud driver.

use async_trait::async_trait;

use super::{CloudError, KeyPair, KeyPairFilter, KeyPairSpec, NewKeyPair, Scope};

/// Key pairs of a project. Every method acts only on key pairs tagged with
/// `scope.project_id`, and reports any other key pair as not found.
#[async_trait]
pub trait KeyPairDriver: Send + Sync {
    /// List the project's key pairs that match `filter`, in ascending name order.
    async fn list_key_pairs(
        &self,
        scope: Scope<'_>,
        filter: &KeyPairFilter,
    ) -> Result<Vec<KeyPair>, CloudError>;
    async fn get_key_pair(&self, scope: Scope<'_>, name: &str) -> Result<KeyPair, CloudError>;
    /// Have the cloud generate a key pair, or import `spec.public_key` when it is set. When a
    /// key pair of the project carries the spec's idempotency token, return it instead, without
    /// a private key. A name already used in the account and region is a
    /// [`CloudError::Conflict`].
    async fn create_key_pair(
        &self,
        scope: Scope<'_>,
        spec: &KeyPairSpec,
    ) -> Result<NewKeyPair, CloudError>;
    async fn delete_key_pair(&self, scope: Scope<'_>, name: &str) -> Result<(), CloudError>;
}
