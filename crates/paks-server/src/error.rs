use std::path::PathBuf;

/// Everything that can fail inside the server below the HTTP layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("I/O error: {0}")]
    IoPlain(#[from] std::io::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("database error: {0}")]
    Database(String),
    #[error("object storage error: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("protocol error: {0}")]
    Protocol(#[from] paks_protocol::ProtocolError),
    #[error("the server key file {0} is damaged")]
    BadKeyFile(PathBuf),
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("time formatting failed: {0}")]
    Time(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("background task failed: {0}")]
    Join(String),
    #[error("the idempotency claim lapsed and another request took the key over")]
    LeaseLost,
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("upload {0} was deleted")]
    UploadDeleted(uuid::Uuid),
    #[error("the backup is damaged or not a PAKS backup: {0}")]
    BackupDamaged(String),
    #[error("{0}")]
    Publication(#[from] paks_publication::PublicationError),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
