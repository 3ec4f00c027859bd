//! Read-only EC2 catalog data: regions, availability zones, instance types and images.

use aws_sdk_ec2::operation::describe_instance_types::DescribeInstanceTypesOutput;
use aws_sdk_ec2::types::{Filter, InstanceTypeInfo};

use super::AwsDriver;
use super::errors::from_sdk;
use super::pages::collect_pages;
use crate::cloud::{
    AvailabilityZone, CloudError, Image, ImageFilter, InstanceType, Region, Scope, TAG_PREFIX,
    TAG_PROJECT_ID,
};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 1_000;

pub(super) async fn regions(
    driver: &AwsDriver,
    scope: Scope<'_>,
) -> Result<Vec<Region>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_regions()
        .send()
        .await
        .map_err(|e| from_sdk("DescribeRegions", e))?;
    let mut regions: Vec<Region> = output
        .regions()
        .iter()
        .filter_map(|r| {
            let name = r.region_name()?.to_owned();
            Some(Region {
                allowed: scope.tenant.allowed_regions.contains(&name),
                endpoint: r.endpoint().map(str::to_owned),
                name,
            })
        })
        .collect();
    regions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(regions)
}

pub(super) async fn availability_zones(
    driver: &AwsDriver,
    scope: Scope<'_>,
) -> Result<Vec<AvailabilityZone>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_availability_zones()
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAvailabilityZones", e))?;
    let mut zones: Vec<AvailabilityZone> = output
        .availability_zones()
        .iter()
        .filter_map(|z| {
            Some(AvailabilityZone {
                name: z.zone_name()?.to_owned(),
                zone_id: z.zone_id().map(str::to_owned),
                state: z.state().map(|s| s.as_str().to_owned()),
                region: z.region_name().unwrap_or(scope.region).to_owned(),
            })
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(zones)
}

/// Walk DescribeInstanceTypes to the end: the list is live data, never a fixed table.
pub(super) async fn instance_types(
    driver: &AwsDriver,
    scope: Scope<'_>,
) -> Result<Vec<InstanceType>, CloudError> {
    let client = driver.client(scope).await?;
    let mut types = collect_pages(
        "DescribeInstanceTypes",
        MAX_PAGES,
        |token| {
            client
                .describe_instance_types()
                .max_results(100)
                .set_next_token(token)
                .send()
        },
        |page| {
            page.instance_types()
                .iter()
                .filter_map(instance_type)
                .collect()
        },
        DescribeInstanceTypesOutput::next_token,
    )
    .await?;
    types.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(types)
}

/// Converts one DescribeInstanceTypes entry. An entry without a type name returns None and
/// is left out of the list.
fn instance_type(info: &InstanceTypeInfo) -> Option<InstanceType> {
    Some(InstanceType {
        name: info.instance_type()?.as_str().to_owned(),
        vcpus: info.v_cpu_info().and_then(|v| v.default_v_cpus()),
        memory_mib: info.memory_info().and_then(|m| m.size_in_mib()),
        architectures: info
            .processor_info()
            .map(|p| {
                p.supported_architectures()
                    .iter()
                    .map(|a| a.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        current_generation: info.current_generation(),
        ena_support: info
            .network_info()
            .and_then(|n| n.ena_support())
            .map(|e| e.as_str().to_owned()),
    })
}

pub(super) async fn images(
    driver: &AwsDriver,
    scope: Scope<'_>,
    wanted: &ImageFilter,
) -> Result<Vec<Image>, CloudError> {
    let mut request = driver
        .client(scope)
        .await?
        .describe_images()
        .owners(wanted.owner.as_deref().unwrap_or("self"));
    let optional = [
        ("name", &wanted.name),
        ("state", &wanted.state),
        ("architecture", &wanted.architecture),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            request = request.filters(Filter::builder().name(name).values(value).build());
        }
    }
    let output = request
        .send()
        .await
        .map_err(|e| from_sdk("DescribeImages", e))?;
    let mut images: Vec<Image> = output
        .images()
        .iter()
        .filter_map(convert_image)
        .filter(|i| visible_to(i, scope))
        .collect();
    images.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(images)
}

pub(super) async fn image(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<Image, CloudError> {
    let not_found = || CloudError::NotFound {
        resource: "image",
        id: id.to_owned(),
    };
    let result = driver
        .client(scope)
        .await?
        .describe_images()
        .image_ids(id)
        .send()
        .await;
    match result {
        Ok(output) => output
            .images()
            .iter()
            .find_map(convert_image)
            .filter(|i| visible_to(i, scope))
            .ok_or_else(not_found),
        Err(error) => match from_sdk("DescribeImages", error) {
            CloudError::NotFound { .. } => Err(not_found()),
            other => Err(other),
        },
    }
}

/// Returns whether one of `owners` (account IDs, `self`, `amazon`, `aws-marketplace`) owns image `id`,
/// asked of EC2 itself so that the aliases mean what they mean to AWS.
pub(super) async fn image_owned_by(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
    owners: &[String],
) -> Result<bool, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_images()
        .image_ids(id)
        .set_owners(Some(owners.to_vec()))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeImages", e))?;
    Ok(!output.images().is_empty())
}

/// Returns whether the scope's project may see `image`: every image but those another project created
/// through the service.
fn visible_to(image: &Image, scope: Scope<'_>) -> bool {
    image
        .project_id
        .as_deref()
        .is_none_or(|owner| owner == scope.project_id)
}

pub(super) fn convert_image(source: &aws_sdk_ec2::types::Image) -> Option<Image> {
    let mut project_id = None;
    let mut tags = std::collections::BTreeMap::new();
    for t in source.tags() {
        let (Some(key), Some(value)) = (t.key(), t.value()) else {
            continue;
        };
        if key == TAG_PROJECT_ID {
            project_id = Some(value.to_owned());
        } else if !key.starts_with(TAG_PREFIX) {
            tags.insert(key.to_owned(), value.to_owned());
        }
    }
    Some(Image {
        id: source.image_id()?.to_owned(),
        name: source.name().map(str::to_owned),
        description: source.description().map(str::to_owned),
        state: source.state().map(|s| s.as_str().to_owned()),
        owner_id: source.owner_id().map(str::to_owned),
        architecture: source.architecture().map(|a| a.as_str().to_owned()),
        platform: source.platform_details().map(str::to_owned),
        root_device_type: source.root_device_type().map(|r| r.as_str().to_owned()),
        virtualization_type: source.virtualization_type().map(|v| v.as_str().to_owned()),
        ena_support: source.ena_support(),
        created_at: source.creation_date().map(str::to_owned),
        public: source.public(),
        project_id,
        tags,
    })
}
