//! Enforcement of the per-project guardrails of the tenant mapping before a launch or a start:
//! allowed instance types and image owners, and the instance and vCPU limits over what the
//! project already runs in all of its allowed regions. A breach is a 403 that names the
//! request, the limit and the current usage.
//!
//! Within one process, the launches and starts of a project take turns: each keeps the
//! project's [`CapacityHold`] from its count until EC2 has accepted it, so two requests cannot
//! both take the last free instance.
//!
//! NOTE: two processes of the service (several API workers or hosts) count independently, so
//! launches of one project served by different processes at the same moment may both pass. The
//! limits guard against mistakes and runaway scripts; they are not an exact quota.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use super::error::ApiError;
use crate::cloud::{CloudDriver, InstanceFilter, Scope};
use crate::tenancy::guardrails::{Demand, Usage, Violation};

/// One lock per project, taken by each launch or start that the capacity limits apply to.
#[derive(Default)]
pub struct CapacityLocks {
    projects: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CapacityLocks {
    /// Waits for the project's earlier launches and starts to finish, and returns the hold that
    /// makes later ones wait for this one. Projects without capacity limits never wait.
    async fn hold(&self, scope: Scope<'_>) -> CapacityHold {
        if !scope.tenant.guardrails.limits_capacity() {
            return CapacityHold { _guard: None };
        }
        let lock = self
            .projects
            .lock()
            .expect("capacity lock table poisoned")
            .entry(scope.project_id.to_owned())
            .or_default()
            .clone();
        CapacityHold {
            _guard: Some(lock.lock_owned().await),
        }
    }
}

/// A passed capacity check. Keep it until EC2 has accepted the launch or start it allowed.
#[must_use = "drop the hold only after EC2 has accepted the launch or start"]
pub struct CapacityHold {
    /// Held only for its drop, which lets the project's next launch or start count.
    _guard: Option<OwnedMutexGuard<()>>,
}

/// Instance states that count against the limits.
const ACTIVE_STATES: [&str; 3] = ["pending", "running", "stopping"];

/// Checks a launch of `count` instances of `instance_type` from `image_id`.
pub async fn check_launch(
    locks: &CapacityLocks,
    driver: &dyn CloudDriver,
    scope: Scope<'_>,
    image_id: &str,
    instance_type: &str,
    count: u32,
) -> Result<CapacityHold, ApiError> {
    let rails = &scope.tenant.guardrails;
    rails.check_instance_type(instance_type).map_err(denied)?;
    if !rails.allowed_image_owners.is_empty()
        && !driver
            .image_owned_by(scope, image_id, &rails.allowed_image_owners)
            .await?
    {
        return Err(denied(Violation::ImageOwner {
            image_id: image_id.to_owned(),
            allowed: rails.allowed_image_owners.clone(),
        }));
    }
    let hold = locks.hold(scope).await;
    check_capacity(driver, scope, instance_type, count).await?;
    Ok(hold)
}

/// Checks starting one stopped instance of `instance_type`.
pub async fn check_start(
    locks: &CapacityLocks,
    driver: &dyn CloudDriver,
    scope: Scope<'_>,
    instance_type: &str,
) -> Result<CapacityHold, ApiError> {
    let hold = locks.hold(scope).await;
    check_capacity(driver, scope, instance_type, 1).await?;
    Ok(hold)
}

/// Checks changing a stopped instance to `instance_type`: the type must be allowed, and
/// starting the instance with it must fit the instance and vCPU limits. A resize uses no
/// capacity itself, so it takes no hold.
pub async fn check_resize(
    driver: &dyn CloudDriver,
    scope: Scope<'_>,
    instance_type: &str,
) -> Result<(), ApiError> {
    let rails = &scope.tenant.guardrails;
    rails.check_instance_type(instance_type).map_err(denied)?;
    check_capacity(driver, scope, instance_type, 1).await
}

async fn check_capacity(
    driver: &dyn CloudDriver,
    scope: Scope<'_>,
    instance_type: &str,
    count: u32,
) -> Result<(), ApiError> {
    let rails = &scope.tenant.guardrails;
    if !rails.limits_capacity() {
        return Ok(());
    }
    // The limits hold for the project as a whole, so every region it may use counts.
    let mut usage = Usage::default();
    let mut requested_vcpus = 1;
    for region in &scope.tenant.allowed_regions {
        let in_region = Scope { region, ..scope };
        let vcpus = vcpus_by_type(driver, in_region).await?;
        let per_instance = |name: &str| vcpus.get(name).copied().unwrap_or(1);
        if region == scope.region {
            requested_vcpus = per_instance(instance_type);
        }
        let instances = driver
            .list_instances(in_region, &InstanceFilter::default())
            .await?;
        let active = instances
            .iter()
            .filter(|i| ACTIVE_STATES.contains(&i.state.as_str()));
        for instance in active {
            usage.instances += 1;
            usage.vcpus += per_instance(&instance.instance_type);
        }
    }
    let demand = Demand {
        instances: count,
        instance_type,
        vcpus_per_instance: requested_vcpus,
    };
    rails.check_capacity(demand, usage).map_err(denied)
}

async fn vcpus_by_type(
    driver: &dyn CloudDriver,
    scope: Scope<'_>,
) -> Result<HashMap<String, u32>, ApiError> {
    let types = driver.list_instance_types(scope).await?;
    Ok(types
        .iter()
        .filter_map(|t| Some((t.name.clone(), u32::try_from(t.vcpus?).ok()?)))
        .collect())
}

fn denied(violation: Violation) -> ApiError {
    ApiError::forbidden(
        violation.code(),
        format!(
            "Refused by this project's guardrails: {violation}. Ask the cloud administrator to change the tenant mapping if you need more."
        ),
    )
}
