//! Requests that change images: creating an AMI from an instance.

use std::collections::BTreeMap;

/// A validated request to create an AMI from one of the project's instances.
#[derive(Debug, Clone, Default)]
pub struct ImageSpec {
    pub instance_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Whether to image the instance without stopping it first; the file systems may then be
    /// inconsistent in the image.
    pub no_reboot: bool,
    pub tags: BTreeMap<String, String>,
    /// Makes a retried create return the first image; derived from the `Idempotency-Key`
    /// header or the request id.
    pub client_token: String,
}
