//! SSH key pairs that EC2 stores for a project.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::secret::Secret;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct KeyPair {
    /// The key pair's name, unique in the AWS account and region.
    pub name: String,
    /// EC2's key pair id, `key-` followed by 17 hexadecimal digits.
    pub id: Option<String>,
    /// `rsa` or `ed25519`.
    pub key_type: Option<String>,
    /// EC2's fingerprint of the key, in colon-separated hexadecimal.
    pub fingerprint: Option<String>,
    /// The public key in OpenSSH format (`ssh-ed25519 AAAA...`).
    pub public_key: Option<String>,
    pub created_at: Option<String>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags, without the service's own `aws-hybrid:` tags.
    pub tags: BTreeMap<String, String>,
}

/// Algorithm of a key pair that EC2 generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    Ed25519,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

/// Filters for listing key pairs. Every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct KeyPairFilter {
    pub key_type: Option<String>,
}

/// A validated request to create a key pair, or to import a public key when `public_key` is
/// set.
#[derive(Debug, Clone)]
pub struct KeyPairSpec {
    pub name: String,
    /// The algorithm EC2 generates, ignored for an import.
    pub key_type: KeyType,
    /// An OpenSSH public key line that the API has already validated.
    pub public_key: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Set from the `Idempotency-Key` header: a key pair of the project that carries this
    /// token is returned instead of a new one.
    pub idempotency_token: Option<String>,
}

/// Result of a create or import.
#[derive(Debug, Clone)]
pub struct NewKeyPair {
    pub key_pair: KeyPair,
    /// The private key EC2 generated, in PEM or OpenSSH format. EC2 returns it once, in the
    /// create response, so it is absent for imports and for repeated requests.
    pub private_key: Option<Secret>,
}
