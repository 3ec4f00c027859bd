//! VPCs and subnets of the AWS account, which the service reads but does not create.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Vpc {
    pub id: String,
    /// The value of the VPC's `Name` tag.
    pub name: Option<String>,
    /// The primary IPv4 CIDR block, e.g. `172.31.0.0/16`.
    pub cidr_block: Option<String>,
    /// Every IPv4 and IPv6 CIDR block associated with the VPC, the primary one first.
    pub cidr_blocks: Vec<String>,
    /// `pending` or `available`.
    pub state: Option<String>,
    /// Whether this is the region's default VPC, which launches without a subnet use.
    pub is_default: bool,
    pub owner_id: Option<String>,
    pub region: String,
    /// The VPC's tags other than `Name`.
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Subnet {
    pub id: String,
    /// The value of the subnet's `Name` tag.
    pub name: Option<String>,
    pub vpc_id: Option<String>,
    /// The IPv4 CIDR block, e.g. `172.31.0.0/20`.
    pub cidr_block: Option<String>,
    /// IPv6 CIDR blocks associated with the subnet.
    pub ipv6_cidr_blocks: Vec<String>,
    pub availability_zone: Option<String>,
    pub availability_zone_id: Option<String>,
    /// `pending` or `available`.
    pub state: Option<String>,
    /// Unused private IPv4 addresses in the subnet.
    pub available_ip_address_count: Option<i32>,
    /// Whether this is the default subnet of its availability zone.
    pub default_for_az: bool,
    /// Whether instances launched in the subnet get a public IPv4 address.
    pub map_public_ip_on_launch: bool,
    pub owner_id: Option<String>,
    pub region: String,
    /// The subnet's tags other than `Name`.
    pub tags: BTreeMap<String, String>,
}

/// Filters for listing subnets; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct SubnetFilter {
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
}
