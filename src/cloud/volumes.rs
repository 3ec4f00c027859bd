//! The block storage operations of a cloud driver: volumes, their attachments to instances,
//! and snapshots.

use async_trait::async_trait;

use super::{
    CloudError, Scope, Snapshot, SnapshotFilter, SnapshotSpec, Volume, VolumeAction, VolumeFilter,
    VolumeSpec,
};

/// Volume and snapshot operations. Like every driver operation, they act only on resources
/// tagged with `scope.project_id` and report any other resource as not found.
#[async_trait]
pub trait VolumeDriver: Send + Sync {
    /// List every volume of the project that matches `filter`, in ascending id order.
    async fn list_volumes(
        &self,
        scope: Scope<'_>,
        filter: &VolumeFilter,
    ) -> Result<Vec<Volume>, CloudError>;
    async fn get_volume(&self, scope: Scope<'_>, id: &str) -> Result<Volume, CloudError>;
    /// Create a volume, or return the project's volume that carries the spec's idempotency
    /// token.
    async fn create_volume(
        &self,
        scope: Scope<'_>,
        spec: &VolumeSpec,
    ) -> Result<Volume, CloudError>;
    /// Attach the volume to an instance of the project, or detach it. An action whose result is
    /// already in place is a no-op.
    async fn volume_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: VolumeAction<'_>,
    ) -> Result<(), CloudError>;
    /// Delete a volume that no instance uses; one already being deleted is a no-op.
    async fn delete_volume(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;

    /// List every snapshot of the project that matches `filter`, in ascending id order.
    async fn list_snapshots(
        &self,
        scope: Scope<'_>,
        filter: &SnapshotFilter,
    ) -> Result<Vec<Snapshot>, CloudError>;
    async fn get_snapshot(&self, scope: Scope<'_>, id: &str) -> Result<Snapshot, CloudError>;
    /// Snapshot a volume of the project, or return the project's snapshot that carries the
    /// spec's idempotency token.
    async fn create_snapshot(
        &self,
        scope: Scope<'_>,
        spec: &SnapshotSpec,
    ) -> Result<Snapshot, CloudError>;
    async fn delete_snapshot(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;
}
