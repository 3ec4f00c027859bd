//! VPCs and subnets of the account: read-only, and not confined to a project, because the
//! service never creates them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{self as ec2, Filter, Tag};

use super::AwsDriver;
use super::errors::from_sdk;
use super::pages::collect_pages;
use crate::cloud::networks::NetworkDriver;
use crate::cloud::{CloudError, Scope, Subnet, SubnetFilter, Vpc};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 1_000;
/// DescribeVpcs and DescribeSubnets accept page sizes from 5 to 1000.
const PAGE_SIZE: i32 = 1000;

#[async_trait]
impl NetworkDriver for AwsDriver {
    async fn list_vpcs(&self, scope: Scope<'_>) -> Result<Vec<Vpc>, CloudError> {
        let client = self.client(scope).await?;
        let mut vpcs = collect_pages(
            "DescribeVpcs",
            MAX_PAGES,
            |token| {
                client
                    .describe_vpcs()
                    .max_results(PAGE_SIZE)
                    .set_next_token(token)
                    .send()
            },
            |page| {
                page.vpcs()
                    .iter()
                    .filter_map(|v| convert_vpc(v, scope))
                    .collect()
            },
            DescribeVpcsOutput::next_token,
        )
        .await?;
        vpcs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(vpcs)
    }

    async fn get_vpc(&self, scope: Scope<'_>, id: &str) -> Result<Vpc, CloudError> {
        let not_found = || CloudError::NotFound {
            resource: "VPC",
            id: id.to_owned(),
        };
        let result = self
            .client(scope)
            .await?
            .describe_vpcs()
            .vpc_ids(id)
            .send()
            .await;
        match result {
            Ok(output) => output
                .vpcs()
                .iter()
                .filter_map(|v| convert_vpc(v, scope))
                .find(|v| v.id == id)
                .ok_or_else(not_found),
            Err(error) => match from_sdk("DescribeVpcs", error) {
                CloudError::NotFound { .. } => Err(not_found()),
                other => Err(other),
            },
        }
    }

    async fn list_subnets(
        &self,
        scope: Scope<'_>,
        wanted: &SubnetFilter,
    ) -> Result<Vec<Subnet>, CloudError> {
        let client = self.client(scope).await?;
        let mut filters = Vec::new();
        if let Some(vpc_id) = &wanted.vpc_id {
            filters.push(Filter::builder().name("vpc-id").values(vpc_id).build());
        }
        if let Some(zone) = &wanted.availability_zone {
            filters.push(
                Filter::builder()
                    .name("availability-zone")
                    .values(zone)
                    .build(),
            );
        }
        let filters = (!filters.is_empty()).then_some(filters);
        let mut subnets = collect_pages(
            "DescribeSubnets",
            MAX_PAGES,
            |token| {
                client
                    .describe_subnets()
                    .set_filters(filters.clone())
                    .max_results(PAGE_SIZE)
                    .set_next_token(token)
                    .send()
            },
            |page| {
                page.subnets()
                    .iter()
                    .filter_map(|s| convert_subnet(s, scope))
                    .collect()
            },
            DescribeSubnetsOutput::next_token,
        )
        .await?;
        subnets.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(subnets)
    }

    async fn get_subnet(&self, scope: Scope<'_>, id: &str) -> Result<Subnet, CloudError> {
        let not_found = || CloudError::NotFound {
            resource: "subnet",
            id: id.to_owned(),
        };
        let result = self
            .client(scope)
            .await?
            .describe_subnets()
            .subnet_ids(id)
            .send()
            .await;
        match result {
            Ok(output) => output
                .subnets()
                .iter()
                .filter_map(|s| convert_subnet(s, scope))
                .find(|s| s.id == id)
                .ok_or_else(not_found),
            Err(error) => match from_sdk("DescribeSubnets", error) {
                CloudError::NotFound { .. } => Err(not_found()),
                other => Err(other),
            },
        }
    }
}

/// Split EC2 tags into the `Name` tag's value and the other tags.
fn name_and_tags(tags: &[Tag]) -> (Option<String>, BTreeMap<String, String>) {
    let mut name = None;
    let mut others = BTreeMap::new();
    for tag in tags {
        let (Some(key), Some(value)) = (tag.key(), tag.value()) else {
            continue;
        };
        if key == "Name" {
            name = Some(value.to_owned());
        } else {
            others.insert(key.to_owned(), value.to_owned());
        }
    }
    (name, others)
}

fn convert_vpc(source: &ec2::Vpc, scope: Scope<'_>) -> Option<Vpc> {
    let (name, tags) = name_and_tags(source.tags());
    let primary = source.cidr_block().map(str::to_owned);
    let mut cidr_blocks: Vec<String> = primary.iter().cloned().collect();
    let associated_v4 = source
        .cidr_block_association_set()
        .iter()
        .filter_map(|a| a.cidr_block());
    let associated_v6 = source
        .ipv6_cidr_block_association_set()
        .iter()
        .filter_map(|a| a.ipv6_cidr_block());
    for block in associated_v4.chain(associated_v6) {
        if !cidr_blocks.iter().any(|known| known == block) {
            cidr_blocks.push(block.to_owned());
        }
    }
    Some(Vpc {
        id: source.vpc_id()?.to_owned(),
        name,
        cidr_block: primary,
        cidr_blocks,
        state: source.state().map(|s| s.as_str().to_owned()),
        is_default: source.is_default().unwrap_or(false),
        owner_id: source.owner_id().map(str::to_owned),
        region: scope.region.to_owned(),
        tags,
    })
}

fn convert_subnet(source: &ec2::Subnet, scope: Scope<'_>) -> Option<Subnet> {
    let (name, tags) = name_and_tags(source.tags());
    Some(Subnet {
        id: source.subnet_id()?.to_owned(),
        name,
        vpc_id: source.vpc_id().map(str::to_owned),
        cidr_block: source.cidr_block().map(str::to_owned),
        ipv6_cidr_blocks: source
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|a| a.ipv6_cidr_block().map(str::to_owned))
            .collect(),
        availability_zone: source.availability_zone().map(str::to_owned),
        availability_zone_id: source.availability_zone_id().map(str::to_owned),
        state: source.state().map(|s| s.as_str().to_owned()),
        available_ip_address_count: source.available_ip_address_count(),
        default_for_az: source.default_for_az().unwrap_or(false),
        map_public_ip_on_launch: source.map_public_ip_on_launch().unwrap_or(false),
        owner_id: source.owner_id().map(str::to_owned),
        region: scope.region.to_owned(),
        tags,
    })
}
