//! The `uploads` table: one job per file of a submission, with what is needed to resume it.

use rusqlite::{Connection, Params, Row, Transaction, params};
use serde::Serialize;

use super::{Failure, FileToSend, JobState, Outbox};
use crate::error::{Result, SyncError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadJob {
    pub id: i64,
    pub submission_job: i64,
    pub position: i64,
    pub path: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    /// The tus upload URL once created; with `bytes_confirmed`, enough to resume.
    pub upload_url: Option<String>,
    /// The offset the server last confirmed (the server's offset is the truth).
    pub bytes_confirmed: u64,
    pub chunk_size: Option<u64>,
    pub state: JobState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    /// The parameters of `last_error_code`, JSON.
    pub last_error_params: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, submission_job, position, path, name, media_type, size, sha256, \
     upload_url, bytes_confirmed, chunk_size, state, attempts, last_error, last_error_code, \
     next_attempt_at, created_at, updated_at, last_error_params";

fn from_row(r: &Row<'_>) -> rusqlite::Result<UploadJob> {
    Ok(UploadJob {
        id: r.get(0)?,
        submission_job: r.get(1)?,
        position: r.get(2)?,
        path: r.get(3)?,
        name: r.get(4)?,
        media_type: r.get(5)?,
        size: r.get::<_, i64>(6)?.max(0) as u64,
        sha256: r.get(7)?,
        upload_url: r.get(8)?,
        bytes_confirmed: r.get::<_, i64>(9)?.max(0) as u64,
        chunk_size: r.get::<_, Option<i64>>(10)?.map(|c| c.max(0) as u64),
        state: r.get(11)?,
        attempts: r.get(12)?,
        last_error: r.get(13)?,
        last_error_code: r.get(14)?,
        next_attempt_at: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        last_error_params: r.get(18)?,
    })
}

/// `condition` is one of this module's fixed WHERE clauses, never built from input.
fn select(conn: &Connection, condition: &str, args: impl Params) -> Result<Vec<UploadJob>> {
    let sql =
        format!("SELECT {COLUMNS} FROM uploads {condition} ORDER BY submission_job, position");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_map(args, from_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn all(conn: &Connection) -> Result<Vec<UploadJob>> {
    select(conn, "", [])
}

fn by_id(conn: &Connection, id: i64) -> Result<Option<UploadJob>> {
    Ok(select(conn, "WHERE id = ?1", [id])?.pop())
}

fn of_submission(conn: &Connection, submission_job: i64) -> Result<Vec<UploadJob>> {
    select(conn, "WHERE submission_job = ?1", [submission_job])
}

/// The files of a new submission job, queued in their order.
pub(super) fn insert_all(
    tx: &Transaction<'_>,
    submission_job: i64,
    files: &[FileToSend],
    now: i64,
) -> Result<()> {
    for (position, f) in files.iter().enumerate() {
        tx.execute(
            "INSERT INTO uploads (submission_job, position, path, name, media_type, size,
               sha256, state, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
            params![
                submission_job,
                position as i64,
                f.path,
                f.name,
                f.media_type,
                f.size as i64,
                f.sha256,
                JobState::Queued,
                now
            ],
        )?;
    }
    Ok(())
}

impl Outbox {
    pub fn upload(&self, id: i64) -> Result<UploadJob> {
        self.read(|c| by_id(c, id))?
            .ok_or_else(|| SyncError::Invalid(format!("There is no upload job {id}.")))
    }

    pub fn uploads_of(&self, submission_job: i64) -> Result<Vec<UploadJob>> {
        self.read(|c| of_submission(c, submission_job))
    }

    pub fn uploads(&self) -> Result<Vec<UploadJob>> {
        self.read(all)
    }

    pub fn set_upload_state(&self, id: i64, state: JobState, now: i64) -> Result<()> {
        self.update(
            "UPDATE uploads SET state = ?1, updated_at = ?2 WHERE id = ?3",
            params![state, now, id],
        )?;
        Ok(())
    }

    /// Records the upload URL and the offset the server confirmed.
    pub fn record_upload_offset(
        &self,
        id: i64,
        url: &str,
        offset: u64,
        chunk_size: Option<u64>,
        now: i64,
    ) -> Result<()> {
        self.update(
            "UPDATE uploads SET upload_url = ?1,
               attempts = CASE WHEN ?2 > bytes_confirmed THEN 0 ELSE attempts END,
               bytes_confirmed = ?2, chunk_size = coalesce(?3, chunk_size), updated_at = ?4
             WHERE id = ?5",
            params![url, offset as i64, chunk_size.map(|c| c as i64), now, id],
        )?;
        Ok(())
    }

    /// Forgets the upload URL (expired on the server): the next attempt starts over.
    pub fn reset_upload(&self, id: i64, now: i64) -> Result<()> {
        self.update(
            "UPDATE uploads SET upload_url = NULL, bytes_confirmed = 0, updated_at = ?1
             WHERE id = ?2",
            params![now, id],
        )?;
        Ok(())
    }

    pub fn finish_upload(&self, id: i64, now: i64) -> Result<()> {
        self.update(
            "UPDATE uploads SET state = ?1, bytes_confirmed = size, last_error = NULL,
               last_error_code = NULL, last_error_params = NULL, updated_at = ?2 WHERE id = ?3",
            params![JobState::Done, now, id],
        )?;
        Ok(())
    }

    pub fn fail_upload(&self, id: i64, f: &Failure<'_>, now: i64) -> Result<()> {
        self.record_failure("uploads", id, f, now)
    }

    /// Marks every upload of a submission job as done: PAKS has its files by another way.
    pub fn uploads_not_needed(&self, submission_job: i64, now: i64) -> Result<()> {
        self.update(
            "UPDATE uploads SET state = ?1, last_error = NULL, last_error_code = NULL, last_error_params = NULL,
               updated_at = ?2 WHERE submission_job = ?3",
            params![JobState::Done, now, submission_job],
        )?;
        Ok(())
    }
}
