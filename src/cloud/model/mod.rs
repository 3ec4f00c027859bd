//! Cloud resources as the API shows them, independent of any one cloud's SDK types.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

mod images;
pub use images::*;
mod key_pairs;
pub use key_pairs::*;
mod instance_options;
pub use instance_options::*;
mod networks;
pub use networks::*;
mod security_groups;
pub use security_groups::*;
mod volumes;
pub use volumes::*;
mod addresses;
pub use addresses::*;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Instance {
    pub id: String,
    pub name: Option<String>,
    /// One of pending, running, stopping, stopped, shutting-down, terminated.
    pub state: String,
    pub instance_type: String,
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    pub availability_zone: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub public_ip_address: Option<String>,
    pub security_group_ids: Vec<String>,
    pub launched_at: Option<String>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags; the service's own `aws-hybrid:` tags and `Name` are not repeated here.
    pub tags: BTreeMap<String, String>,
    /// The instance metadata service settings; None when EC2 does not report them.
    pub metadata_options: Option<MetadataOptions>,
    /// The EBS volumes attached to the instance, in device name order.
    pub block_device_mappings: Vec<AttachedVolume>,
}

/// Filters for listing instances; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub state: Option<String>,
    pub name: Option<String>,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
}

/// A validated launch request.
#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    pub name: Option<String>,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub security_group_ids: Vec<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    pub count: i32,
    /// Base64, as EC2 and Nova take it.
    pub user_data: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Makes a retried launch idempotent; derived from the request id.
    pub client_token: String,
    /// EBS volumes to create and attach; empty to keep the image's own mappings.
    pub block_device_mappings: Vec<BlockDeviceSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAction {
    Start,
    Stop,
    Reboot,
}

impl InstanceAction {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceAction::Start => "start",
            InstanceAction::Stop => "stop",
            InstanceAction::Reboot => "reboot",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Region {
    pub name: String,
    pub endpoint: Option<String>,
    /// Whether the caller's project may use this region.
    pub allowed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct AvailabilityZone {
    pub name: String,
    pub zone_id: Option<String>,
    pub state: Option<String>,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct InstanceType {
    pub name: String,
    pub vcpus: Option<i32>,
    pub memory_mib: Option<i64>,
    pub architectures: Vec<String>,
    pub current_generation: Option<bool>,
    pub ena_support: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub architecture: Option<String>,
    pub platform: Option<String>,
    pub root_device_type: Option<String>,
    pub virtualization_type: Option<String>,
    pub ena_support: Option<bool>,
    pub created_at: Option<String>,
    pub public: Option<bool>,
    /// The project that created the image through the service; None for every other image.
    pub project_id: Option<String>,
    /// The user's tags; the service's own `aws-hybrid:` tags are not repeated here.
    pub tags: BTreeMap<String, String>,
}

/// Image list filter: `owner` is `self` (the default), `amazon`, or an account id.
#[derive(Debug, Clone, Default)]
pub struct ImageFilter {
    pub owner: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub architecture: Option<String>,
}
