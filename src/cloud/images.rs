//! The image changes of a cloud driver: create from an instance, deregister, tag. Image reads
//! are [`super::CloudDriver::list_images`] and [`super::CloudDriver::get_image`].

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{CloudError, Image, ImageSpec, Scope};

/// Changes to images the project created through the service, which carry its
/// `aws-hybrid:project-id` tag. An image of another project is not found. An image that no
/// project created, such as a public AMI or one made in the account outside the service, is
/// [`CloudError::NotOwned`].
#[async_trait]
pub trait ImageDriver: Send + Sync {
    /// Create an AMI from `spec.instance_id`, an instance of the project. A retry with the same
    /// `spec.client_token` returns the first image; the same token with another name,
    /// description or instance is a [`CloudError::InvalidParameter`] on `Idempotency-Key`.
    async fn create_image(&self, scope: Scope<'_>, spec: &ImageSpec) -> Result<Image, CloudError>;
    /// Deregister the image and ask EC2 to delete its EBS snapshots with it.
    async fn deregister_image(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError>;
    /// Replace the image's user tags with `tags`, leaving the service's own tags alone, and
    /// return the image as it is now.
    async fn replace_image_tags(
        &self,
        scope: Scope<'_>,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Image, CloudError>;
}
