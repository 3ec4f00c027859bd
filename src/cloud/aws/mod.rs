//! The AWS driver: EC2 through aws-sdk-ec2, one client per account and region, built only from
//! the tenant mapping's keys or an assumed role's session, an explicit region and the configured
//! endpoint, so the SDK never reads the environment, profile files or the instance metadata
//! service.

mod addresses;
mod catalog;
pub mod consistency;
pub mod credentials;
mod errors;
mod images;
mod instance_operations;
mod instances;
mod key_pairs;
mod launch_options;
mod networks;
mod pages;
mod rule_ids;
mod security_groups;
mod snapshots;
mod tags;
mod volumes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::config::timeout::TimeoutConfig;
use aws_sdk_ec2::config::{
    BehaviorVersion, Credentials, IdentityCache, ProvideCredentials, Region as SdkRegion,
    SharedCredentialsProvider,
};
use tokio::sync::OnceCell;

use credentials::RoleSessions;

use super::{
    AvailabilityZone, CloudDriver, CloudError, Image, ImageFilter, Instance, InstanceAction,
    InstanceFilter, InstanceType, LaunchSpec, Region, Scope,
};
use crate::config::AwsOpts;
use crate::tenancy::TenantCredentials;

/// How long a launched instance is remembered, so that a read during EC2's eventual-consistency
/// window shows the new instance instead of a 404.
const RECENT_LAUNCH_MEMORY: Duration = Duration::from_secs(300);
/// Instance types change rarely; one DescribeInstanceTypes walk per region per hour is enough.
const INSTANCE_TYPE_CACHE_TIME: Duration = Duration::from_secs(3600);

/// Caches are per (account key, region); see [`crate::tenancy::TenantEntry::account_key`].
type ClientKey = (String, String);
type InstanceTypeCache = HashMap<ClientKey, (Arc<Vec<InstanceType>>, Instant)>;
/// An instance walk of one account and region that concurrent callers share.
type Walk = Arc<OnceCell<Result<Arc<Vec<Instance>>, CloudError>>>;

pub struct AwsDriver {
    opts: AwsOpts,
    sessions: Arc<RoleSessions>,
    /// Clients per (account key, region, user ID); the user ID is empty for keys, since only
    /// role sessions differ between users.
    clients: Mutex<HashMap<(String, String, String), aws_sdk_ec2::Client>>,
    recent_launches: Mutex<HashMap<String, (Instance, Instant)>>,
    /// IDs of resources other than instances that this process created, and when.
    recent_creates: Mutex<HashMap<String, Instant>>,
    instance_types: Mutex<InstanceTypeCache>,
    walks: Mutex<HashMap<ClientKey, Walk>>,
    known_rules: rule_ids::KnownRules,
}

impl AwsDriver {
    pub fn new(opts: &AwsOpts, sessions: Arc<RoleSessions>) -> Self {
        Self {
            opts: opts.clone(),
            sessions,
            clients: Mutex::new(HashMap::new()),
            recent_launches: Mutex::new(HashMap::new()),
            recent_creates: Mutex::new(HashMap::new()),
            instance_types: Mutex::new(HashMap::new()),
            walks: Mutex::new(HashMap::new()),
            known_rules: rule_ids::KnownRules::default(),
        }
    }

    /// Return the EC2 client for the scope's account and region. Every project mapped to the
    /// same access key shares it, and so shares the SDK's retry budget. For a role, this first
    /// makes sure a session exists, so that a refused role is reported as such.
    async fn client(&self, scope: Scope<'_>) -> Result<aws_sdk_ec2::Client, CloudError> {
        let user = match &scope.tenant.credentials {
            TenantCredentials::Keys { .. } => String::new(),
            TenantCredentials::Role { role_arn } => {
                self.sessions
                    .credentials(scope.project_id, role_arn, scope.user_id)
                    .await?;
                scope.user_id.to_owned()
            }
        };
        let key = (scope.tenant.account_key(), scope.region.to_owned(), user);
        let mut clients = self.clients.lock().expect("client cache lock poisoned");
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = aws_sdk_ec2::Client::from_conf(self.client_config(scope));
        clients.insert(key, client.clone());
        Ok(client)
    }

    fn client_config(&self, scope: Scope<'_>) -> aws_sdk_ec2::Config {
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
            .retry_config(retry)
            .timeout_config(timeouts);
        builder = match &scope.tenant.credentials {
            TenantCredentials::Keys {
                access_key_id,
                secret_access_key,
            } => builder.credentials_provider(Credentials::new(
                access_key_id.clone(),
                secret_access_key.expose().to_owned(),
                None,
                None,
                "aws-hybrid-tenant-mapping",
            )),
            // The session cache decides when to renew, so the SDK must not cache on its own.
            TenantCredentials::Role { role_arn } => builder
                .identity_cache(IdentityCache::no_cache())
                .credentials_provider(SharedCredentialsProvider::new(SessionProvider {
                    sessions: self.sessions.clone(),
                    project_id: scope.project_id.to_owned(),
                    role_arn: role_arn.clone(),
                    user_id: scope.user_id.to_owned(),
                })),
        };
        if let Some(endpoint) = &self.opts.endpoint_url {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build()
    }

    /// Asks STS who the scope's credentials belong to.
    async fn caller_identity_of(&self, scope: Scope<'_>) -> Result<(String, String), CloudError> {
        let credentials = match &scope.tenant.credentials {
            TenantCredentials::Keys {
                access_key_id,
                secret_access_key,
            } => Credentials::new(
                access_key_id.clone(),
                secret_access_key.expose().to_owned(),
                None,
                None,
                "aws-hybrid-tenant-mapping",
            ),
            TenantCredentials::Role { role_arn } => {
                self.sessions
                    .credentials(scope.project_id, role_arn, scope.user_id)
                    .await?
            }
        };
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(scope.region.to_owned()))
            .credentials_provider(credentials);
        if let Some(endpoint) = &self.opts.endpoint_url {
            builder = builder.endpoint_url(endpoint);
        }
        let output = aws_sdk_sts::Client::from_conf(builder.build())
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| errors::from_sdk("GetCallerIdentity", e))?;
        Ok((
            output.account().unwrap_or_default().to_owned(),
            output.arn().unwrap_or_default().to_owned(),
        ))
    }

    /// Forgets every client and role session, after the tenant mapping changed.
    pub fn forget_clients(&self) {
        self.clients
            .lock()
            .expect("client cache lock poisoned")
            .clear();
        self.sessions.clear();
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
        let key = (scope.tenant.account_key(), scope.region.to_owned());
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

    fn forget_launch(&self, id: &str) {
        self.recent_launches
            .lock()
            .expect("launch memory lock poisoned")
            .remove(id);
    }

    /// Remembers that this process created resource `id`, so that reads in EC2's
    /// eventual-consistency window retry a NotFound (see [`AwsDriver::lookup`]).
    fn note_created(&self, id: &str) {
        let mut recent = self
            .recent_creates
            .lock()
            .expect("create memory lock poisoned");
        let now = Instant::now();
        recent.retain(|_, at| now.duration_since(*at) < RECENT_LAUNCH_MEMORY);
        recent.insert(id.to_owned(), now);
    }

    /// Runs a read of resource `id`. For a resource created in the last few minutes, a
    /// NotFound is retried a bounded number of times, since EC2 may not list it yet. For any
    /// other, NotFound is returned at once.
    async fn lookup<T, F, Fut>(&self, id: &str, read: F) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        let recent = self
            .recent_creates
            .lock()
            .expect("create memory lock poisoned")
            .get(id)
            .is_some_and(|at| at.elapsed() < RECENT_LAUNCH_MEMORY);
        if recent {
            consistency::retry_not_found(read).await
        } else {
            let mut read = read;
            read().await
        }
    }

    /// Returns the launch records of the instances this project launched in the scope's region
    /// in the last few minutes.
    fn recent_launches(&self, scope: Scope<'_>) -> Vec<Instance> {
        let recent = self
            .recent_launches
            .lock()
            .expect("launch memory lock poisoned");
        recent
            .values()
            .filter(|(instance, at)| {
                instance.project_id == scope.project_id
                    && instance.region == scope.region
                    && at.elapsed() < RECENT_LAUNCH_MEMORY
            })
            .map(|(instance, _)| instance.clone())
            .collect()
    }

    /// Return the launch record of `id` if this project launched it in the scope's region in the
    /// last few minutes.
    fn recent_launch(&self, scope: Scope<'_>, id: &str) -> Option<Instance> {
        let recent = self
            .recent_launches
            .lock()
            .expect("launch memory lock poisoned");
        recent
            .get(id)
            .filter(|(instance, at)| {
                instance.project_id == scope.project_id
                    && instance.region == scope.region
                    && at.elapsed() < RECENT_LAUNCH_MEMORY
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

    async fn instances_launched_with(
        &self,
        scope: Scope<'_>,
        client_token: &str,
    ) -> Result<Vec<Instance>, CloudError> {
        instances::launched_with(self, scope, client_token).await
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
        let key = (scope.tenant.account_key(), scope.region.to_owned());
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

    async fn image_owned_by(
        &self,
        scope: Scope<'_>,
        id: &str,
        owners: &[String],
    ) -> Result<bool, CloudError> {
        catalog::image_owned_by(self, scope, id, owners).await
    }

    async fn caller_identity(&self, scope: Scope<'_>) -> Result<(String, String), CloudError> {
        self.caller_identity_of(scope).await
    }

    fn forget_credentials(&self) {
        self.forget_clients();
    }

    fn versions(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("aws-sdk-ec2", aws_sdk_ec2::meta::PKG_VERSION),
            ("aws-sdk-sts", aws_sdk_sts::meta::PKG_VERSION),
        ]
    }
}

/// Credentials of a role session, read from [`RoleSessions`] on every request.
struct SessionProvider {
    sessions: Arc<RoleSessions>,
    project_id: String,
    role_arn: String,
    user_id: String,
}

impl std::fmt::Debug for SessionProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionProvider")
            .field("project_id", &self.project_id)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for SessionProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            self.sessions
                .credentials(&self.project_id, &self.role_arn, &self.user_id)
                .await
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}
