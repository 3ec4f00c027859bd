//! EC2 instances, confined to the calling project by the `aws-hybrid:project-id` tag.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::{self as ec2, Filter, ResourceType, Tag, TagSpecification};

use super::errors::{from_sdk, none_if_not_found};
use super::pages::collect_pages;
use super::{AwsDriver, launch_options};
use crate::cloud::{
    CloudError, Instance, InstanceAction, InstanceFilter, LaunchSpec, Scope, TAG_PREFIX,
    TAG_PROJECT_ID, TAG_REQUEST_ID, TAG_USER_ID,
};

/// Guard against an endpoint that keeps sending a next-page token.
const MAX_PAGES: usize = 10_000;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

pub(super) async fn list(
    driver: &AwsDriver,
    scope: Scope<'_>,
    wanted: &InstanceFilter,
) -> Result<Vec<Instance>, CloudError> {
    let all = driver
        .coalesced_walk(scope, || walk_account(driver, scope))
        .await?;
    let matches = |expected: &Option<String>, actual: Option<&str>| {
        expected.as_deref().is_none_or(|e| actual == Some(e))
    };
    let walked = all
        .iter()
        .filter(|i| i.project_id == scope.project_id)
        .cloned()
        .collect();
    Ok(with_recent_launches(walked, driver.recent_launches(scope))
        .into_iter()
        .filter(|i| matches(&wanted.state, Some(&i.state)))
        .filter(|i| matches(&wanted.name, i.name.as_deref()))
        .filter(|i| matches(&wanted.instance_type, Some(&i.instance_type)))
        .filter(|i| matches(&wanted.image_id, i.image_id.as_deref()))
        .collect())
}

/// Adds to `walked` (sorted by id) the launch records in `recent` that EC2 did not list yet,
/// so that a list, and the guardrails counting with it, see a launch from the moment EC2
/// accepted it.
fn with_recent_launches(mut walked: Vec<Instance>, recent: Vec<Instance>) -> Vec<Instance> {
    let missing: Vec<Instance> = recent
        .into_iter()
        .filter(|r| walked.binary_search_by(|w| w.id.cmp(&r.id)).is_err())
        .collect();
    if !missing.is_empty() {
        walked.extend(missing);
        walked.sort_by(|a, b| a.id.cmp(&b.id));
    }
    walked
}

/// List the project's instances that RunInstances made with `client_token`, in ascending id
/// order. EC2 keeps a client token for at least 24 hours after the launch.
pub(super) async fn launched_with(
    driver: &AwsDriver,
    scope: Scope<'_>,
    client_token: &str,
) -> Result<Vec<Instance>, CloudError> {
    let filters = vec![
        filter("client-token", client_token),
        filter(&format!("tag:{TAG_PROJECT_ID}"), scope.project_id),
    ];
    describe_all(driver, scope, filters).await
}

/// Walk every instance the service created in the scope's account and region, of all
/// projects, and return them in ascending id order. One walk serves every project mapped to the account, which is what
/// lets concurrent lists share it.
async fn walk_account(
    driver: &AwsDriver,
    scope: Scope<'_>,
) -> Result<Arc<Vec<Instance>>, CloudError> {
    let filters = vec![filter("tag-key", TAG_PROJECT_ID)];
    Ok(Arc::new(describe_all(driver, scope, filters).await?))
}

/// Walk DescribeInstances with `filters` to the last page, and return the instances in
/// ascending id order.
async fn describe_all(
    driver: &AwsDriver,
    scope: Scope<'_>,
    filters: Vec<Filter>,
) -> Result<Vec<Instance>, CloudError> {
    let client = driver.client(scope).await?;
    let mut instances = collect_pages(
        "DescribeInstances",
        MAX_PAGES,
        |token| {
            client
                .describe_instances()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| {
            page.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .map(|i| convert(i, scope))
                .collect()
        },
        DescribeInstancesOutput::next_token,
    )
    .await?;
    instances.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(instances)
}

/// Describe one instance of the project. An instance of another project, or one EC2 does not
/// know yet, is not found, except one this project launched moments ago.
pub(super) async fn get(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<Instance, CloudError> {
    let not_found = || CloudError::NotFound {
        resource: "instance",
        id: id.to_owned(),
    };
    let result = driver
        .client(scope)
        .await?
        .describe_instances()
        .instance_ids(id)
        .send()
        .await;
    let found = none_if_not_found("DescribeInstances", result, |output| {
        output
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(id))
            .map(|i| convert(i, scope))
    })?;
    match found {
        Some(instance) if instance.project_id == scope.project_id => Ok(instance),
        Some(_) => Err(not_found()),
        None => driver.recent_launch(scope, id).ok_or_else(not_found),
    }
}

pub(super) async fn launch(
    driver: &AwsDriver,
    scope: Scope<'_>,
    spec: &LaunchSpec,
) -> Result<Vec<Instance>, CloudError> {
    let mut tags = vec![
        tag(TAG_PROJECT_ID, scope.project_id),
        tag(TAG_USER_ID, scope.user_id),
    ];
    let defer_request_id = launch_options::defers_request_id_tag(spec, scope);
    if !defer_request_id {
        tags.push(tag(TAG_REQUEST_ID, scope.request_id));
    }
    if let Some(name) = &spec.name {
        tags.push(tag("Name", name));
    }
    tags.extend(spec.tags.iter().map(|(k, v)| tag(k, v)));
    let tag_spec = |kind: ResourceType| {
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(tags.clone()))
            .build()
    };
    let placement = spec
        .availability_zone
        .as_ref()
        .map(|zone| ec2::Placement::builder().availability_zone(zone).build());
    let security_groups =
        (!spec.security_group_ids.is_empty()).then(|| spec.security_group_ids.clone());
    let output = driver
        .client(scope)
        .await?
        .run_instances()
        .image_id(&spec.image_id)
        .instance_type(ec2::InstanceType::from(spec.instance_type.as_str()))
        .min_count(spec.count)
        .max_count(spec.count)
        .set_key_name(spec.key_name.clone())
        .set_security_group_ids(security_groups)
        .set_subnet_id(spec.subnet_id.clone())
        .set_placement(placement)
        .set_user_data(spec.user_data.clone())
        .set_block_device_mappings(launch_options::block_device_mappings(spec))
        .metadata_options(launch_options::metadata_options(&driver.opts))
        .client_token(&spec.client_token)
        .tag_specifications(tag_spec(ResourceType::Instance))
        .tag_specifications(tag_spec(ResourceType::Volume))
        .send()
        .await
        .map_err(|e| referenced_resource_error(from_sdk("RunInstances", e)))?;
    if defer_request_id {
        launch_options::tag_request_id(driver, scope, output.instances()).await?;
    }
    let launched: Vec<Instance> = output
        .instances()
        .iter()
        .map(|i| convert(i, scope))
        .collect();
    for instance in &launched {
        driver.remember_launch(instance);
        tracing::info!(instance_id = %instance.id, "launched instance");
    }
    Ok(launched)
}

/// Report a missing resource named in a launch request as a 400: the body is wrong, not the URL.
fn referenced_resource_error(error: CloudError) -> CloudError {
    match error {
        CloudError::NotFound { resource, .. } => CloudError::InvalidParameter {
            field: match resource {
                "image" => "image_id",
                "key pair" => "key_name",
                "security group" => "security_group_ids",
                "subnet" => "subnet_id",
                _ => "request",
            }
            .into(),
            message: format!(
                "the {resource} named in the request does not exist in this project's AWS account"
            ),
        },
        other => other,
    }
}

pub(super) async fn act(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
    action: InstanceAction,
) -> Result<(), CloudError> {
    let instance = get(driver, scope, id).await?;
    let state = instance.state.as_str();
    let call = match (action, state) {
        (InstanceAction::Start, "running" | "pending")
        | (InstanceAction::Stop, "stopped" | "stopping") => {
            tracing::info!(
                instance_id = id,
                state,
                action = action.as_str(),
                "action already done; nothing to do"
            );
            return Ok(());
        }
        (InstanceAction::Start, "stopped") => "StartInstances",
        (InstanceAction::Stop, "running" | "pending") => "StopInstances",
        (InstanceAction::Reboot, "running") => "RebootInstances",
        _ => return Err(invalid_state(id, state, action)),
    };
    let client = driver.client(scope).await?;
    let result = match action {
        InstanceAction::Start => client
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk(call, e)),
        InstanceAction::Stop => client
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk(call, e)),
        InstanceAction::Reboot => client
            .reboot_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk(call, e)),
    };
    match result {
        Ok(()) => {
            tracing::info!(
                instance_id = id,
                action = action.as_str(),
                "instance action sent"
            );
            Ok(())
        }
        // EC2 saw another state than we did; report the one it has now.
        Err(CloudError::InvalidState { .. }) => {
            let current = get(driver, scope, id).await?;
            Err(invalid_state(id, &current.state, action))
        }
        Err(other) => Err(other),
    }
}

fn invalid_state(id: &str, state: &str, action: InstanceAction) -> CloudError {
    CloudError::InvalidState {
        id: id.to_owned(),
        state: state.to_owned(),
        action: action.as_str(),
    }
}

pub(super) async fn terminate(
    driver: &AwsDriver,
    scope: Scope<'_>,
    id: &str,
) -> Result<(), CloudError> {
    let instance = get(driver, scope, id).await?;
    if instance.state == "terminated" {
        return Ok(());
    }
    let result = driver
        .client(scope)
        .await?
        .terminate_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| from_sdk("TerminateInstances", e));
    match result {
        Ok(_) => {}
        // EC2 saw a state that does not allow termination; report the one it has now.
        Err(CloudError::InvalidState { .. }) => {
            let current = get(driver, scope, id).await?;
            return Err(CloudError::InvalidState {
                id: id.to_owned(),
                state: current.state,
                action: "terminate",
            });
        }
        Err(other) => return Err(other),
    }
    // A terminated instance must not come back in lists from its launch record.
    driver.forget_launch(id);
    tracing::info!(instance_id = id, "terminating instance");
    Ok(())
}

fn convert(source: &ec2::Instance, scope: Scope<'_>) -> Instance {
    let mut tags = BTreeMap::new();
    let mut name = None;
    let mut project_id = String::new();
    let mut user_id = None;
    for t in source.tags() {
        let (Some(key), Some(value)) = (t.key(), t.value()) else {
            continue;
        };
        match key {
            TAG_PROJECT_ID => project_id = value.to_owned(),
            TAG_USER_ID => user_id = Some(value.to_owned()),
            "Name" => name = Some(value.to_owned()),
            _ if key.starts_with(TAG_PREFIX) => {}
            _ => {
                tags.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    let placement = source.placement();
    Instance {
        id: source.instance_id().unwrap_or_default().to_owned(),
        name,
        state: source
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| "pending".into()),
        instance_type: source
            .instance_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        image_id: source.image_id().map(str::to_owned),
        key_name: source.key_name().map(str::to_owned),
        availability_zone: placement
            .and_then(|p| p.availability_zone())
            .map(str::to_owned),
        subnet_id: source.subnet_id().map(str::to_owned),
        vpc_id: source.vpc_id().map(str::to_owned),
        private_ip_address: source.private_ip_address().map(str::to_owned),
        public_ip_address: source.public_ip_address().map(str::to_owned),
        security_group_ids: source
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        launched_at: source
            .launch_time()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        region: scope.region.to_owned(),
        project_id,
        user_id,
        tags,
        metadata_options: launch_options::metadata_options_of(source),
        block_device_mappings: launch_options::attached_volumes(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, state: &str) -> Instance {
        Instance {
            id: id.to_owned(),
            name: None,
            state: state.to_owned(),
            instance_type: "t3.micro".into(),
            image_id: None,
            key_name: None,
            availability_zone: None,
            subnet_id: None,
            vpc_id: None,
            private_ip_address: None,
            public_ip_address: None,
            security_group_ids: Vec::new(),
            launched_at: None,
            region: "r1".into(),
            project_id: "p1".into(),
            user_id: None,
            tags: BTreeMap::new(),
            metadata_options: None,
            block_device_mappings: Vec::new(),
        }
    }

    #[test]
    fn recent_launch_missing_from_ec2_is_listed() {
        let walked = vec![instance("i-1", "running"), instance("i-3", "running")];
        let recent = vec![instance("i-2", "pending")];

        let listed = with_recent_launches(walked, recent);

        let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["i-1", "i-2", "i-3"]);
        assert_eq!(listed[1].state, "pending");
    }

    #[test]
    fn recent_launch_listed_by_ec2_keeps_ec2_state() {
        let walked = vec![instance("i-1", "running")];
        let recent = vec![instance("i-1", "pending")];

        let listed = with_recent_launches(walked, recent);

        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].state, "running");
    }
}
