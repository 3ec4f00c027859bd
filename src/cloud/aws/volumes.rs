//! EBS volumes and their attachments, confined to the calling project by the
//! `aws-hybrid:project-id` tag.

use aws_sdk_ec2::operation::create_volume::CreateVolumeOutput;
use aws_sdk_ec2::operation::describe_volumes::DescribeVolumesOutput;
use aws_sdk_ec2::primitives::DateTimeFormat;
use std::collections::BTreeMap;

use aws_sdk_ec2::types::{self as ec2, ResourceType, Tag, TagSpecification};

use async_trait::async_trait;

use super::AwsDriver;
use super::errors::{from_sdk, none_if_not_found};
use super::pages::collect_pages;
use super::tags::{self, Ownership, filter, owned_by_scope, tag_filter};
use super::{instances, snapshots};
use crate::cloud::volumes::VolumeDriver;
use crate::cloud::{
    CloudError, Scope, Snapshot, SnapshotFilter, SnapshotSpec, TAG_IDEMPOTENCY_TOKEN,
    TAG_PROJECT_ID, Volume, VolumeAction, VolumeAttachment, VolumeFilter, VolumeSpec,
};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 10_000;

/// Return the conflict error of a request that the current state of a resource does not
/// allow. `reason` is `in_use` or `invalid_state`, or `device_in_use` for a device name that
/// another volume holds.
pub(super) fn conflict(
    resource: &'static str,
    reason: &'static str,
    message: String,
) -> CloudError {
    CloudError::Conflict {
        resource,
        reason,
        message,
    }
}

/// Build the EC2 filter that keeps only the resources of the scope's project.
pub(super) fn project_filter(scope: Scope<'_>) -> ec2::Filter {
    tag_filter(TAG_PROJECT_ID, scope.project_id)
}

/// Build the EC2 filter that finds the resource created with an idempotency token.
pub(super) fn token_filter(token: &str) -> ec2::Filter {
    tag_filter(TAG_IDEMPOTENCY_TOKEN, token)
}

/// Build the tags of a new volume, snapshot or address: the service's tags, `Name` when the
/// request names the resource, and the user's tags.
pub(super) fn creation_tags(
    kind: ResourceType,
    scope: Scope<'_>,
    name: Option<&str>,
    user_tags: &BTreeMap<String, String>,
    idempotency_token: Option<&str>,
) -> TagSpecification {
    let mut all = user_tags.clone();
    if let Some(name) = name {
        all.insert("Name".to_owned(), name.to_owned());
    }
    tags::tag_specification(kind, &tags::creation_tags(scope, idempotency_token, &all))
}

/// Read a resource's tags: the service's ones, the `Name` tag, and the user's other tags.
pub(super) fn read_tags(source: &[Tag]) -> (Ownership, Option<String>) {
    let mut ownership = Ownership::read(source);
    let name = ownership.user_tags.remove("Name");
    (ownership, name)
}

pub(super) async fn list(
    driver: &AwsDriver,
    scope: Scope<'_>,
    criteria: &VolumeFilter,
) -> Result<Vec<Volume>, CloudError> {
    let mut filters = vec![project_filter(scope)];
    if let Some(state) = &criteria.state {
        filters.push(filter("status", state));
    }
    if let Some(zone) = &criteria.availability_zone {
        filters.push(filter("availability-zone", zone));
    }
    if let Some(name) = &criteria.name {
        filters.push(filter("tag:Name", name));
    }
    let mut volumes = describe(driver, scope, filters).await?;
    // EC2 already filtered by the project tag; checking again costs nothing and keeps the
    // isolation independent of how an endpoint implements tag filters.
    volumes.retain(|v| v.project_id == scope.project_id);
    volumes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(volumes)
}

/// Walk DescribeVolumes with `filters` to the last page.
async fn describe(
    driver: &AwsDriver,
    scope: Scope<'_>,
    filters: Vec<ec2::Filter>,
) -> Result<Vec<Volume>, CloudError> {
    let client = driver.client(scope).await?;
    collect_pages(
        "DescribeVolumes",
        MAX_PAGES,
        |token| {
            client
                .describe_volumes()
                .set_filters(Some(filters.clone()))
                .max_results(500)
                .set_next_token(token)
                .send()
        },
        |page| page.volumes().iter().map(|v| convert(v, scope)).collect(),
        DescribeVolumesOutput::next_token,
    )
    .await
}

/// Describe one volume of the project; a volume of another project is not found.
pub(super) async fn get(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<Volume, CloudError> {
    driver.lookup(id, || get_once(driver, scope, id)).await
}

async fn get_once(driver: &AwsDriver, scope: Scope<'_>, id: &str) -> Result<Volume, CloudError> {
    let result = driver
        .client(scope)
        .await?
        .describe_volumes()
        .volume_ids(id)
        .send()
        .await;
    let found = none_if_not_found("DescribeVolumes", result, |output| {
        output
            .volumes()
            .iter()
            .find(|v| v.volume_id() == Some(id))
            .map(|v| convert(v, scope))
    })?;
    owned_by_scope(found, |v| &v.project_id, scope, "volume", id)
}

pub(super) async fn create(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &VolumeSpec,
) -> Result<Volume, CloudError> {
    if let Some(token) = &spec.idempotency_token {
        let filters = vec![project_filter(scope), token_filter(token)];
        if let Some(existing) = describe(driver, scope, filters).await?.into_iter().next() {
            tracing::info!(volume_id = %existing.id, "idempotent retry; returning the volume of the first request");
            return Ok(existing);
        }
    }
    if let Some(snapshot_id) = &spec.snapshot_id {
        check_source_snapshot(driver, scope, snapshot_id, spec.size).await?;
    }

    let volume_type = ec2::VolumeType::from(spec.volume_type.as_str());
    let output = driver
        .client(scope)
        .await?
        .create_volume()
        .availability_zone(&spec.availability_zone)
        .size(spec.size)
        .volume_type(volume_type)
        .set_iops(spec.iops)
        .set_throughput(spec.throughput)
        .encrypted(spec.encrypted)
        .set_snapshot_id(spec.snapshot_id.clone())
        .client_token(&spec.client_token)
        .tag_specifications(creation_tags(
            ResourceType::Volume,
            scope,
            spec.name.as_deref(),
            &spec.tags,
            spec.idempotency_token.as_deref(),
        ))
        .send()
        .await
        .map_err(|e| from_sdk("CreateVolume", e))?;

    let mut volume = convert(&created_volume(output), scope);
    // The create response may omit the tags, so they are taken from the request.
    volume.project_id = scope.project_id.to_owned();
    volume.user_id = Some(scope.user_id.to_owned());
    volume.name = spec.name.clone();
    volume.tags = spec.tags.clone();
    tracing::info!(volume_id = %volume.id, size = spec.size, volume_type = %spec.volume_type, "created volume");
    driver.note_created(&volume.id);
    Ok(volume)
}

/// Check that the volume's source snapshot belongs to the project and fits in `size` GiB.
/// Both are faults of the request body, so both are invalid parameters, never a 404.
async fn check_source_snapshot(
    driver: &AwsDriver,
    scope: Scope<'_>,
    snapshot_id: &str,
    size: i32,
) -> Result<(), CloudError> {
    let snapshot = match snapshots::get(driver, scope, snapshot_id).await {
        Ok(snapshot) => snapshot,
        Err(CloudError::NotFound { .. }) => {
            return Err(CloudError::InvalidParameter {
                field: "snapshot_id".into(),
                message: format!("the project has no snapshot {snapshot_id} in this region"),
            });
        }
        Err(other) => return Err(other),
    };
    match snapshot.volume_size {
        Some(minimum) if size < minimum => Err(CloudError::InvalidParameter {
            field: "size".into(),
            message: format!(
                "{size} GiB is smaller than snapshot {snapshot_id}, which needs at least {minimum} GiB"
            ),
        }),
        _ => Ok(()),
    }
}

/// Copy the fields of a CreateVolume response into EC2's volume type, so that one
/// conversion serves both.
fn created_volume(output: CreateVolumeOutput) -> ec2::Volume {
    ec2::Volume::builder()
        .set_volume_id(output.volume_id)
        .set_size(output.size)
        .set_snapshot_id(output.snapshot_id)
        .set_availability_zone(output.availability_zone)
        .set_state(output.state)
        .set_create_time(output.create_time)
        .set_attachments(output.attachments)
        .set_encrypted(output.encrypted)
        .set_volume_type(output.volume_type)
        .set_iops(output.iops)
        .set_throughput(output.throughput)
        .set_tags(output.tags)
        .build()
}

pub(super) async fn act(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
    action: VolumeAction<'_>,
) -> Result<(), CloudError> {
    let volume = get(driver, scope, id).await?;
    match action {
        VolumeAction::Attach {
            instance_id,
            device,
        } => attach(driver, scope, &volume, instance_id, device).await,
        VolumeAction::Detach => detach(driver, scope, &volume).await,
    }
}

/// Return the attachment in effect now, if any. EC2 may still list a `detached` one.
fn current_attachment(volume: &Volume) -> Option<&VolumeAttachment> {
    volume.attachments.iter().find(|a| a.state != "detached")
}

async fn attach(
    driver: &AwsDriver,
    scope: Scope<'_>,
    volume: &Volume,
    instance_id: &str,
    device: &str,
) -> Result<(), CloudError> {
    if let Some(current) = current_attachment(volume) {
        if current.instance_id == instance_id && current.device == device {
            tracing::info!(volume_id = %volume.id, instance_id, device, "volume already attached; nothing to do");
            return Ok(());
        }
        return Err(conflict(
            "volume",
            "in_use",
            format!(
                "Volume {} is attached to instance {} as {}; detach it first.",
                volume.id, current.instance_id, current.device
            ),
        ));
    }
    if volume.state != "available" {
        return Err(conflict(
            "volume",
            "invalid_state",
            format!(
                "Cannot attach volume {} while it is {}; wait until it is available.",
                volume.id, volume.state
            ),
        ));
    }
    let instance = match instances::get(driver, scope, instance_id).await {
        Ok(instance) => instance,
        Err(CloudError::NotFound { .. }) => {
            return Err(CloudError::InvalidParameter {
                field: "instance_id".into(),
                message: format!("the project has no instance {instance_id} in this region"),
            });
        }
        Err(other) => return Err(other),
    };
    if !matches!(instance.state.as_str(), "running" | "stopped") {
        return Err(conflict(
            "instance",
            "invalid_state",
            format!(
                "Cannot attach a volume to instance {instance_id} while it is {}; EC2 attaches volumes only to running or stopped instances.",
                instance.state
            ),
        ));
    }
    if instance.availability_zone.as_deref() != Some(volume.availability_zone.as_str()) {
        return Err(CloudError::InvalidParameter {
            field: "instance_id".into(),
            message: format!(
                "instance {instance_id} is in availability zone {}, but volume {} is in {}; EC2 attaches a volume only to an instance of its own zone",
                instance.availability_zone.as_deref().unwrap_or("unknown"),
                volume.id,
                volume.availability_zone
            ),
        });
    }
    check_device_free(driver, scope, instance_id, device).await?;
    let result = driver
        .client(scope)
        .await?
        .attach_volume()
        .volume_id(&volume.id)
        .instance_id(instance_id)
        .device(device)
        .send()
        .await
        .map_err(|e| from_sdk("AttachVolume", e));
    match result {
        Ok(_) => {
            tracing::info!(volume_id = %volume.id, instance_id, device, "attaching volume");
            Ok(())
        }
        Err(error) => {
            Err(state_error_with_current(driver, scope, &volume.id, "attach", error).await)
        }
    }
}

/// Check that no volume is attached to the instance as `device`. The emulator would replace
/// such an attachment, and EC2 rejects it with a message that does not name the volume.
async fn check_device_free(
    driver: &AwsDriver,
    scope: Scope<'_>,
    instance_id: &str,
    device: &str,
) -> Result<(), CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_volumes()
        .filters(filter("attachment.instance-id", instance_id))
        .filters(filter("attachment.device", device))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeVolumes", e))?;
    if output.volumes().is_empty() {
        return Ok(());
    }
    Err(conflict(
        "volume",
        "device_in_use",
        format!(
            "Instance {instance_id} already has a volume attached as {device}; choose another device name."
        ),
    ))
}

async fn detach(driver: &AwsDriver, scope: Scope<'_>, volume: &Volume) -> Result<(), CloudError> {
    let Some(current) = current_attachment(volume) else {
        tracing::info!(volume_id = %volume.id, "volume not attached; nothing to do");
        return Ok(());
    };
    if current.state == "detaching" {
        tracing::info!(volume_id = %volume.id, "volume already detaching; nothing to do");
        return Ok(());
    }
    // moto 5.2.5 fails with HTTP 500 on a DetachVolume that names only the volume, so the
    // call always carries the instance and the device too, which EC2 accepts as well.
    let result = driver
        .client(scope)
        .await?
        .detach_volume()
        .volume_id(&volume.id)
        .instance_id(&current.instance_id)
        .device(&current.device)
        .send()
        .await
        .map_err(|e| from_sdk("DetachVolume", e));
    match result {
        Ok(_) => {
            tracing::info!(volume_id = %volume.id, instance_id = %current.instance_id, device = %current.device, "detaching volume");
            Ok(())
        }
        Err(error) => {
            Err(state_error_with_current(driver, scope, &volume.id, "detach", error).await)
        }
    }
}

pub(super) async fn delete(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<(), CloudError> {
    let volume = get(driver, scope, id).await?;
    if matches!(volume.state.as_str(), "deleting" | "deleted") {
        tracing::info!(volume_id = id, state = %volume.state, "volume already being deleted; nothing to do");
        return Ok(());
    }
    if let Some(current) = current_attachment(&volume) {
        return Err(conflict(
            "volume",
            "in_use",
            format!(
                "Volume {id} is in use: it is attached to instance {} as {}; detach it first.",
                current.instance_id, current.device
            ),
        ));
    }
    let result = driver
        .client(scope)
        .await?
        .delete_volume()
        .volume_id(id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteVolume", e));
    match result {
        Ok(_) => {
            tracing::info!(volume_id = id, "deleting volume");
            Ok(())
        }
        Err(error) => Err(state_error_with_current(driver, scope, id, "delete", error).await),
    }
}

/// Turn an EC2 state error of a volume call into a conflict that names the state EC2 has
/// now, read back from EC2, since EC2 saw another state than the check before the call.
async fn state_error_with_current(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
    action: &str,
    error: CloudError,
) -> CloudError {
    if !matches!(
        error,
        CloudError::InvalidState { .. } | CloudError::Conflict { .. }
    ) {
        return error;
    }
    match get(driver, scope, id).await {
        Ok(current) => conflict(
            "volume",
            "invalid_state",
            format!(
                "Cannot {action} volume {id} while it is {}; EC2 rejected the request.",
                current.state
            ),
        ),
        Err(other) => other,
    }
}

pub(super) fn convert(source: &ec2::Volume, scope: Scope<'_>) -> Volume {
    let (tags, name) = read_tags(source.tags());
    Volume {
        id: source.volume_id().unwrap_or_default().to_owned(),
        name,
        state: source
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "creating".into()),
        size: source.size().unwrap_or_default(),
        volume_type: source
            .volume_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        iops: source.iops(),
        throughput: source.throughput(),
        encrypted: source.encrypted().unwrap_or(false),
        availability_zone: source.availability_zone().unwrap_or_default().to_owned(),
        snapshot_id: source
            .snapshot_id()
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
        attachments: source
            .attachments()
            .iter()
            .map(|a| VolumeAttachment {
                instance_id: a.instance_id().unwrap_or_default().to_owned(),
                device: a.device().unwrap_or_default().to_owned(),
                state: a.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                attached_at: a
                    .attach_time()
                    .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
            })
            .collect(),
        created_at: source
            .create_time()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        region: scope.region.to_owned(),
        project_id: tags.project_id,
        user_id: tags.user_id,
        tags: tags.user_tags,
    }
}

#[async_trait]
impl VolumeDriver for AwsDriver {
    async fn list_volumes(
        &self,
        scope: Scope<'_>,
        filter: &VolumeFilter,
    ) -> Result<Vec<Volume>, CloudError> {
        list(self, scope, filter).await
    }

    async fn get_volume(&self, scope: Scope<'_>, id: &str) -> Result<Volume, CloudError> {
        get(self, scope, id).await
    }

    async fn create_volume(
        &self,
        scope: Scope<'_>,
        spec: &VolumeSpec,
    ) -> Result<Volume, CloudError> {
        create(self, scope, spec).await
    }

    async fn volume_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: VolumeAction<'_>,
    ) -> Result<(), CloudError> {
        act(self, scope, id, action).await
    }

    async fn delete_volume(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        delete(self, scope, id).await
    }

    async fn list_snapshots(
        &self,
        scope: Scope<'_>,
        filter: &SnapshotFilter,
    ) -> Result<Vec<Snapshot>, CloudError> {
        snapshots::list(self, scope, filter).await
    }

    async fn get_snapshot(&self, scope: Scope<'_>, id: &str) -> Result<Snapshot, CloudError> {
        snapshots::get(self, scope, id).await
    }

    async fn create_snapshot(
        &self,
        scope: Scope<'_>,
        spec: &SnapshotSpec,
    ) -> Result<Snapshot, CloudError> {
        snapshots::create(self, scope, spec).await
    }

    async fn delete_snapshot(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        snapshots::delete(self, scope, id).await
    }
}
