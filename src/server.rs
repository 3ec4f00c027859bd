//! Start-up and shutdown of the API service.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{self, AppState};
use crate::auth::Authenticator;
use crate::cloud::{self, UnknownDriver};
use crate::config::Config;
use crate::tenancy::{MappingError, TenantMap};

/// Start-up failure. Each message names the setting and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("tenant mapping file: {0}")]
    Mapping(#[from] MappingError),
    #[error("{0}")]
    Driver(#[from] UnknownDriver),
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

/// Load everything the service needs, then serve until SIGTERM or SIGINT.
pub async fn run(config: Config, started: Instant) -> Result<(), StartError> {
    let tenants = TenantMap::load(&config.tenancy.mapping_file, &config.aws.region)?;
    if let Some(warning) = crate::tenancy::permission_warning(&config.tenancy.mapping_file) {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        mapping_file = %config.tenancy.mapping_file.display(),
        projects = tenants.len(),
        "loaded tenant mappings"
    );
    let driver = cloud::load_driver(&config)?;
    let auth = Arc::new(Authenticator::new(&config.keystone_authtoken)?);
    let address = SocketAddr::new(config.api.bind_host, config.api.bind_port);
    let grace = Duration::from_secs(config.api.graceful_shutdown_timeout);
    let state = Arc::new(AppState {
        config: Arc::new(config),
        tenants: Arc::new(tenants),
        driver,
        auth,
    });
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| StartError::Bind { address, source })?;
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

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler cannot fail on Unix");
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received; finishing requests in flight"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received; finishing requests in flight"),
    }
}
