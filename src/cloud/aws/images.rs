//! AMIs the project creates from its instances: create, deregister and tag. The reads are in
//! `catalog`, which hides images of other projects.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::errors::from_sdk;
use super::{AwsDriver, catalog, consistency, instances};
use crate::cloud::images::ImageDriver;
use crate::cloud::{
    CloudError, Image, ImageSpec, Scope, TAG_IDEMPOTENCY_TOKEN, TAG_PROJECT_ID, TAG_REQUEST_ID,
    TAG_USER_ID,
};

/// Instance states EC2 can image: a stopped instance gives a consistent image, a running one
/// is rebooted first unless `no_reboot` is set.
const IMAGEABLE_STATES: [&str; 2] = ["running", "stopped"];

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

#[async_trait]
impl ImageDriver for AwsDriver {
    async fn create_image(&self, scope: Scope<'_>, spec: &ImageSpec) -> Result<Image, CloudError> {
        if let Some(existing) = image_with_token(self, scope, spec).await? {
            tracing::info!(image_id = %existing.id, "image create retried; returning the first image");
            return Ok(existing);
        }
        check_instance(self, scope, &spec.instance_id).await?;

        let mut tags = vec![
            tag(TAG_PROJECT_ID, scope.project_id),
            tag(TAG_USER_ID, scope.user_id),
            tag(TAG_REQUEST_ID, scope.request_id),
            tag(TAG_IDEMPOTENCY_TOKEN, &spec.client_token),
        ];
        tags.extend(spec.tags.iter().map(|(k, v)| tag(k, v)));
        // NOTE: only the image is tagged. AWS also takes a `snapshot` tag specification here,
        // but moto 5.2.5 raises NotImplementedError (HTTP 500) for it, so the snapshots behind
        // the image carry no project tags.
        let tag_spec = TagSpecification::builder()
            .resource_type(ResourceType::Image)
            .set_tags(Some(tags))
            .build();

        let output = self
            .client(scope)
            .await?
            .create_image()
            .instance_id(&spec.instance_id)
            .name(&spec.name)
            .set_description(spec.description.clone())
            .no_reboot(spec.no_reboot)
            .tag_specifications(tag_spec)
            .send()
            .await
            .map_err(|e| from_sdk("CreateImage", e))?;
        let id = output.image_id().unwrap_or_default().to_owned();
        tracing::info!(image_id = %id, instance_id = %spec.instance_id, "creating image");

        // EC2 may not describe the new image at once; after the retries, report it as pending.
        match consistency::retry_not_found(|| catalog::image(self, scope, &id)).await {
            Err(CloudError::NotFound { .. }) => Ok(pending_image(scope, &id, spec)),
            other => other,
        }
    }

    async fn deregister_image(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        own_image(self, scope, id).await?;
        self.client(scope)
            .await?
            .deregister_image()
            .image_id(id)
            .delete_associated_snapshots(true)
            .send()
            .await
            .map_err(|e| from_sdk("DeregisterImage", e))?;
        tracing::info!(image_id = id, "deregistered image");
        Ok(())
    }

    async fn replace_image_tags(
        &self,
        scope: Scope<'_>,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Image, CloudError> {
        let mut image = own_image(self, scope, id).await?;
        let client = self.client(scope).await?;
        let removed: Vec<Tag> = image
            .tags
            .keys()
            .filter(|key| !tags.contains_key(*key))
            .map(|key| Tag::builder().key(key).build())
            .collect();
        let changed: Vec<Tag> = tags
            .iter()
            .filter(|(key, value)| image.tags.get(*key) != Some(*value))
            .map(|(key, value)| tag(key, value))
            .collect();
        if !removed.is_empty() {
            client
                .delete_tags()
                .resources(id)
                .set_tags(Some(removed))
                .send()
                .await
                .map_err(|e| from_sdk("DeleteTags", e))?;
        }
        if !changed.is_empty() {
            client
                .create_tags()
                .resources(id)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(|e| from_sdk("CreateTags", e))?;
        }
        tracing::info!(image_id = id, tags = tags.len(), "replaced image tags");
        image.tags = tags.clone();
        Ok(image)
    }
}

/// Check that `instance_id` is an instance of the project in a state that EC2 can image. An
/// instance the project does not have is an error in the request body, so a 400.
async fn check_instance(
    driver: &AwsDriver,
    scope: Scope<'_>,
    instance_id: &str,
) -> Result<(), CloudError> {
    let instance = match instances::get(driver, scope, instance_id).await {
        Ok(instance) => instance,
        Err(CloudError::NotFound { .. }) => {
            return Err(CloudError::InvalidParameter {
                field: "instance_id".into(),
                message: format!("the instance {instance_id} was not found in this project"),
            });
        }
        Err(other) => return Err(other),
    };
    if !IMAGEABLE_STATES.contains(&instance.state.as_str()) {
        return Err(CloudError::InvalidState {
            id: instance.id,
            state: instance.state,
            action: "create an image of",
        });
    }
    Ok(())
}

/// Describe image `id` and check that this project created it. Images of other projects are
/// already hidden by the read; any other image the project can see is not its own.
async fn own_image(driver: &AwsDriver, scope: Scope<'_>, id: &str) -> Result<Image, CloudError> {
    let image = catalog::image(driver, scope, id).await?;
    if image.project_id.as_deref() != Some(scope.project_id) {
        return Err(CloudError::NotOwned {
            resource: "image",
            id: id.to_owned(),
        });
    }
    Ok(image)
}

/// Find the image an earlier create with the same client token made. The token is derived from
/// the project id, so only this project's images can carry it.
async fn image_with_token(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &ImageSpec,
) -> Result<Option<Image>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_images()
        .owners("self")
        .filters(
            Filter::builder()
                .name(format!("tag:{TAG_IDEMPOTENCY_TOKEN}"))
                .values(&spec.client_token)
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("DescribeImages", e))?;
    let Some(found) = output.images().first() else {
        return Ok(None);
    };
    let same_request = found.name() == Some(spec.name.as_str())
        && found.description().filter(|d| !d.is_empty()) == spec.description.as_deref()
        && found
            .source_instance_id()
            .is_none_or(|source| source == spec.instance_id);
    if !same_request {
        return Err(CloudError::InvalidParameter {
            field: "Idempotency-Key".into(),
            message: format!(
                "the key was already used to create image {} from other parameters; send a new key for a new image",
                found.image_id().unwrap_or_default()
            ),
        });
    }
    match catalog::convert_image(found) {
        Some(image) if image.project_id.as_deref() == Some(scope.project_id) => Ok(Some(image)),
        _ => Ok(None),
    }
}

/// Build the image record from the create request, for when EC2 does not describe the new
/// image yet.
fn pending_image(scope: Scope<'_>, id: &str, spec: &ImageSpec) -> Image {
    Image {
        id: id.to_owned(),
        name: Some(spec.name.clone()),
        description: spec.description.clone(),
        state: Some("pending".into()),
        owner_id: None,
        architecture: None,
        platform: None,
        root_device_type: None,
        virtualization_type: None,
        ena_support: None,
        created_at: None,
        public: Some(false),
        project_id: Some(scope.project_id.to_owned()),
        tags: spec.tags.clone(),
    }
}
