//! EC2 key pairs, confined to the calling project by the `aws-hybrid:project-id` tag.
//!
//! Key pair names are unique per AWS account and region, not per project, so projects that
//! share an account share one namespace of names.

use async_trait::async_trait;
use aws_sdk_ec2::primitives::{Blob, DateTimeFormat};
use aws_sdk_ec2::types::{self as ec2, ResourceType};

use super::AwsDriver;
use super::consistency::retry_not_found;
use super::errors::from_sdk;
use super::tags::{Ownership, creation_tags, tag_filter, tag_specification};
use crate::cloud::key_pairs::KeyPairDriver;
use crate::cloud::{
    CloudError, KeyPair, KeyPairFilter, KeyPairSpec, KeyType, NewKeyPair, Scope,
    TAG_IDEMPOTENCY_TOKEN, TAG_PROJECT_ID,
};
use crate::secret::Secret;

#[async_trait]
impl KeyPairDriver for AwsDriver {
    async fn list_key_pairs(
        &self,
        scope: Scope<'_>,
        filter: &KeyPairFilter,
    ) -> Result<Vec<KeyPair>, CloudError> {
        let output = self
            .client(scope)
            .await?
            .describe_key_pairs()
            .filters(tag_filter(TAG_PROJECT_ID, scope.project_id))
            .include_public_key(true)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeKeyPairs", e))?;
        let mut pairs: Vec<KeyPair> = output
            .key_pairs()
            .iter()
            .map(|k| convert(k, scope))
            .filter(|k| k.project_id == scope.project_id)
            .filter(|k| {
                filter
                    .key_type
                    .as_deref()
                    .is_none_or(|requested| k.key_type.as_deref() == Some(requested))
            })
            .collect();
        pairs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(pairs)
    }

    async fn get_key_pair(&self, scope: Scope<'_>, name: &str) -> Result<KeyPair, CloudError> {
        get(self, scope, name).await
    }

    async fn create_key_pair(
        &self,
        scope: Scope<'_>,
        spec: &KeyPairSpec,
    ) -> Result<NewKeyPair, CloudError> {
        if let Some(token) = &spec.idempotency_token
            && let Some(existing) = find_by_token(self, scope, token).await?
        {
            tracing::info!(key_name = %existing.name, "key pair already created with this idempotency key");
            return Ok(replayed(existing));
        }
        let result = match &spec.public_key {
            Some(public_key) => import(self, scope, spec, public_key).await,
            None => generate(self, scope, spec).await,
        };
        match result {
            // Two requests with the same idempotency key may race: the loser finds the
            // winner's key pair under the name both asked for.
            Err(CloudError::Conflict { .. }) if spec.idempotency_token.is_some() => {
                let token = spec.idempotency_token.as_deref().unwrap_or_default();
                match find_by_token(self, scope, token).await? {
                    Some(existing) => Ok(replayed(existing)),
                    None => Err(name_taken(&spec.name)),
                }
            }
            Err(CloudError::Conflict { .. }) => Err(name_taken(&spec.name)),
            other => other,
        }
    }

    async fn delete_key_pair(&self, scope: Scope<'_>, name: &str) -> Result<(), CloudError> {
        get(self, scope, name).await?;
        // By name, because moto 5.2.5 ignores KeyPairId in DeleteKeyPair.
        self.client(scope)
            .await?
            .delete_key_pair()
            .key_name(name)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteKeyPair", e))?;
        tracing::info!(key_name = name, "deleted key pair");
        Ok(())
    }
}

/// Describe one key pair of the project. A key pair of another project is not found.
async fn get(driver: &AwsDriver, scope: Scope<'_>, name: &str) -> Result<KeyPair, CloudError> {
    let not_found = || CloudError::NotFound {
        resource: "key pair",
        id: name.to_owned(),
    };
    let result = driver
        .client(scope)
        .await?
        .describe_key_pairs()
        .key_names(name)
        .include_public_key(true)
        .send()
        .await;
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            return Err(match from_sdk("DescribeKeyPairs", error) {
                CloudError::NotFound { .. } => not_found(),
                other => other,
            });
        }
    };
    output
        .key_pairs()
        .iter()
        .find(|k| k.key_name() == Some(name))
        .map(|k| convert(k, scope))
        .filter(|k| k.project_id == scope.project_id)
        .ok_or_else(not_found)
}

async fn find_by_token(
    driver: &AwsDriver,
    scope: Scope<'_>,
    token: &str,
) -> Result<Option<KeyPair>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_key_pairs()
        .filters(tag_filter(TAG_PROJECT_ID, scope.project_id))
        .filters(tag_filter(TAG_IDEMPOTENCY_TOKEN, token))
        .include_public_key(true)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeKeyPairs", e))?;
    Ok(output
        .key_pairs()
        .iter()
        .filter(|k| Ownership::read(k.tags()).idempotency_token.as_deref() == Some(token))
        .map(|k| convert(k, scope))
        .find(|k| k.project_id == scope.project_id))
}

async fn generate(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &KeyPairSpec,
) -> Result<NewKeyPair, CloudError> {
    let tags = creation_tags(scope, spec.idempotency_token.as_deref(), &spec.tags);
    let key_type = match spec.key_type {
        KeyType::Rsa => ec2::KeyType::Rsa,
        KeyType::Ed25519 => ec2::KeyType::Ed25519,
    };
    let output = driver
        .client(scope)
        .await?
        .create_key_pair()
        .key_name(&spec.name)
        .key_type(key_type)
        .tag_specifications(tag_specification(ResourceType::KeyPair, &tags))
        .send()
        .await
        .map_err(|e| from_sdk("CreateKeyPair", e))?;
    // The SDK's Debug output redacts the key material, and only Secret contains it from here on.
    let private_key = output.key_material().map(Secret::new);
    let fallback = KeyPair {
        name: spec.name.clone(),
        id: output.key_pair_id().map(str::to_owned),
        key_type: Some(spec.key_type.as_str().to_owned()),
        fingerprint: output.key_fingerprint().map(str::to_owned),
        public_key: None,
        created_at: None,
        region: scope.region.to_owned(),
        project_id: scope.project_id.to_owned(),
        user_id: Some(scope.user_id.to_owned()),
        tags: spec.tags.clone(),
    };
    tracing::info!(key_name = %spec.name, key_type = spec.key_type.as_str(), "created key pair");
    let mut key_pair = read_back(driver, scope, fallback).await?;
    // EC2 generated the key with the requested type even where it does not report one.
    key_pair
        .key_type
        .get_or_insert_with(|| spec.key_type.as_str().to_owned());
    Ok(NewKeyPair {
        key_pair,
        private_key,
    })
}

async fn import(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &KeyPairSpec,
    public_key: &str,
) -> Result<NewKeyPair, CloudError> {
    let tags = creation_tags(scope, spec.idempotency_token.as_deref(), &spec.tags);
    let output = driver
        .client(scope)
        .await?
        .import_key_pair()
        .key_name(&spec.name)
        .public_key_material(Blob::new(public_key.as_bytes()))
        .tag_specifications(tag_specification(ResourceType::KeyPair, &tags))
        .send()
        .await
        .map_err(|e| match from_sdk("ImportKeyPair", e) {
            CloudError::InvalidParameter { message, .. } => CloudError::InvalidParameter {
                field: "public_key".into(),
                message,
            },
            other => other,
        })?;
    let fallback = KeyPair {
        name: spec.name.clone(),
        id: output.key_pair_id().map(str::to_owned),
        key_type: key_type_of_public_key(public_key).map(str::to_owned),
        fingerprint: output.key_fingerprint().map(str::to_owned),
        public_key: Some(public_key.to_owned()),
        created_at: None,
        region: scope.region.to_owned(),
        project_id: scope.project_id.to_owned(),
        user_id: Some(scope.user_id.to_owned()),
        tags: spec.tags.clone(),
    };
    tracing::info!(key_name = %spec.name, "imported key pair");
    Ok(NewKeyPair {
        key_pair: read_back(driver, scope, fallback).await?,
        private_key: None,
    })
}

/// Describe a key pair just created, waiting out EC2's eventual consistency. When EC2 still
/// does not report it, `created` (built from the create response) is returned instead.
async fn read_back(
    driver: &AwsDriver,
    scope: Scope<'_>,
    created: KeyPair,
) -> Result<KeyPair, CloudError> {
    match retry_not_found(|| get(driver, scope, &created.name)).await {
        Ok(found) => Ok(found),
        Err(CloudError::NotFound { .. }) => Ok(created),
        Err(other) => Err(other),
    }
}

/// Build the result of a repeated request: the key pair without its private key, which EC2
/// returned to the first request only.
fn replayed(key_pair: KeyPair) -> NewKeyPair {
    NewKeyPair {
        key_pair,
        private_key: None,
    }
}

fn name_taken(name: &str) -> CloudError {
    CloudError::Conflict {
        resource: "key pair",
        reason: "exists",
        message: format!(
            "A key pair named {name:?} already exists in this project's AWS account and region; key pair names are unique per account and region, so choose another name."
        ),
    }
}

/// Return the key type that the algorithm of an OpenSSH public key line names.
fn key_type_of_public_key(public_key: &str) -> Option<&'static str> {
    match public_key.split_whitespace().next() {
        Some("ssh-rsa") => Some("rsa"),
        Some("ssh-ed25519") => Some("ed25519"),
        _ => None,
    }
}

fn convert(source: &ec2::KeyPairInfo, scope: Scope<'_>) -> KeyPair {
    let ownership = Ownership::read(source.tags());
    let public_key = source.public_key().map(|k| k.trim().to_owned());
    // moto 5.2.5 leaves KeyType empty for the RSA keys it generates, but the public key names
    // the algorithm in any case.
    let key_type = source
        .key_type()
        .map(|t| t.as_str().to_owned())
        .filter(|t| !t.is_empty())
        .or_else(|| {
            public_key
                .as_deref()
                .and_then(key_type_of_public_key)
                .map(str::to_owned)
        });
    KeyPair {
        name: source.key_name().unwrap_or_default().to_owned(),
        id: source.key_pair_id().map(str::to_owned),
        key_type,
        fingerprint: source.key_fingerprint().map(str::to_owned),
        public_key,
        created_at: source
            .create_time()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        region: scope.region.to_owned(),
        project_id: ownership.project_id,
        user_id: ownership.user_id,
        tags: ownership.user_tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_algorithm_gives_key_type() {
        assert_eq!(
            key_type_of_public_key("ssh-rsa AAAAB3 me@host"),
            Some("rsa")
        );
        assert_eq!(
            key_type_of_public_key("ssh-ed25519 AAAAC3"),
            Some("ed25519")
        );
        assert_eq!(key_type_of_public_key("ecdsa-sha2-nistp256 AAAA"), None);
        assert_eq!(key_type_of_public_key(""), None);
    }
}
