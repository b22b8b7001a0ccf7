use std::path::PathBuf;
use std::time::Duration;

const GIB: u64 = 1024 * 1024 * 1024;

/// Default `Tus-Max-Size`: 2 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 2 * GIB;

/// Everything `serve` needs; `Config::new(data_dir)` gives the defaults of the CLI.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `paks.sqlite3`, `server-key.ed25519` and `uploads/`.
    pub data_dir: PathBuf,
    /// Shown in the identity answer and signed into receipts.
    pub name: String,
    pub max_upload_size: u64,
    /// How long an upload not yet attached to a submission is kept.
    pub upload_ttl: Duration,
    /// Largest accepted `POST /api/v1/submissions` body.
    pub max_submission_bytes: usize,
    /// Requests a token may make in a burst...
    pub rate_limit_burst: u32,
    /// ...and the steady rate after it.
    pub rate_limit_per_second: f64,
    /// How often expired uploads are deleted.
    pub sweep_interval: Duration,
    /// Connections served at once; one more is answered 503 with `Retry-After` and closed. Lowered
    /// at start-up to fit the process's open-file limit.
    pub max_connections: usize,
    /// A request's header must arrive within this; it also closes idle keep-alive connections.
    pub header_read_timeout: Duration,
    /// A request body that sends nothing for this long is treated as broken off (tus keeps what
    /// arrived).
    pub body_idle_timeout: Duration,
    /// Idle time before TCP keepalive probes, which find peers that vanished without a FIN.
    pub tcp_keepalive: Duration,
    /// On SIGTERM, open requests get this long to finish; then their connections are cut.
    pub shutdown_timeout: Duration,
    /// Uploads a focal point may hold that are not part of a submission (and not expired).
    pub max_open_uploads: u32,
    /// Sum of the `Upload-Length`s of those uploads.
    pub max_open_upload_bytes: u64,
    /// Free disk space that uploads must leave untouched: a creation is refused with 507 when
    /// the disk could not hold every open upload's remaining bytes and this reserve.
    pub disk_reserve_bytes: u64,
    /// `--database`: a SQLite file (default: `paks.sqlite3` in `data_dir`) or `postgres://…`,
    /// which instances can share.
    pub database: Option<String>,
    /// `--storage`: a folder for the uploads (default: `uploads/` in `data_dir`) or
    /// `s3://bucket/prefix`, which instances can share.
    pub storage: Option<String>,
    /// `--key-file`: the receipt signing key (default: `server-key.ed25519` in `data_dir`).
    /// Instances behind one address are given the same file, so they sign with one key id.
    pub key_file: Option<PathBuf>,
    /// Test hook: time a submission spends "processing" after claiming its idempotency key,
    /// so that tests can send a concurrent duplicate. Zero in production.
    pub submission_processing_delay: Duration,
    /// The server's public address (`https://paks.example.org`), for OAI-PMH's `baseURL` and the
    /// case page URLs it hands out; when unset, `http://` and the request's (checked) Host.
    pub public_url: Option<String>,
    /// OAI-PMH `adminEmail`.
    pub oai_admin_email: String,
    /// Records or identifiers per OAI-PMH answer before a resumption token.
    pub oai_page_size: u32,
    /// A console session unused this long is closed.
    pub console_idle_timeout: Duration,
    /// A console session is closed this long after sign-in, however busy.
    pub console_session_lifetime: Duration,
    /// How long a reviewer account is locked after `reviewers::MAX_FAILED_SIGN_INS` wrong
    /// passwords in a row.
    pub console_lockout: Duration,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            name: "PAKS reference server".into(),
            max_upload_size: DEFAULT_MAX_UPLOAD,
            upload_ttl: Duration::from_secs(7 * 24 * 3600),
            max_submission_bytes: 1024 * 1024,
            rate_limit_burst: 600,
            rate_limit_per_second: 20.0,
            sweep_interval: Duration::from_secs(60),
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(20),
            body_idle_timeout: Duration::from_secs(60),
            tcp_keepalive: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(10),
            max_open_uploads: 200,
            max_open_upload_bytes: 20 * GIB,
            disk_reserve_bytes: GIB,
            submission_processing_delay: Duration::ZERO,
            public_url: None,
            oai_admin_email: "paks-operator@example.org".into(),
            oai_page_size: 100,
            console_idle_timeout: Duration::from_secs(30 * 60),
            console_session_lifetime: Duration::from_secs(12 * 3600),
            console_lockout: Duration::from_secs(15 * 60),
            database: None,
            storage: None,
            key_file: None,
        }
    }

    /// The PostgreSQL URL, when `database` is one.
    pub fn postgres_url(&self) -> Option<&str> {
        self.database
            .as_deref()
            .filter(|d| d.starts_with("postgres://") || d.starts_with("postgresql://"))
    }

    /// The S3 URL, when `storage` is one.
    pub fn s3_url(&self) -> Option<&str> {
        self.storage.as_deref().filter(|s| s.starts_with("s3://"))
    }

    /// The SQLite file (unless the database is PostgreSQL).
    pub fn database_path(&self) -> PathBuf {
        match &self.database {
            Some(path) if self.postgres_url().is_none() => PathBuf::from(path),
            _ => self.data_dir.join("paks.sqlite3"),
        }
    }

    pub fn key_path(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| self.data_dir.join("server-key.ed25519"))
    }

    /// The uploads folder (unless the storage is S3).
    pub fn uploads_dir(&self) -> PathBuf {
        match &self.storage {
            Some(dir) if self.s3_url().is_none() => PathBuf::from(dir),
            _ => self.data_dir.join("uploads"),
        }
    }

    /// PAKS Desk release files, each named by its SHA-256.
    pub fn releases_dir(&self) -> PathBuf {
        self.data_dir.join("desk-releases")
    }
}
