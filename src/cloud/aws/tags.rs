//! The service's tags on EC2 resources: written on create, read back to decide which project
//! owns a resource.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

pub use crate::cloud::TAG_IDEMPOTENCY_TOKEN;
use crate::cloud::{CloudError, Scope, TAG_PREFIX, TAG_PROJECT_ID, TAG_REQUEST_ID, TAG_USER_ID};

pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Filter on the value of tag `key`.
pub fn tag_filter(key: &str, value: &str) -> Filter {
    filter(&format!("tag:{key}"), value)
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Build the tags of a new resource: the project, user and request of `scope`, the
/// idempotency token when there is one, then the user's tags.
pub fn creation_tags(
    scope: Scope<'_>,
    idempotency_token: Option<&str>,
    user_tags: &BTreeMap<String, String>,
) -> Vec<Tag> {
    let mut tags = vec![
        tag(TAG_PROJECT_ID, scope.project_id),
        tag(TAG_USER_ID, scope.user_id),
        tag(TAG_REQUEST_ID, scope.request_id),
    ];
    if let Some(token) = idempotency_token {
        tags.push(tag(TAG_IDEMPOTENCY_TOKEN, token));
    }
    tags.extend(user_tags.iter().map(|(key, value)| tag(key, value)));
    tags
}

pub fn tag_specification(kind: ResourceType, tags: &[Tag]) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags.to_vec()))
        .build()
}

/// Returns `found` if its project tag, read by `project_of`, names the scope's project. A
/// resource of another project is NotFound, like a missing one, so a caller cannot tell
/// another project's id from an unknown one.
pub fn owned_by_scope<T>(
    found: Option<T>,
    project_of: impl FnOnce(&T) -> &str,
    scope: Scope<'_>,
    resource: &'static str,
    id: &str,
) -> Result<T, CloudError> {
    match found {
        Some(item) if project_of(&item) == scope.project_id => Ok(item),
        _ => Err(CloudError::NotFound {
            resource,
            id: id.to_owned(),
        }),
    }
}

/// What the service's tags say about a resource, and the user's own tags.
#[derive(Debug, Default)]
pub struct Ownership {
    /// Empty when the resource has no project tag, so it belongs to no project.
    pub project_id: String,
    pub user_id: Option<String>,
    pub idempotency_token: Option<String>,
    /// Tags outside the `aws-hybrid:` prefix.
    pub user_tags: BTreeMap<String, String>,
}

impl Ownership {
    pub fn read(tags: &[Tag]) -> Self {
        let mut ownership = Ownership::default();
        for t in tags {
            let (Some(key), Some(value)) = (t.key(), t.value()) else {
                continue;
            };
            match key {
                TAG_PROJECT_ID => ownership.project_id = value.to_owned(),
                TAG_USER_ID => ownership.user_id = Some(value.to_owned()),
                TAG_IDEMPOTENCY_TOKEN => ownership.idempotency_token = Some(value.to_owned()),
                _ if key.starts_with(TAG_PREFIX) => {}
                _ => {
                    ownership.user_tags.insert(key.to_owned(), value.to_owned());
                }
            }
        }
        ownership
    }
}
