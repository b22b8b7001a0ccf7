//! The reference PAKS server: tus 1.0 uploads, idempotent submissions with signed receipts,
//! review, and the public knowledge space. See docs/server.md.

pub mod auth;
pub mod backup;
pub mod clock;
pub mod config;
mod connections;
pub mod desk_releases;
pub mod disk_store;
pub mod error;
pub mod handcarry;
mod html;
pub mod http;
pub mod metadata;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod pg_store;
pub mod publication;
pub mod reviewers;
pub mod s3_store;
pub mod signing_key;
pub mod sqlite_store;
pub mod upload_store;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
pub use error::{Error, Result};

use crate::disk_store::DiskUploadStore;
use crate::http::{AppState, SharedState, UploadLocks};
use crate::metadata::MetadataStore;
use crate::pg_store::{PostgresMetadataStore, PostgresUploadLocks};
use crate::s3_store::S3UploadStore;
use crate::signing_key::ServerKey;
use crate::sqlite_store::SqliteMetadataStore;
use crate::upload_store::UploadStore;

/// Opens (creating on first use) the data directory with the default stores. The directory is
/// made private (0700) and the database files 0600.
///
/// With `config.database` a PostgreSQL URL or `config.storage` an S3 URL, those stores are used
/// instead, and the upload lock is shared through PostgreSQL; this must then run inside a tokio
/// runtime, off its async threads (see `pg_store`).
pub fn open_state(config: Config) -> Result<AppState> {
    disk_store::create_private_dir(&config.data_dir)?;
    let mut shared_locks = None;
    let meta: Arc<dyn MetadataStore> = match config.postgres_url() {
        Some(url) => {
            let store = PostgresMetadataStore::connect(url)?;
            shared_locks = Some(Arc::new(PostgresUploadLocks::new(&store)));
            Arc::new(store)
        }
        None => {
            let store = SqliteMetadataStore::open(&config.database_path())?;
            make_database_private(&config.database_path())?;
            Arc::new(store)
        }
    };
    let uploads: Arc<dyn UploadStore> = match config.s3_url() {
        Some(url) => Arc::new(S3UploadStore::open(url)?),
        None => Arc::new(DiskUploadStore::open(&config.uploads_dir())?),
    };
    let key = ServerKey::load_or_create(&config.key_path())?;
    let mut state = with_stores(config, meta, uploads, key);
    state.locks.shared = shared_locks;
    Ok(state)
}

/// SQLite creates its files with the process's umask (often 0644); its WAL and shared-memory
/// files then copy the database file's mode.
fn make_database_private(database: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut path = database.as_os_str().to_owned();
        path.push(suffix);
        let path = std::path::PathBuf::from(path);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Io { path, source: e }),
        }
    }
    Ok(())
}

/// State over any store implementations (e.g. PostgreSQL and object storage).
pub fn with_stores(
    config: Config,
    meta: Arc<dyn MetadataStore>,
    uploads: Arc<dyn UploadStore>,
    key: ServerKey,
) -> AppState {
    let limiter = auth::RateLimiter::new(config.rate_limit_burst, config.rate_limit_per_second);
    let metrics = metrics::Metrics::new();
    AppState { config, meta, uploads, key, limiter, locks: UploadLocks::default(), metrics }
}

/// Deletes uploads past their expiry that no submission uses, and what failed creations left.
pub fn sweep_expired(state: &AppState) -> Result<usize> {
    let now = clock::now().unix_timestamp();
    let mut removed = 0;
    for id in state.uploads.expired(now)? {
        if state.meta.claim_upload_deletion(id, now)? {
            state.uploads.delete(id)?;
            removed += 1;
        }
    }
    let strays = state.uploads.remove_strays()?;
    if strays > 0 {
        tracing::info!(removed = strays, "stray upload files removed");
    }
    Ok(removed)
}

/// Frees what a server that stopped mid-request (killed, or a power cut) left behind: claims on
/// Idempotency-Keys that no worker will answer now, and bag work folders. Run when serving
/// starts, never by the operator commands, which may run beside a serving server.
pub fn recover_at_start_up(state: &AppState) -> Result<()> {
    let claims = state.meta.release_unanswered_idempotency_keys()?;
    let folders = handcarry::remove_abandoned_work_dirs(&state.config)?;
    if claims + folders > 0 {
        tracing::info!(claims, folders, "freed what the previous run left unfinished");
    }
    Ok(())
}

/// Serves the API on `listener` until `shutdown` completes, then finishes open requests within
/// `config.shutdown_timeout` (uploads in progress stop and keep what they received).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_with_metrics(listener, None, config, shutdown).await
}

/// `serve`, with the Prometheus metrics on `metrics_listener` when given (an address of its
/// own: never the public one).
pub async fn serve_with_metrics(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    // Opening PostgreSQL or S3 blocks on this runtime: not on one of its async threads.
    let state = tokio::task::spawn_blocking(move || open_state(config))
        .await
        .map_err(|e| Error::Join(e.to_string()))??;
    let state = Arc::new(state);
    let scraped = metrics_listener.map(|metrics_listener| {
        tokio::spawn(metrics::serve(metrics_listener, state.clone(), std::future::pending()))
    });
    let served = serve_state(listener, state, shutdown).await;
    if let Some(task) = scraped {
        task.abort();
    }
    served
}

pub async fn serve_state(
    listener: TcpListener,
    state: SharedState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let recovering = state.clone();
    tokio::task::spawn_blocking(move || recover_at_start_up(&recovering))
        .await
        .map_err(|e| Error::Join(e.to_string()))??;
    let takeovers = state.locks.shared.clone().map(|shared| {
        let listening = state.clone();
        tokio::spawn(shared.listen(move |id| listening.locks.request_stop(id)))
    });
    let sweeper_state = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(sweeper_state.config.sweep_interval);
        loop {
            tick.tick().await;
            let s = sweeper_state.clone();
            match tokio::task::spawn_blocking(move || sweep_expired(&s)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(removed = n, "expired uploads deleted"),
                Ok(Err(e)) => tracing::warn!(error = %e, "sweeping expired uploads failed"),
                Err(e) => tracing::warn!(error = %e, "sweeper task failed"),
            }
        }
    });
    let app = http::router(state.clone());
    connections::serve(listener, app, &state.config, shutdown, || state.locks.release_all()).await;
    sweeper.abort();
    if let Some(task) = takeovers {
        task.abort();
    }
    Ok(())
}
