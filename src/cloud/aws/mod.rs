//! The AWS driver: EC2 through aws-sdk-ec2, one client per (access key, region), built only from
//! the tenant mapping's keys, an explicit region and the configured endpoint, so the SDK never
//! reads the environment, profile files or the instance metadata service.

mod catalog;
mod errors;
mod instances;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::config::timeout::TimeoutConfig;
use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region as SdkRegion};
use tokio::sync::OnceCell;

use super::{
    AvailabilityZone, CloudDriver, CloudError, Image, ImageFilter, Instance, InstanceAction,
    InstanceFilter, InstanceType, LaunchSpec, Region, Scope,
};
use crate::config::AwsOpts;

/// How long a launched instance is remembered, so that a read during EC2's eventual-consistency
/// window shows the new instance instead of a 404.
const RECENT_LAUNCH_MEMORY: Duration = Duration::from_secs(300);
/// Instance types change rarely; one DescribeInstanceTypes walk per region per hour is enough.
const INSTANCE_TYPE_CACHE_TIME: Duration = Duration::from_secs(3600);

/// Clients and caches are per (access key id, region).
type ClientKey = (String, String);
type InstanceTypeCache = HashMap<ClientKey, (Arc<Vec<InstanceType>>, Instant)>;
/// An instance walk of one account and region that concurrent callers share.
type Walk = Arc<OnceCell<Result<Arc<Vec<Instance>>, CloudError>>>;

pub struct AwsDriver {
    opts: AwsOpts,
    clients: Mutex<HashMap<ClientKey, aws_sdk_ec2::Client>>,
    recent_launches: Mutex<HashMap<String, (Instance, Instant)>>,
    instance_types: Mutex<InstanceTypeCache>,
    walks: Mutex<HashMap<ClientKey, Walk>>,
}

impl AwsDriver {
    pub fn new(opts: &AwsOpts) -> Self {
        Self {
            opts: opts.clone(),
            clients: Mutex::new(HashMap::new()),
            recent_launches: Mutex::new(HashMap::new()),
            instance_types: Mutex::new(HashMap::new()),
            walks: Mutex::new(HashMap::new()),
        }
    }

    /// Return the EC2 client for the scope's account and region. Every project mapped to the
    /// same access key shares it, and so shares the SDK's retry budget.
    fn client(&self, scope: Scope<'_>) -> aws_sdk_ec2::Client {
        let key = (scope.tenant.access_key_id.clone(), scope.region.to_owned());
        let mut clients = self.clients.lock().expect("client cache lock poisoned");
        if let Some(client) = clients.get(&key) {
            return client.clone();
        }
        let client = aws_sdk_ec2::Client::from_conf(self.client_config(scope));
        clients.insert(key, client.clone());
        client
    }

    fn client_config(&self, scope: Scope<'_>) -> aws_sdk_ec2::Config {
        let credentials = Credentials::new(
            scope.tenant.access_key_id.clone(),
            scope.tenant.secret_access_key.expose().to_owned(),
            None,
            None,
            "aws-hybrid-tenant-mapping",
        );
        let retry = RetryConfig::standard()
            .with_max_attempts(self.opts.max_attempts)
            .with_initial_backoff(Duration::from_millis(self.opts.retry_initial_backoff_ms))
            .with_max_backoff(Duration::from_millis(self.opts.retry_max_backoff_ms));
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(Duration::from_secs(self.opts.operation_timeout))
            .connect_timeout(Duration::from_secs(10))
            .build();
        let mut builder = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(scope.region.to_owned()))
            .credentials_provider(credentials)
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(endpoint) = &self.opts.endpoint_url {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build()
    }

    /// Run `walk`, or join the walk of the same account and region already under way, so that
    /// identical concurrent lists make one DescribeInstances walk instead of one each. A walk is
    /// shared only while it runs: a list that starts after it ends makes a new one.
    async fn coalesced_walk<F, Fut>(
        &self,
        scope: Scope<'_>,
        walk: F,
    ) -> Result<Arc<Vec<Instance>>, CloudError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<Vec<Instance>>, CloudError>>,
    {
        let key = (scope.tenant.access_key_id.clone(), scope.region.to_owned());
        let shared = self
            .walks
            .lock()
            .expect("walk table lock poisoned")
            .entry(key.clone())
            .or_default()
            .clone();
        let result = shared.get_or_init(walk).await.clone();
        let mut walks = self.walks.lock().expect("walk table lock poisoned");
        if walks
            .get(&key)
            .is_some_and(|current| Arc::ptr_eq(current, &shared))
        {
            walks.remove(&key);
        }
        result
    }

    fn remember_launch(&self, instance: &Instance) {
        let mut recent = self
            .recent_launches
            .lock()
            .expect("launch memory lock poisoned");
        let now = Instant::now();
        recent.retain(|_, (_, at)| now.duration_since(*at) < RECENT_LAUNCH_MEMORY);
        recent.insert(instance.id.clone(), (instance.clone(), now));
    }

    /// Return the launch record of `id` if this project launched it in the last few minutes.
    fn recent_launch(&self, project_id: &str, id: &str) -> Option<Instance> {
        let recent = self
            .recent_launches
            .lock()
            .expect("launch memory lock poisoned");
        recent
            .get(id)
            .filter(|(instance, at)| {
                instance.project_id == project_id && at.elapsed() < RECENT_LAUNCH_MEMORY
            })
            .map(|(instance, _)| instance.clone())
    }
}

#[async_trait]
impl CloudDriver for AwsDriver {
    async fn list_instances(
        &self,
        scope: Scope<'_>,
        filter: &InstanceFilter,
    ) -> Result<Vec<Instance>, CloudError> {
        instances::list(self, scope, filter).await
    }

    async fn get_instance(&self, scope: Scope<'_>, id: &str) -> Result<Instance, CloudError> {
        instances::get(self, scope, id).await
    }

    async fn launch_instances(
        &self,
        scope: Scope<'_>,
        spec: &LaunchSpec,
    ) -> Result<Vec<Instance>, CloudError> {
        instances::launch(self, scope, spec).await
    }

    async fn instance_action(
        &self,
        scope: Scope<'_>,
        id: &str,
        action: InstanceAction,
    ) -> Result<(), CloudError> {
        instances::act(self, scope, id, action).await
    }

    async fn terminate_instance(&self, scope: Scope<'_>, id: &str) -> Result<(), CloudError> {
        instances::terminate(self, scope, id).await
    }

    async fn list_regions(&self, scope: Scope<'_>) -> Result<Vec<Region>, CloudError> {
        catalog::regions(self, scope).await
    }

    async fn list_availability_zones(
        &self,
        scope: Scope<'_>,
    ) -> Result<Vec<AvailabilityZone>, CloudError> {
        catalog::availability_zones(self, scope).await
    }

    async fn list_instance_types(
        &self,
        scope: Scope<'_>,
    ) -> Result<Arc<Vec<InstanceType>>, CloudError> {
        let key = (scope.tenant.access_key_id.clone(), scope.region.to_owned());
        let cached = self
            .instance_types
            .lock()
            .expect("type cache lock poisoned")
            .get(&key)
            .filter(|(_, at)| at.elapsed() < INSTANCE_TYPE_CACHE_TIME)
            .map(|(types, _)| types.clone());
        if let Some(types) = cached {
            return Ok(types);
        }
        let types = Arc::new(catalog::instance_types(self, scope).await?);
        self.instance_types
            .lock()
            .expect("type cache lock poisoned")
            .insert(key, (types.clone(), Instant::now()));
        Ok(types)
    }

    async fn list_images(
        &self,
        scope: Scope<'_>,
        filter: &ImageFilter,
    ) -> Result<Vec<Image>, CloudError> {
        catalog::images(self, scope, filter).await
    }

    async fn get_image(&self, scope: Scope<'_>, id: &str) -> Result<Image, CloudError> {
        catalog::image(self, scope, id).await
    }

    fn versions(&self) -> Vec<(&'static str, &'static str)> {
        vec![("aws-sdk-ec2", aws_sdk_ec2::meta::PKG_VERSION)]
    }
}
