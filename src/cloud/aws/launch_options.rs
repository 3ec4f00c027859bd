//! The parts of a launch beyond the basics: EBS block device mappings, the instance metadata
//! service options from `[aws]`, and the request id tag of a launch with an idempotency key.

use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::{self as ec2, Tag};

use super::AwsDriver;
use super::errors::from_sdk;
use crate::cloud::{
    AttachedVolume, CloudError, LaunchSpec, MetadataOptions, Scope, TAG_REQUEST_ID,
};
use crate::config::AwsOpts;

/// Build the block device mappings of a launch, or return None to keep the image's own.
pub(super) fn block_device_mappings(spec: &LaunchSpec) -> Option<Vec<ec2::BlockDeviceMapping>> {
    if spec.block_device_mappings.is_empty() {
        return None;
    }
    let mappings = spec
        .block_device_mappings
        .iter()
        .map(|device| {
            let ebs = ec2::EbsBlockDevice::builder()
                .volume_size(device.volume_size)
                .volume_type(ec2::VolumeType::from(device.volume_type.as_str()))
                .delete_on_termination(device.delete_on_termination)
                .encrypted(device.encrypted)
                .build();
            ec2::BlockDeviceMapping::builder()
                .device_name(&device.device_name)
                .ebs(ebs)
                .build()
        })
        .collect();
    Some(mappings)
}

/// Build the metadata service options that every launch sends: the token requirement and hop limit of
/// `[aws]`, with the endpoint enabled.
pub(super) fn metadata_options(opts: &AwsOpts) -> ec2::InstanceMetadataOptionsRequest {
    ec2::InstanceMetadataOptionsRequest::builder()
        .http_tokens(ec2::HttpTokensState::from(
            opts.instance_metadata_tokens.as_str(),
        ))
        .http_put_response_hop_limit(opts.instance_metadata_hop_limit)
        .http_endpoint(ec2::InstanceMetadataEndpointState::Enabled)
        .build()
}

pub(super) fn metadata_options_of(source: &ec2::Instance) -> Option<MetadataOptions> {
    let options = source.metadata_options()?;
    Some(MetadataOptions {
        http_tokens: options.http_tokens().map(|t| t.as_str().to_owned()),
        http_put_response_hop_limit: options.http_put_response_hop_limit(),
        http_endpoint: options.http_endpoint().map(|e| e.as_str().to_owned()),
        state: options.state().map(|s| s.as_str().to_owned()),
    })
}

/// List the EBS volumes of an instance, in device name order.
pub(super) fn attached_volumes(source: &ec2::Instance) -> Vec<AttachedVolume> {
    let mut volumes: Vec<AttachedVolume> = source
        .block_device_mappings()
        .iter()
        .filter_map(|mapping| {
            let ebs = mapping.ebs();
            Some(AttachedVolume {
                device_name: mapping.device_name()?.to_owned(),
                volume_id: ebs.and_then(|e| e.volume_id()).map(str::to_owned),
                status: ebs.and_then(|e| e.status()).map(|s| s.as_str().to_owned()),
                delete_on_termination: ebs.and_then(|e| e.delete_on_termination()),
                attached_at: ebs
                    .and_then(|e| e.attach_time())
                    .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
            })
        })
        .collect();
    volumes.sort_by(|a, b| a.device_name.cmp(&b.device_name));
    volumes
}

/// Returns whether the launch leaves the request id tag out of RunInstances. With an idempotency key,
/// a retry must send exactly the parameters of the first attempt, or EC2 returns
/// IdempotentParameterMismatch. The request id differs between attempts, so it is tagged after
/// the launch instead.
pub(super) fn defers_request_id_tag(spec: &LaunchSpec, scope: Scope<'_>) -> bool {
    spec.client_token != scope.request_id
}

/// Tag the launched instances that have no request id tag yet with this request's id. A retried
/// launch returns the first attempt's instances, which keep the first request id.
pub(super) async fn tag_request_id(
    driver: &AwsDriver,
    scope: Scope<'_>,
    launched: &[ec2::Instance],
) -> Result<(), CloudError> {
    let untagged: Vec<String> = launched
        .iter()
        .filter(|i| !i.tags().iter().any(|t| t.key() == Some(TAG_REQUEST_ID)))
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    if untagged.is_empty() {
        return Ok(());
    }
    let client = driver.client(scope).await?;
    super::consistency::retry_not_found(|| async {
        client
            .create_tags()
            .set_resources(Some(untagged.clone()))
            .tags(
                Tag::builder()
                    .key(TAG_REQUEST_ID)
                    .value(scope.request_id)
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("CreateTags", e))
    })
    .await
}
