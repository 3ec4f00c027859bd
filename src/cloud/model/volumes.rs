//! Block storage as the API shows it: volumes, their attachments, and snapshots.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    /// One of creating, available, in-use, deleting, deleted, error.
    pub state: String,
    /// Size in GiB.
    pub size: i32,
    /// One of gp2, gp3, io1, io2, st1, sc1, standard.
    pub volume_type: String,
    /// Provisioned IOPS for gp3, io1 and io2; the baseline IOPS for gp2.
    pub iops: Option<i32>,
    /// Provisioned throughput in MiB/s, for gp3 only.
    pub throughput: Option<i32>,
    pub encrypted: bool,
    pub availability_zone: String,
    /// The snapshot the volume was created from.
    pub snapshot_id: Option<String>,
    pub attachments: Vec<VolumeAttachment>,
    pub created_at: Option<String>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags; the service's own `aws-hybrid:` tags and `Name` are not repeated here.
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct VolumeAttachment {
    pub instance_id: String,
    /// Device name on the instance, such as `/dev/sdf`.
    pub device: String,
    /// One of attaching, attached, detaching, detached, busy.
    pub state: String,
    pub attached_at: Option<String>,
}

/// Filters for listing volumes; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct VolumeFilter {
    pub state: Option<String>,
    pub availability_zone: Option<String>,
    pub name: Option<String>,
}

/// A validated volume create request. The API layer resolves the size and the availability
/// zone, so every field the driver needs is set.
#[derive(Debug, Clone)]
pub struct VolumeSpec {
    pub name: Option<String>,
    pub size: i32,
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: bool,
    pub availability_zone: String,
    pub snapshot_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Sent as the EC2 `ClientToken`, so a retried create makes one volume.
    pub client_token: String,
    /// Set when the client sent an `Idempotency-Key`: the volume is tagged with it, and a
    /// volume of the project that already carries it is returned instead of a new one.
    pub idempotency_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeAction<'a> {
    Attach {
        instance_id: &'a str,
        device: &'a str,
    },
    Detach,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Snapshot {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// One of pending, completed, error, recoverable, recovering.
    pub state: String,
    /// Percentage of the snapshot copied so far, such as `100%`.
    pub progress: Option<String>,
    pub volume_id: Option<String>,
    /// Size in GiB of the volume the snapshot was taken from.
    pub volume_size: Option<i32>,
    pub encrypted: bool,
    pub started_at: Option<String>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags; the service's own `aws-hybrid:` tags and `Name` are not repeated here.
    pub tags: BTreeMap<String, String>,
}

/// Filters for listing snapshots; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    pub state: Option<String>,
    pub volume_id: Option<String>,
    pub name: Option<String>,
}

/// A validated snapshot create request.
#[derive(Debug, Clone)]
pub struct SnapshotSpec {
    pub volume_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Set when the client sent an `Idempotency-Key`; CreateSnapshot takes no client token,
    /// so the snapshot is tagged with it and found by that tag on a retry.
    pub idempotency_token: Option<String>,
}
