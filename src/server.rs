//! Start-up and shutdown of the API service.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{self, AppState};
use crate::auth::Authenticator;
use crate::cloud::{self, UnknownDriver};
use crate::config::Config;
use crate::oidc::{Signer, SignerError};
use crate::policy::{Policy, PolicyError};
use crate::tenancy::{MappingError, TenantMap};

/// Start-up failure. Each message names the setting and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("tenant mapping file: {0}")]
    Mapping(#[from] MappingError),
    #[error("{0}")]
    Driver(#[from] UnknownDriver),
    #[error("policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("the tenant mapping names role_arn, but roles cannot be assumed: {0}")]
    RoleAccess(String),
    #[error("{0}")]
    Signer(#[from] SignerError),
    #[error("cannot build the HTTP client for Keystone: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error(
        "cannot listen on {address} ([api] bind_host and bind_port): {source}; choose a free port or stop the process using it"
    )]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// Load everything the service needs, then serve until SIGTERM or SIGINT. SIGHUP reloads the
/// tenant mapping and the policy files.
pub async fn run(config: Config, started: Instant) -> Result<(), StartError> {
    let tenants = load_tenants(&config)?;
    let policy = Policy::load(&config.oslo_policy)?;
    let signer = Signer::from_config(&config.oidc)?.map(Arc::new);
    check_role_access(&config, &tenants, signer.clone())?;
    let driver = cloud::load_driver(&config, signer.clone())?;
    let auth = Arc::new(Authenticator::new(&config.keystone_authtoken)?);
    let address = SocketAddr::new(config.api.bind_host, config.api.bind_port);
    let grace = Duration::from_secs(config.api.graceful_shutdown_timeout);
    let config = Arc::new(config);
    let state = Arc::new(AppState::new(
        config.clone(),
        tenants,
        policy,
        driver,
        auth,
        signer,
    ));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| StartError::Bind { address, source })?;
    tokio::spawn(reload_on_sighup(state.clone()));
    tracing::info!(
        %address,
        startup_ms = started.elapsed().as_millis() as u64,
        "aws-hybrid-api is ready"
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, api::router(state)).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut stop_rx = stop_rx;
    tokio::select! {
        result = server.into_future() => result.map_err(StartError::Serve)?,
        () = async {
            let _ = stop_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "requests still running after the grace period; stopping anyway");
        }
    }
    tracing::info!("aws-hybrid-api stopped");
    Ok(())
}

/// Refuses a mapping with `role_arn` entries when `[sts]` gives no way to assume roles, so
/// the mistake shows at start instead of as a failure on every request of those projects.
fn check_role_access(
    config: &Config,
    tenants: &TenantMap,
    signer: Option<Arc<Signer>>,
) -> Result<(), StartError> {
    if !tenants.has_roles() {
        return Ok(());
    }
    match cloud::aws::credentials::unusable_reason(&config.sts, signer) {
        Some(reason) => Err(StartError::RoleAccess(reason)),
        None => Ok(()),
    }
}

fn load_tenants(config: &Config) -> Result<TenantMap, MappingError> {
    let path = &config.tenancy.mapping_file;
    let tenants = TenantMap::load(path, &config.aws.region)?;
    if let Some(warning) = crate::tenancy::permission_warning(path) {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        mapping_file = %path.display(),
        projects = tenants.len(),
        "loaded tenant mappings"
    );
    Ok(tenants)
}

/// Re-reads the tenant mapping and the policy files on each SIGHUP. Both must load for either
/// to change; otherwise the error is logged and the ones in force stay.
async fn reload_on_sighup(state: Arc<AppState>) {
    use tokio::signal::unix::{SignalKind, signal};

    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        tracing::error!("cannot install the SIGHUP handler; reload needs a restart");
        return;
    };
    while hangup.recv().await.is_some() {
        tracing::info!("SIGHUP received; reloading the tenant mapping and the policy");
        let loaded = load_tenants(&state.config)
            .map_err(|error| format!("tenant mapping file: {error}"))
            .and_then(|tenants| {
                check_role_access(&state.config, &tenants, state.signer.clone())
                    .map_err(|error| error.to_string())?;
                let policy = Policy::load(&state.config.oslo_policy)
                    .map_err(|error| format!("policy: {error}"))?;
                Ok((tenants, policy))
            });
        match loaded {
            Ok((tenants, policy)) => {
                state.replace(tenants, policy);
                tracing::info!("reload done; new requests use the new mapping and policy");
            }
            Err(error) => tracing::error!(
                "reload refused, the previous mapping and policy stay in force: {error}"
            ),
        }
    }
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler cannot fail on Unix");
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received; finishing requests in flight"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received; finishing requests in flight"),
    }
}
