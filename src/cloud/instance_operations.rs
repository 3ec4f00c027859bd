//! Instance operations beyond launch, the power actions and terminate: resize and console
//! output.

use async_trait::async_trait;

use super::{CloudError, ConsoleOutput, Scope};

/// Operations on one instance of the project; an instance of another project is not found.
#[async_trait]
pub trait InstanceOperationsDriver: Send + Sync {
    /// Change the instance type of a stopped instance. The same type again is a no-op; any
    /// state but `stopped` is a [`CloudError::InvalidState`] naming it.
    async fn resize_instance(
        &self,
        scope: Scope<'_>,
        id: &str,
        instance_type: &str,
    ) -> Result<(), CloudError>;
    /// Return the instance's console output, decoded.
    async fn console_output(&self, scope: Scope<'_>, id: &str)
    -> Result<ConsoleOutput, CloudError>;
}
