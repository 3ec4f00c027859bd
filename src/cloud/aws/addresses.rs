//! Elastic IP addresses, confined to the calling project by the `aws-hybrid:project-id` tag.
//!
//! NOTE: the emulator hands out addresses in 127.0.0.0/8, so nothing here or in the tests may
//! send traffic to an allocated address.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, DomainType, ResourceType};

use super::AwsDriver;
use super::errors::{from_sdk, none_if_not_found};
use super::instances;
use super::tags::{filter, owned_by_scope};
use super::volumes::{conflict, creation_tags, project_filter, read_tags, token_filter};
use crate::cloud::addresses::AddressDriver;
use crate::cloud::{
    Address, AddressAction, AddressFilter, AddressSpec, AssociationTarget, CloudError, Scope,
    TAG_PROJECT_ID,
};

pub(super) async fn list(
    driver: &AwsDriver,
    scope: Scope<'_>,
    criteria: &AddressFilter,
) -> Result<Vec<Address>, CloudError> {
    let mut filters = vec![project_filter(scope)];
    if let Some(name) = &criteria.name {
        filters.push(filter("tag:Name", name));
    }
    if let Some(instance_id) = &criteria.instance_id {
        filters.push(filter("instance-id", instance_id));
    }
    if let Some(public_ip) = &criteria.public_ip {
        filters.push(filter("public-ip", public_ip));
    }
    let mut addresses = describe(driver, scope, filters).await?;
    // EC2 already filtered by the project tag; checking again keeps the isolation
    // independent of how an endpoint implements tag filters.
    addresses.retain(|a| a.project_id == scope.project_id);
    addresses.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(addresses)
}

/// DescribeAddresses has no pagination: one call returns every match.
async fn describe(
    driver: &AwsDriver,
    scope: Scope<'_>,
    filters: Vec<ec2::Filter>,
) -> Result<Vec<Address>, CloudError> {
    let output = driver
        .client(scope)
        .await?
        .describe_addresses()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAddresses", e))?;
    Ok(output
        .addresses()
        .iter()
        .map(|a| convert(a, scope))
        .collect())
}

/// Describe one address of the project by allocation id; an address of another project is
/// not found.
pub(super) async fn get(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<Address, CloudError> {
    driver.lookup(id, || get_once(driver, scope, id)).await
}

async fn get_once(driver: &AwsDriver, scope: Scope<'_>, id: &str) -> Result<Address, CloudError> {
    let result = driver
        .client(scope)
        .await?
        .describe_addresses()
        .allocation_ids(id)
        .send()
        .await;
    let found = none_if_not_found("DescribeAddresses", result, |output| {
        output
            .addresses()
            .iter()
            .find(|a| a.allocation_id() == Some(id))
            .map(|a| convert(a, scope))
    })?;
    owned_by_scope(found, |a| &a.project_id, scope, "address", id)
}

pub(super) async fn allocate(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &AddressSpec,
) -> Result<Address, CloudError> {
    // AllocateAddress takes no client token, so a retried request is recognised by the tag.
    // NOTE: a retry that arrives before EC2 lists the first address allocates a second one.
    if let Some(token) = &spec.idempotency_token {
        let filters = vec![project_filter(scope), token_filter(token)];
        if let Some(existing) = describe(driver, scope, filters).await?.into_iter().next() {
            tracing::info!(allocation_id = %existing.id, "idempotent retry; returning the address of the first request");
            return Ok(existing);
        }
    }
    let output = driver
        .client(scope)
        .await?
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(creation_tags(
            ResourceType::ElasticIp,
            scope,
            spec.name.as_deref(),
            &spec.tags,
            spec.idempotency_token.as_deref(),
        ))
        .send()
        .await
        .map_err(|e| from_sdk("AllocateAddress", e))?;
    let address = Address {
        id: output.allocation_id().unwrap_or_default().to_owned(),
        public_ip: output.public_ip().unwrap_or_default().to_owned(),
        name: spec.name.clone(),
        association_id: None,
        instance_id: None,
        network_interface_id: None,
        private_ip_address: None,
        network_border_group: output.network_border_group().map(str::to_owned),
        region: scope.region.to_owned(),
        project_id: scope.project_id.to_owned(),
        user_id: Some(scope.user_id.to_owned()),
        tags: spec.tags.clone(),
    };
    tracing::info!(allocation_id = %address.id, "allocated address");
    driver.note_created(&address.id);
    Ok(address)
}

pub(super) async fn act(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
    action: AddressAction<'_>,
) -> Result<(), CloudError> {
    let address = get(driver, scope, id).await?;
    match action {
        AddressAction::Associate(target) => associate(driver, scope, &address, target).await,
        AddressAction::Disassociate => disassociate(driver, scope, &address).await,
    }
}

/// Describe where the address is associated, for messages.
fn association_of(address: &Address) -> String {
    match (&address.instance_id, &address.network_interface_id) {
        (Some(instance), _) => format!("instance {instance}"),
        (None, Some(interface)) => format!("network interface {interface}"),
        (None, None) => "another resource".into(),
    }
}

async fn associate(
    driver: &AwsDriver,
    scope: Scope<'_>,
    address: &Address,
    target: AssociationTarget<'_>,
) -> Result<(), CloudError> {
    let already = match target {
        AssociationTarget::Instance(instance_id) => {
            address.instance_id.as_deref() == Some(instance_id)
        }
        AssociationTarget::NetworkInterface {
            id,
            private_ip_address,
        } => {
            address.network_interface_id.as_deref() == Some(id)
                && private_ip_address
                    .is_none_or(|ip| address.private_ip_address.as_deref() == Some(ip))
        }
    };
    if address.association_id.is_some() {
        if already {
            tracing::info!(allocation_id = %address.id, "address already associated; nothing to do");
            return Ok(());
        }
        return Err(conflict(
            "address",
            "in_use",
            format!(
                "Address {} is associated with {}; disassociate it first.",
                address.id,
                association_of(address)
            ),
        ));
    }
    let request = driver
        .client(scope)
        .await?
        .associate_address()
        .allocation_id(&address.id);
    let request = match target {
        AssociationTarget::Instance(instance_id) => {
            check_instance(driver, scope, instance_id).await?;
            request.instance_id(instance_id)
        }
        AssociationTarget::NetworkInterface {
            id,
            private_ip_address,
        } => {
            check_network_interface(driver, scope, id).await?;
            request
                .network_interface_id(id)
                .set_private_ip_address(private_ip_address.map(str::to_owned))
        }
    };
    let output = request
        .send()
        .await
        .map_err(|e| from_sdk("AssociateAddress", e))?;
    tracing::info!(allocation_id = %address.id, association_id = output.association_id().unwrap_or_default(), "associated address");
    Ok(())
}

/// Check that `instance_id` is an instance of the project that can take an address.
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
                message: format!("the project has no instance {instance_id} in this region"),
            });
        }
        Err(other) => return Err(other),
    };
    if matches!(instance.state.as_str(), "shutting-down" | "terminated") {
        return Err(conflict(
            "instance",
            "invalid_state",
            format!(
                "Cannot associate an address with instance {instance_id} while it is {}.",
                instance.state
            ),
        ));
    }
    Ok(())
}

/// Check that network interface `id` belongs to the project: it carries the project's tag,
/// or it is attached to an instance of the project. Any other interface is reported as
/// missing, so that the response does not tell whether it exists.
async fn check_network_interface(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<(), CloudError> {
    let missing = || CloudError::InvalidParameter {
        field: "network_interface_id".into(),
        message: format!(
            "the project has no network interface {id} in this region: it must carry the project's tag or belong to an instance of the project"
        ),
    };
    let result = driver
        .client(scope)
        .await?
        .describe_network_interfaces()
        .network_interface_ids(id)
        .send()
        .await;
    let interface = none_if_not_found("DescribeNetworkInterfaces", result, |output| {
        output
            .network_interfaces()
            .iter()
            .find(|i| i.network_interface_id() == Some(id))
            .cloned()
    })?;
    let Some(interface) = interface else {
        return Err(missing());
    };
    let tagged = interface
        .tag_set()
        .iter()
        .any(|t| t.key() == Some(TAG_PROJECT_ID) && t.value() == Some(scope.project_id));
    if tagged {
        return Ok(());
    }
    let Some(instance_id) = interface.attachment().and_then(|a| a.instance_id()) else {
        return Err(missing());
    };
    match instances::get(driver, scope, instance_id).await {
        Ok(_) => Ok(()),
        Err(CloudError::NotFound { .. }) => Err(missing()),
        Err(other) => Err(other),
    }
}

async fn disassociate(
    driver: &AwsDriver,
    scope: Scope<'_>,
    address: &Address,
) -> Result<(), CloudError> {
    let Some(association_id) = &address.association_id else {
        tracing::info!(allocation_id = %address.id, "address not associated; nothing to do");
        return Ok(());
    };
    driver
        .client(scope)
        .await?
        .disassociate_address()
        .association_id(association_id)
        .send()
        .await
        .map_err(|e| from_sdk("DisassociateAddress", e))?;
    tracing::info!(allocation_id = %address.id, association_id = %association_id, "disassociated address");
    Ok(())
}

pub(super) async fn release(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<(), CloudError> {
    let address = get(driver, scope, id).await?;
    // EC2 refuses to release an associated address of a VPC, while the emulator would
    // disassociate it silently, so the service checks first.
    if address.association_id.is_some() {
        return Err(conflict(
            "address",
            "in_use",
            format!(
                "Address {id} is associated with {}; disassociate it first.",
                association_of(&address)
            ),
        ));
    }
    driver
        .client(scope)
        .await?
        .release_address()
        .allocation_id(id)
        .send()
        .await
        .map_err(|e| from_sdk("ReleaseAddress", e))?;
    tracing::info!(allocation_id = id, "released address");
    Ok(())
}

fn convert(source: &ec2::Address, scope: Scope<'_>) -> Address {
    let (tags, name) = read_tags(source.tags());
    let non_empty = |value: Option<&str>| value.filter(|v| !v.is_empty()).map(str::to_owned);
    Address {
        id: source.allocation_id().unwrap_or_default().to_owned(),
        public_ip: source.public_ip().unwrap_or_default().to_owned(),
        name,
        association_id: non_empty(source.association_id()),
        instance_id: non_empty(source.instance_id()),
        network_interface_id: non_empty(source.network_interface_id()),
        private_ip_address: non_empty(source.private_ip_address()),
        network_border_group: non_empty(source.network_border_group()),
        region: scope.region.to_owned(),
        project_id: tags.project_id,
        user_id: tags.user_id,
        tags: tags.user_tags,
    }
}

#[async_trait]
impl AddressDriver for AwsDriver {
    async fn list_addresses(
        &self,
        scope: Scope<'_>,
        filter: &AddressFilter,
    ) -> Result<Vec<Address>, CloudError> {
        list(self, scope, filter).await
    }

    async fn get_address(&self, scope: Scope<'_>, id: &str) -> Result<Address, CloudError> {
        get(self, scope, id).await
    }

    async fn allocate_address(
        &self,
        scope: Scope<'_>,
        spec: &AddressSpec,
    ) -> Result<Address, CloudError> {
        allocate(self, scope, spec).await
    }

    async fn address_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: AddressAction<'_>,
    ) -> Result<(), CloudError> {
        act(self, scope, id, action).await
    }

    async fn release_address(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        release(self, scope, id).await
    }
}
