//! Elastic IP addresses as the API shows them.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Address {
    /// The EC2 allocation id, `eipalloc-...`.
    pub id: String,
    pub public_ip: String,
    pub name: Option<String>,
    /// Set while the address is associated.
    pub association_id: Option<String>,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub network_border_group: Option<String>,
    pub region: String,
    pub project_id: String,
    pub user_id: Option<String>,
    /// The user's tags; the service's own `aws-hybrid:` tags and `Name` are not repeated here.
    pub tags: BTreeMap<String, String>,
}

/// Filters for listing addresses; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct AddressFilter {
    pub name: Option<String>,
    pub instance_id: Option<String>,
    pub public_ip: Option<String>,
}

/// A validated allocation request.
#[derive(Debug, Clone)]
pub struct AddressSpec {
    pub name: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Set when the client sent an `Idempotency-Key`; AllocateAddress takes no client token,
    /// so the address is tagged with it and found by that tag on a retry.
    pub idempotency_token: Option<String>,
}

/// Target of an association: an instance, on its primary network interface, or one network
/// interface, optionally at one of its private addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationTarget<'a> {
    Instance(&'a str),
    NetworkInterface {
        id: &'a str,
        private_ip_address: Option<&'a str>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressAction<'a> {
    Associate(AssociationTarget<'a>),
    Disassociate,
}
