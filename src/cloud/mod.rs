//! Cloud drivers: the trait the API calls, and the registry that picks a driver by the name in
//! `[DEFAULT] cloud_driver`, the way oslo services load drivers by name.

pub mod addresses;
pub mod aws;
pub mod error;
pub mod images;
pub mod instance_operations;
pub mod key_pairs;
pub mod model;
pub mod networks;
pub mod security_groups;
pub mod volumes;

use std::sync::Arc;

use async_trait::async_trait;

pub use error::CloudError;
pub use model::*;

use crate::config::Config;
use crate::oidc::Signer;
use crate::tenancy::TenantEntry;

/// Tag keys with this prefix belong to the service; users may not set them.
pub const TAG_PREFIX: &str = "aws-hybrid:";
pub const TAG_PROJECT_ID: &str = "aws-hybrid:project-id";
pub const TAG_USER_ID: &str = "aws-hybrid:user-id";
pub const TAG_REQUEST_ID: &str = "aws-hybrid:request-id";
/// Client token of the create that made a resource whose EC2 create call takes no client token.
pub const TAG_IDEMPOTENCY_TOKEN: &str = "aws-hybrid:idempotency-token";

/// On whose behalf, with which cloud account and in which region a call is made.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub project_id: &'a str,
    pub user_id: &'a str,
    pub request_id: &'a str,
    pub tenant: &'a TenantEntry,
    pub region: &'a str,
}

/// Operations a cloud driver provides. Every method that touches project resources acts only on
/// resources tagged with `scope.project_id`, and reports any other resource as not found.
#[async_trait]
pub trait CloudDriver:
    Send
    + Sync
    + key_pairs::KeyPairDriver
    + volumes::VolumeDriver
    + addresses::AddressDriver
    + security_groups::SecurityGroupDriver
    + networks::NetworkDriver
    + images::ImageDriver
    + instance_operations::InstanceOperationsDriver
{
    /// List every instance of the project that matches `filter`, in ascending id order.
    async fn list_instances(
        &self,
        scope: Scope<'_>,
        filter: &InstanceFilter,
    ) -> Result<Vec<Instance>, CloudError>;
    async fn get_instance(&self, scope: Scope<'_>, id: &str) -> Result<Instance, CloudError>;
    async fn launch_instances(
        &self,
        scope: Scope<'_>,
        spec: &LaunchSpec,
    ) -> Result<Vec<Instance>, CloudError>;
    /// List the project's instances that a launch with `client_token` made, in ascending id
    /// order; empty when no launch used the token.
    async fn instances_launched_with(
        &self,
        scope: Scope<'_>,
        client_token: &str,
    ) -> Result<Vec<Instance>, CloudError>;
    /// Apply `action`. An action whose result state is already reached is a no-op.
    async fn instance_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: InstanceAction,
    ) -> Result<(), CloudError>;
    async fn terminate_instance(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;

    async fn list_regions(&self, scope: Scope<'_>) -> Result<Vec<Region>, CloudError>;
    async fn list_availability_zones(
        &self,
        scope: Scope<'_>,
    ) -> Result<Vec<AvailabilityZone>, CloudError>;
    /// List every instance type offered in the region, in ascending name order.
    async fn list_instance_types(
        &self,
        scope: Scope<'_>,
    ) -> Result<Arc<Vec<InstanceType>>, CloudError>;
    async fn list_images(
        &self,
        scope: Scope<'_>,
        filter: &ImageFilter,
    ) -> Result<Vec<Image>, CloudError>;
    async fn get_image(&self, scope: Scope<'_>, id: &str) -> Result<Image, CloudError>;
    /// Returns whether one of `owners` owns image `id`. Owners are account IDs or the aliases `self`,
    /// `amazon` and `aws-marketplace`.
    async fn image_owned_by(
        &self,
        scope: Scope<'_>,
        id: &str,
        owners: &[String],
    ) -> Result<bool, CloudError>;
    /// Returns the account ID and principal ARN of the scope's credentials, to check a mapping.
    async fn caller_identity(&self, scope: Scope<'_>) -> Result<(String, String), CloudError>;

    /// Drop cached clients and credentials, after the tenant mapping was reloaded.
    fn forget_credentials(&self);

    /// Versions of the client libraries in use, for the service's version report.
    fn versions(&self) -> Vec<(&'static str, &'static str)>;
}

/// Error raised when `[DEFAULT] cloud_driver` names no known driver.
#[derive(Debug, thiserror::Error)]
#[error("[DEFAULT] cloud_driver: unknown driver {0:?}; known drivers: aws")]
pub struct UnknownDriver(pub String);

/// Build the driver named in the configuration. `signer` signs the web identity tokens used to
/// assume roles when `[sts] credential_source` is `web_identity`.
pub fn load_driver(
    config: &Config,
    signer: Option<Arc<Signer>>,
) -> Result<Arc<dyn CloudDriver>, UnknownDriver> {
    match config.default.cloud_driver.as_str() {
        "aws" => {
            let identity = aws::credentials::sts_identity(&config.sts, signer);
            let sessions = aws::credentials::RoleSessions::new(&config.aws, &config.sts, identity);
            Ok(Arc::new(aws::AwsDriver::new(
                &config.aws,
                Arc::new(sessions),
            )))
        }
        other => Err(UnknownDriver(other.to_owned())),
    }
}
