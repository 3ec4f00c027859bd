//! Cloud drivers: the trait the API calls, and the registry that picks a driver by the name in
//! `[DEFAULT] cloud_driver`, the way oslo services load drivers by name.

pub mod aws;
pub mod error;
pub mod model;

use std::sync::Arc;

use async_trait::async_trait;

pub use error::CloudError;
pub use model::*;

use crate::config::Config;
use crate::tenancy::TenantEntry;

/// Tag keys with this prefix belong to the service; users may not set them.
pub const TAG_PREFIX: &str = "aws-hybrid:";
pub const TAG_PROJECT_ID: &str = "aws-hybrid:project-id";
pub const TAG_USER_ID: &str = "aws-hybrid:user-id";
pub const TAG_REQUEST_ID: &str = "aws-hybrid:request-id";

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
pub trait CloudDriver: Send + Sync {
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

    /// Versions of the client libraries in use, for the service's version report.
    fn versions(&self) -> Vec<(&'static str, &'static str)>;
}

/// Error raised when `[DEFAULT] cloud_driver` names no known driver.
#[derive(Debug, thiserror::Error)]
#[error("[DEFAULT] cloud_driver: unknown driver {0:?}; known drivers: aws")]
pub struct UnknownDriver(pub String);

/// Build the driver named in the configuration.
pub fn load_driver(config: &Config) -> Result<Arc<dyn CloudDriver>, UnknownDriver> {
    match config.default.cloud_driver.as_str() {
        "aws" => Ok(Arc::new(aws::AwsDriver::new(&config.aws))),
        other => Err(UnknownDriver(other.to_owned())),
    }
}
