//! The outbox: every submission and file upload as a durable job in its own SQLite file,
//! `outbox.sqlite3` in the data folder (separate from the case store, so the two schemas
//! migrate independently). The case is referenced by id + uid + version.

mod cancel;
mod hand_carried;
mod jobs;
mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Result, SyncError};

pub use hand_carried::{HandCarried, NewHandCarried};
pub use jobs::{
    Failure, FileToSend, JobState, NewSubmission, OutboxEntry, Phase, SubmissionJob, UploadJob,
};

pub const OUTBOX_FILE: &str = "outbox.sqlite3";

pub struct Outbox {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Outbox {
    /// Opens (creating and migrating) `outbox.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(OUTBOX_FILE);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // FULL, as in the case store: a job recorded as sent must survive a power cut.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        migrations::apply(&mut conn)?;
        Ok(Self { path, conn: Mutex::new(conn) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.lock())
    }
}

impl From<rusqlite_migration::Error> for SyncError {
    fn from(e: rusqlite_migration::Error) -> Self {
        SyncError::Database(format!("could not update the outbox structure: {e}"))
    }
}
