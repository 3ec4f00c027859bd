//! EBS snapshots, confined to the calling project by the `aws-hybrid:project-id` tag.

use aws_sdk_ec2::operation::create_snapshot::CreateSnapshotOutput;
use aws_sdk_ec2::operation::describe_snapshots::DescribeSnapshotsOutput;
use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::{self as ec2, ResourceType};

use super::AwsDriver;
use super::errors::{from_sdk, none_if_not_found};
use super::pages::collect_pages;
use super::tags::{filter, owned_by_scope};
use super::volumes::{self, conflict, creation_tags, project_filter, read_tags, token_filter};
use crate::cloud::{CloudError, Scope, Snapshot, SnapshotFilter, SnapshotSpec};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 10_000;

pub(super) async fn list(
    driver: &AwsDriver,
    scope: Scope<'_>,
    criteria: &SnapshotFilter,
) -> Result<Vec<Snapshot>, CloudError> {
    let mut filters = vec![project_filter(scope)];
    if let Some(state) = &criteria.state {
        filters.push(filter("status", state));
    }
    if let Some(volume_id) = &criteria.volume_id {
        filters.push(filter("volume-id", volume_id));
    }
    if let Some(name) = &criteria.name {
        filters.push(filter("tag:Name", name));
    }
    let mut snapshots = describe(driver, scope, filters).await?;
    // EC2 already filtered by the project tag; checking again keeps the isolation
    // independent of how an endpoint implements tag filters.
    snapshots.retain(|s| s.project_id == scope.project_id);
    snapshots.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(snapshots)
}

/// Walk DescribeSnapshots of the account's own snapshots with `filters` to the last page.
async fn describe(
    driver: &AwsDriver,
    scope: Scope<'_>,
    filters: Vec<ec2::Filter>,
) -> Result<Vec<Snapshot>, CloudError> {
    let client = driver.client(scope).await?;
    collect_pages(
        "DescribeSnapshots",
        MAX_PAGES,
        // Without an owner, EC2 also walks every public snapshot it may show the account.
        |token| {
            client
                .describe_snapshots()
                .owner_ids("self")
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.snapshots().iter().map(|s| convert(s, scope)).collect(),
        DescribeSnapshotsOutput::next_token,
    )
    .await
}

/// Describe one snapshot of the project; a snapshot of another project is not found.
pub(super) async fn get(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<Snapshot, CloudError> {
    driver.lookup(id, || get_once(driver, scope, id)).await
}

async fn get_once(driver: &AwsDriver, scope: Scope<'_>, id: &str) -> Result<Snapshot, CloudError> {
    let result = driver
        .client(scope)
        .await?
        .describe_snapshots()
        .snapshot_ids(id)
        .send()
        .await;
    let found = none_if_not_found("DescribeSnapshots", result, |output| {
        output
            .snapshots()
            .iter()
            .find(|s| s.snapshot_id() == Some(id))
            .map(|s| convert(s, scope))
    })?;
    owned_by_scope(found, |s| &s.project_id, scope, "snapshot", id)
}

pub(super) async fn create(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &SnapshotSpec,
) -> Result<Snapshot, CloudError> {
    // CreateSnapshot takes no client token, so a retried request is recognised by the tag.
    // NOTE: a retry that arrives before EC2 lists the first snapshot makes a second one.
    if let Some(token) = &spec.idempotency_token {
        let filters = vec![project_filter(scope), token_filter(token)];
        if let Some(existing) = describe(driver, scope, filters).await?.into_iter().next() {
            tracing::info!(snapshot_id = %existing.id, "idempotent retry; returning the snapshot of the first request");
            return Ok(existing);
        }
    }
    match volumes::get(driver, scope, &spec.volume_id).await {
        Ok(_) => {}
        Err(CloudError::NotFound { .. }) => {
            return Err(CloudError::InvalidParameter {
                field: "volume_id".into(),
                message: format!(
                    "the project has no volume {} in this region",
                    spec.volume_id
                ),
            });
        }
        Err(other) => return Err(other),
    }

    let output = driver
        .client(scope)
        .await?
        .create_snapshot()
        .volume_id(&spec.volume_id)
        .set_description(spec.description.clone())
        .tag_specifications(creation_tags(
            ResourceType::Snapshot,
            scope,
            spec.name.as_deref(),
            &spec.tags,
            spec.idempotency_token.as_deref(),
        ))
        .send()
        .await
        .map_err(|e| from_sdk("CreateSnapshot", e))?;

    let mut snapshot = convert(&created_snapshot(output), scope);
    // The create response may omit the tags, so they are taken from the request.
    snapshot.project_id = scope.project_id.to_owned();
    snapshot.user_id = Some(scope.user_id.to_owned());
    snapshot.name = spec.name.clone();
    snapshot.tags = spec.tags.clone();
    tracing::info!(snapshot_id = %snapshot.id, volume_id = %spec.volume_id, "creating snapshot");
    driver.note_created(&snapshot.id);
    Ok(snapshot)
}

/// Copy the fields of a CreateSnapshot response into EC2's snapshot type, so that one
/// conversion serves both.
fn created_snapshot(output: CreateSnapshotOutput) -> ec2::Snapshot {
    ec2::Snapshot::builder()
        .set_snapshot_id(output.snapshot_id)
        .set_volume_id(output.volume_id)
        .set_state(output.state)
        .set_start_time(output.start_time)
        .set_progress(output.progress)
        .set_description(output.description)
        .set_volume_size(output.volume_size)
        .set_encrypted(output.encrypted)
        .set_tags(output.tags)
        .build()
}

pub(super) async fn delete(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<(), CloudError> {
    get(driver, scope, id).await?;
    let result = driver
        .client(scope)
        .await?
        .delete_snapshot()
        .snapshot_id(id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteSnapshot", e));
    match result {
        Ok(_) => {
            tracing::info!(snapshot_id = id, "deleted snapshot");
            Ok(())
        }
        // EC2 refuses to delete a snapshot that an image uses.
        Err(CloudError::Conflict { .. } | CloudError::InvalidState { .. }) => Err(conflict(
            "snapshot",
            "in_use",
            format!("Snapshot {id} is in use by an image; deregister the image first."),
        )),
        Err(other) => Err(other),
    }
}

fn convert(source: &ec2::Snapshot, scope: Scope<'_>) -> Snapshot {
    let (tags, name) = read_tags(source.tags());
    Snapshot {
        id: source.snapshot_id().unwrap_or_default().to_owned(),
        name,
        description: source
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        state: source
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "pending".into()),
        progress: source.progress().map(str::to_owned),
        volume_id: source.volume_id().map(str::to_owned),
        volume_size: source.volume_size(),
        encrypted: source.encrypted().unwrap_or(false),
        started_at: source
            .start_time()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        region: scope.region.to_owned(),
        project_id: tags.project_id,
        user_id: tags.user_id,
        tags: tags.user_tags,
    }
}
