//! The `submissions` table: one job per case version to send, from its upload phase to the
//! end of its review.

use paks_protocol::SubmissionState;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};
use serde::Serialize;

use super::{Failure, JobState, Outbox, Phase};
use crate::error::{Result, SyncError};

/// A file to send with a case, as frozen when the case was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileToSend {
    pub path: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

/// What `enqueue` needs.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub case_id: i64,
    pub case_uid: String,
    pub case_version: i64,
    /// Canonical JSON of the frozen `CaseDocument`.
    pub document: String,
    pub files: Vec<FileToSend>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionJob {
    pub id: i64,
    pub case_id: i64,
    pub case_uid: String,
    pub case_version: i64,
    pub idempotency_key: String,
    #[serde(skip)]
    pub document: String,
    pub state: JobState,
    pub phase: Phase,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    /// The parameters of `last_error_code`, JSON.
    pub last_error_params: Option<String>,
    /// Milliseconds since the epoch.
    pub next_attempt_at: i64,
    pub submission_id: Option<String>,
    #[serde(skip)]
    pub receipt: Option<String>,
    pub review_state: Option<String>,
    pub review_comment: Option<String>,
    /// Whether its `POST /submissions` was ever sent (from then on PAKS may have it).
    pub post_sent: bool,
    /// Whether a POST of it went without a clear answer (a cut, a timeout, a 5xx): PAKS may
    /// hold it whatever a later answer says.
    pub post_unanswered: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SubmissionJob {
    /// Whether PAKS cannot have this case, so taking it out of the outbox leaves nothing behind:
    /// its POST was never sent, or every POST was answered and the last answer was a refusal.
    /// One POST whose answer was lost may have made the submission, and PAKS checks a later
    /// request before replaying its stored answer, so a refusal after that proves nothing.
    pub fn can_cancel(&self) -> bool {
        let refused = self.state == JobState::NeedsAttention
            && self.last_error_code.as_deref() == Some("refused");
        self.phase != Phase::Review && (!self.post_sent || (refused && !self.post_unanswered))
    }

    /// PAKS's receipt, stored once its signature verified; one that no longer parses counts as
    /// absent.
    pub fn verified_receipt(&self) -> Option<paks_protocol::Receipt> {
        self.receipt.as_deref().and_then(|json| serde_json::from_str(json).ok())
    }
}

const COLUMNS: &str = "id, case_id, case_uid, case_version, idempotency_key, document, \
     state, phase, attempts, last_error, last_error_code, next_attempt_at, submission_id, receipt, \
     review_state, review_comment, created_at, updated_at, post_sent, post_unanswered, \
     last_error_params";

fn from_row(r: &Row<'_>) -> rusqlite::Result<SubmissionJob> {
    Ok(SubmissionJob {
        id: r.get(0)?,
        case_id: r.get(1)?,
        case_uid: r.get(2)?,
        case_version: r.get(3)?,
        idempotency_key: r.get(4)?,
        document: r.get(5)?,
        state: r.get(6)?,
        phase: r.get(7)?,
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        last_error_code: r.get(10)?,
        next_attempt_at: r.get(11)?,
        submission_id: r.get(12)?,
        receipt: r.get(13)?,
        review_state: r.get(14)?,
        review_comment: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        post_sent: r.get(18)?,
        post_unanswered: r.get(19)?,
        last_error_params: r.get(20)?,
    })
}

/// `condition` is one of this module's fixed WHERE clauses, never built from input.
fn select(conn: &Connection, condition: &str, args: impl Params) -> Result<Vec<SubmissionJob>> {
    let sql = format!("SELECT {COLUMNS} FROM submissions {condition} ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_map(args, from_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn all(conn: &Connection) -> Result<Vec<SubmissionJob>> {
    select(conn, "", [])
}

pub(super) fn by_id(conn: &Connection, id: i64) -> Result<Option<SubmissionJob>> {
    Ok(select(conn, "WHERE id = ?1", [id])?.pop())
}

fn of_case(conn: &Connection, case_id: i64) -> Result<Vec<SubmissionJob>> {
    select(conn, "WHERE case_id = ?1", [case_id])
}

impl Outbox {
    /// Adds the submission of one case version with its files, all queued. Idempotent: a case
    /// version already in the outbox is returned as it is (`false`), so a double click or a
    /// repeated `submit` never makes a second job or a second Idempotency-Key.
    pub fn enqueue(&self, new: &NewSubmission, now: i64) -> Result<(SubmissionJob, bool)> {
        let key = uuid::Uuid::new_v4().to_string();
        let (id, created) = self.write(|tx| {
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM submissions WHERE case_uid = ?1 AND case_version = ?2",
                    params![new.case_uid, new.case_version],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                return Ok((id, false));
            }
            let phase = if new.files.is_empty() { Phase::Submit } else { Phase::Upload };
            tx.execute(
                "INSERT INTO submissions (case_id, case_uid, case_version, idempotency_key,
                   document, state, phase, next_attempt_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
                params![
                    new.case_id,
                    new.case_uid,
                    new.case_version,
                    key,
                    new.document,
                    JobState::Queued,
                    phase,
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            super::uploads::insert_all(tx, id, &new.files, now)?;
            Ok((id, true))
        })?;
        Ok((self.submission(id)?, created))
    }

    pub fn submission(&self, id: i64) -> Result<SubmissionJob> {
        self.read(|c| by_id(c, id))?
            .ok_or_else(|| SyncError::Invalid(format!("There is no outbox job {id}.")))
    }

    /// The newest submission job of a local case, if it was ever submitted.
    pub fn submission_for_case(&self, case_id: i64) -> Result<Option<SubmissionJob>> {
        Ok(self.read(|c| of_case(c, case_id))?.pop())
    }

    pub fn submissions(&self) -> Result<Vec<SubmissionJob>> {
        self.read(all)
    }

    pub fn set_submission_state(
        &self,
        id: i64,
        state: JobState,
        phase: Phase,
        now: i64,
    ) -> Result<()> {
        self.update(
            "UPDATE submissions SET state = ?1, phase = ?2, updated_at = ?3 WHERE id = ?4",
            params![state, phase, now, id],
        )?;
        Ok(())
    }

    /// The case's POST is about to be sent: from now on PAKS may have it. False when the job
    /// is gone (cancelled since it was read): then nothing may be sent.
    pub fn mark_posting(&self, id: i64, now: i64) -> Result<bool> {
        let changed = self.update(
            "UPDATE submissions SET state = ?1, phase = ?2, post_sent = 1, updated_at = ?3
             WHERE id = ?4",
            params![JobState::Uploading, Phase::Submit, now, id],
        )?;
        Ok(changed == 1)
    }

    /// A POST of this job went without a clear answer: PAKS may hold it from now on.
    pub fn mark_post_unanswered(&self, id: i64, now: i64) -> Result<()> {
        self.update(
            "UPDATE submissions SET post_unanswered = 1, updated_at = ?1 WHERE id = ?2",
            params![now, id],
        )?;
        Ok(())
    }

    pub fn fail_submission(&self, id: i64, f: &Failure<'_>, now: i64) -> Result<()> {
        self.record_failure("submissions", id, f, now)
    }

    /// Stores the verified receipt; the job moves on to following the review.
    pub fn record_receipt(
        &self,
        id: i64,
        submission_id: &str,
        receipt_json: &str,
        next_poll_at: i64,
        now: i64,
    ) -> Result<()> {
        self.update(
            "UPDATE submissions SET submission_id = ?1, receipt = ?2, phase = ?3,
               state = ?4, review_state = ?5, attempts = 0,
               last_error = NULL, last_error_code = NULL, last_error_params = NULL, next_attempt_at = ?6,
               updated_at = ?7 WHERE id = ?8",
            params![
                submission_id,
                receipt_json,
                Phase::Review,
                JobState::RetryScheduled,
                SubmissionState::Received.as_str(),
                next_poll_at,
                now,
                id
            ],
        )?;
        Ok(())
    }

    /// Records the review state PAKS gives; `finished` ends the polling.
    pub fn record_review(
        &self,
        id: i64,
        state: &str,
        comment: Option<&str>,
        finished: bool,
        next_poll_at: i64,
        now: i64,
    ) -> Result<()> {
        self.update(
            "UPDATE submissions SET review_state = ?1, review_comment = ?2, state = ?3,
               attempts = CASE WHEN review_state IS ?1 THEN attempts + 1 ELSE 0 END,
               last_error = NULL, last_error_code = NULL, last_error_params = NULL,
               next_attempt_at = ?4, updated_at = ?5 WHERE id = ?6",
            params![
                state,
                comment,
                if finished { JobState::Done } else { JobState::RetryScheduled },
                next_poll_at,
                now,
                id
            ],
        )?;
        Ok(())
    }

    /// Removes a job PAKS can never take (its case version is held there with other content),
    /// in whatever phase it is; returns whether there was one.
    pub fn drop_superseded(&self, submission_job: i64) -> Result<bool> {
        let n = self.update(
            "DELETE FROM submissions WHERE id = ?1 AND receipt IS NULL",
            params![submission_job],
        )?;
        Ok(n > 0)
    }
}
