//! Instance settings beyond the basics: metadata service options, EBS volumes mapped at launch,
//! and the console output.

use serde::Serialize;
use utoipa::ToSchema;

/// The instance metadata service (IMDS) settings of an instance, as EC2 reports them.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct MetadataOptions {
    /// `required` (IMDSv2 only: every request needs a session token) or `optional` (IMDSv1
    /// requests without a token are accepted too).
    pub http_tokens: Option<String>,
    /// How many network hops the PUT response that carries a session token may travel; 1 keeps
    /// it on the instance, 2 lets containers on the instance reach it.
    pub http_put_response_hop_limit: Option<i32>,
    /// `enabled` or `disabled`: whether the metadata service responds at all.
    pub http_endpoint: Option<String>,
    /// `pending` while a change is applied, then `applied`.
    pub state: Option<String>,
}

/// An EBS volume to create and attach at launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDeviceSpec {
    /// Device name on the instance, e.g. `/dev/sdf`; the image's root device name resizes the
    /// root volume.
    pub device_name: String,
    /// Size in GiB.
    pub volume_size: i32,
    /// EBS volume type, e.g. `gp3`.
    pub volume_type: String,
    pub delete_on_termination: bool,
    pub encrypted: bool,
}

/// An EBS volume attached to an instance.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct AttachedVolume {
    pub device_name: String,
    pub volume_id: Option<String>,
    /// `attaching`, `attached`, `detaching` or `detached`.
    pub status: Option<String>,
    /// Whether the volume is deleted when the instance terminates.
    pub delete_on_termination: Option<bool>,
    pub attached_at: Option<String>,
}

/// The serial console output EC2 kept for an instance.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct ConsoleOutput {
    pub instance_id: String,
    /// The output as text: EC2 sends it base64-encoded, and bytes that are not UTF-8 become
    /// U+FFFD. Empty when EC2 has no output yet.
    pub output: String,
    /// When EC2 last updated the output.
    pub updated_at: Option<String>,
}
