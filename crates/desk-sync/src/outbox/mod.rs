//! The outbox: every submission and file upload as a durable job in its own SQLite file,
//! `outbox.sqlite3` in the data folder (separate from the case store, so the two schemas
//! migrate independently). The case is referenced by id + uid + version.

mod cancel;
mod hand_carried;
mod migrations;
mod schedule;
mod state;
mod submissions;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Params, Transaction, TransactionBehavior, params};
use serde::Serialize;

use crate::error::{Result, SyncError};

pub use hand_carried::{HandCarried, NewHandCarried};
pub use state::{Failure, JobState, Phase};
pub use submissions::{FileToSend, NewSubmission, SubmissionJob};
pub use uploads::UploadJob;

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
        // As the case store: a job recorded as sent must survive a power cut.
        let mut conn = durable_sqlite::open(&path, durable_sqlite::Access::ReadWrite)?;
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

    /// One statement in its own write transaction; returns how many rows it changed.
    fn update(&self, sql: &str, args: impl Params) -> Result<usize> {
        self.write(|tx| Ok(tx.execute(sql, args)?))
    }

    /// Every submission with its uploads, oldest first.
    pub fn entries(&self) -> Result<Vec<OutboxEntry>> {
        let uploads = self.uploads()?;
        Ok(self
            .submissions()?
            .into_iter()
            .map(|submission| {
                let uploads: Vec<UploadJob> =
                    uploads.iter().filter(|u| u.submission_job == submission.id).cloned().collect();
                let bytes_total = uploads.iter().map(|u| u.size).sum();
                let bytes_confirmed = uploads.iter().map(|u| u.bytes_confirmed.min(u.size)).sum();
                OutboxEntry { submission, uploads, bytes_confirmed, bytes_total }
            })
            .collect())
    }

    /// `table` is "uploads" or "submissions": both keep a failure the same way.
    fn record_failure(
        &self,
        table: &'static str,
        id: i64,
        f: &Failure<'_>,
        now: i64,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {table} SET state = ?1, last_error = ?2, last_error_code = ?3,
               next_attempt_at = ?4, attempts = attempts + ?5, updated_at = ?6,
               last_error_params = ?8 WHERE id = ?7"
        );
        let args = params![
            f.state,
            f.message,
            f.code,
            f.next_attempt_at,
            i64::from(f.count_attempt),
            now,
            id,
            f.params
        ];
        self.update(&sql, args)?;
        Ok(())
    }
}

/// A submission with its uploads: one line of `outbox`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    #[serde(flatten)]
    pub submission: SubmissionJob,
    pub uploads: Vec<UploadJob>,
    pub bytes_confirmed: u64,
    pub bytes_total: u64,
}

impl From<rusqlite_migration::Error> for SyncError {
    fn from(e: rusqlite_migration::Error) -> Self {
        SyncError::Database(format!("could not update the outbox structure: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_submission(uid: &str, files: usize) -> NewSubmission {
        NewSubmission {
            case_id: 7,
            case_uid: uid.into(),
            case_version: 1,
            document: "{}".into(),
            files: (0..files)
                .map(|i| FileToSend {
                    path: format!("/tmp/f{i}"),
                    name: format!("f{i}.pdf"),
                    media_type: "application/pdf".into(),
                    size: 10,
                    sha256: "0".repeat(64),
                })
                .collect(),
        }
    }

    #[test]
    fn enqueue_is_idempotent_per_case_version_and_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let (a, created) = outbox.enqueue(&new_submission("u1", 2), 1000).unwrap();
        assert!(created);
        assert_eq!(a.phase, Phase::Upload);
        let (b, created) = outbox.enqueue(&new_submission("u1", 2), 2000).unwrap();
        assert!(!created, "a second submit of the same version is the same job");
        assert_eq!(a.idempotency_key, b.idempotency_key);
        assert_eq!(outbox.uploads_of(a.id).unwrap().len(), 2);
        drop(outbox);
        let reopened = Outbox::open(dir.path()).unwrap();
        assert_eq!(reopened.submission(a.id).unwrap().idempotency_key, a.idempotency_key);
        let (c, _) = reopened.enqueue(&new_submission("u2", 0), 3000).unwrap();
        assert_eq!(c.phase, Phase::Submit, "nothing to upload");
    }

    #[test]
    fn failures_and_retries_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let (job, _) = outbox.enqueue(&new_submission("u1", 1), 1000).unwrap();
        let up = outbox.uploads_of(job.id).unwrap().remove(0);
        outbox.record_upload_offset(up.id, "/api/v1/uploads/x", 5, Some(4096), 1100).unwrap();
        let failure = Failure {
            state: JobState::NeedsAttention,
            message: "file changed",
            code: "file_changed",
            params: r#"{"name":"deck.pptx"}"#,
            next_attempt_at: 0,
            count_attempt: true,
        };
        outbox.fail_upload(up.id, &failure, 1200).unwrap();
        let up = outbox.upload(up.id).unwrap();
        assert_eq!(up.state, JobState::NeedsAttention);
        assert_eq!((up.attempts, up.bytes_confirmed), (1, 5));
        assert_eq!(up.upload_url.as_deref(), Some("/api/v1/uploads/x"));
        assert_eq!(outbox.retry_now(job.id, 1300).unwrap(), 2);
        assert_eq!(outbox.upload(up.id).unwrap().state, JobState::Queued);
        let entries = outbox.entries().unwrap();
        assert_eq!((entries[0].bytes_confirmed, entries[0].bytes_total), (5, 10));
    }
}
