use std::path::PathBuf;
use std::time::Duration;

/// Default `Tus-Max-Size`: 2 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 2 * 1024 * 1024 * 1024;

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
    /// Test hook: time a submission spends "processing" after claiming its idempotency key,
    /// so that tests can send a concurrent duplicate. Zero in production.
    pub submission_processing_delay: Duration,
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
            submission_processing_delay: Duration::ZERO,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("paks.sqlite3")
    }

    pub fn key_path(&self) -> PathBuf {
        self.data_dir.join("server-key.ed25519")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }
}
