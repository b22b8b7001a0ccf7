//! Job rows: one per case submission, one per file upload, and every query on them.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::Outbox;
use crate::error::{Result, SyncError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Ready to go as soon as PAKS is reachable.
    Queued,
    /// Being sent now (after a crash this means "resume it").
    Uploading,
    /// PAKS is unreachable; resumes when the network is back.
    WaitingNetwork,
    /// Failed for a passing reason; tried again at `next_attempt_at`.
    RetryScheduled,
    /// Waits for the person: the message says what to do.
    NeedsAttention,
    Done,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Uploading,
        JobState::WaitingNetwork,
        JobState::RetryScheduled,
        JobState::NeedsAttention,
        JobState::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Uploading => "uploading",
            JobState::WaitingNetwork => "waiting_network",
            JobState::RetryScheduled => "retry_scheduled",
            JobState::NeedsAttention => "needs_attention",
            JobState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| SyncError::DamagedJob(format!("unknown job state {s:?}")))
    }
}

/// What a submission job does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Its files are being uploaded.
    Upload,
    /// `POST /submissions` with the stored Idempotency-Key.
    Submit,
    /// Submitted (receipt verified); polling the review state.
    Review,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upload => "upload",
            Phase::Submit => "submit",
            Phase::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        [Phase::Upload, Phase::Submit, Phase::Review]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| SyncError::DamagedJob(format!("unknown phase {s:?}")))
    }
}

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
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
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

const SUBMISSION_COLUMNS: &str = "id, case_id, case_uid, case_version, idempotency_key, document, \
     state, phase, attempts, last_error, last_error_code, next_attempt_at, submission_id, receipt, \
     review_state, review_comment, created_at, updated_at, post_sent, post_unanswered";

const UPLOAD_COLUMNS: &str = "id, submission_job, position, path, name, media_type, size, sha256, \
     upload_url, bytes_confirmed, chunk_size, state, attempts, last_error, last_error_code, \
     next_attempt_at, created_at, updated_at";

fn submission_from_row(r: &Row<'_>) -> rusqlite::Result<(SubmissionJob, String, String)> {
    Ok((
        SubmissionJob {
            id: r.get(0)?,
            case_id: r.get(1)?,
            case_uid: r.get(2)?,
            case_version: r.get(3)?,
            idempotency_key: r.get(4)?,
            document: r.get(5)?,
            state: JobState::Queued,
            phase: Phase::Upload,
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
        },
        r.get(6)?,
        r.get(7)?,
    ))
}

fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<(UploadJob, String)> {
    Ok((
        UploadJob {
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
            state: JobState::Queued,
            attempts: r.get(12)?,
            last_error: r.get(13)?,
            last_error_code: r.get(14)?,
            next_attempt_at: r.get(15)?,
            created_at: r.get(16)?,
            updated_at: r.get(17)?,
        },
        r.get(11)?,
    ))
}

pub(super) fn query_submissions(
    conn: &Connection,
    filter: &str,
    arg: i64,
) -> Result<Vec<SubmissionJob>> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions {filter} ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = if filter.contains("?1") {
        stmt.query_map([arg], submission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        stmt.query_map([], submission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
    };
    rows.into_iter()
        .map(|(mut job, state, phase)| {
            job.state = JobState::parse(&state)?;
            job.phase = Phase::parse(&phase)?;
            Ok(job)
        })
        .collect()
}

fn query_uploads(conn: &Connection, filter: &str, arg: i64) -> Result<Vec<UploadJob>> {
    let sql =
        format!("SELECT {UPLOAD_COLUMNS} FROM uploads {filter} ORDER BY submission_job, position");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = if filter.contains("?1") {
        stmt.query_map([arg], upload_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        stmt.query_map([], upload_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
    };
    rows.into_iter()
        .map(|(mut job, state)| {
            job.state = JobState::parse(&state)?;
            Ok(job)
        })
        .collect()
}

/// A failure to record on a job.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub state: JobState,
    pub message: &'a str,
    pub code: &'a str,
    pub next_attempt_at: i64,
    /// Whether this counts as an attempt (a network outage does not).
    pub count_attempt: bool,
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
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7, ?7)",
                params![
                    new.case_id,
                    new.case_uid,
                    new.case_version,
                    key,
                    new.document,
                    phase.as_str(),
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            for (position, f) in new.files.iter().enumerate() {
                tx.execute(
                    "INSERT INTO uploads (submission_job, position, path, name, media_type, size,
                       sha256, state, next_attempt_at, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?8)",
                    params![
                        id,
                        position as i64,
                        f.path,
                        f.name,
                        f.media_type,
                        f.size as i64,
                        f.sha256,
                        now
                    ],
                )?;
            }
            Ok((id, true))
        })?;
        Ok((self.submission(id)?, created))
    }

    pub fn submission(&self, id: i64) -> Result<SubmissionJob> {
        self.read(|c| query_submissions(c, "WHERE id = ?1", id))?
            .pop()
            .ok_or_else(|| SyncError::Invalid(format!("There is no outbox job {id}.")))
    }

    /// The newest submission job of a local case, if it was ever submitted.
    pub fn submission_for_case(&self, case_id: i64) -> Result<Option<SubmissionJob>> {
        Ok(self.read(|c| query_submissions(c, "WHERE case_id = ?1", case_id))?.pop())
    }

    pub fn submissions(&self) -> Result<Vec<SubmissionJob>> {
        self.read(|c| query_submissions(c, "", 0))
    }

    pub fn upload(&self, id: i64) -> Result<UploadJob> {
        self.read(|c| query_uploads(c, "WHERE id = ?1", id))?
            .pop()
            .ok_or_else(|| SyncError::Invalid(format!("There is no upload job {id}.")))
    }

    pub fn uploads_of(&self, submission_job: i64) -> Result<Vec<UploadJob>> {
        self.read(|c| query_uploads(c, "WHERE submission_job = ?1", submission_job))
    }

    pub fn uploads(&self) -> Result<Vec<UploadJob>> {
        self.read(|c| query_uploads(c, "", 0))
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

    pub fn set_upload_state(&self, id: i64, state: JobState, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET state = ?1, updated_at = ?2 WHERE id = ?3",
                params![state.as_str(), now, id],
            )?;
            Ok(())
        })
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
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET upload_url = ?1,
                   attempts = CASE WHEN ?2 > bytes_confirmed THEN 0 ELSE attempts END,
                   bytes_confirmed = ?2, chunk_size = coalesce(?3, chunk_size), updated_at = ?4
                 WHERE id = ?5",
                params![url, offset as i64, chunk_size.map(|c| c as i64), now, id],
            )?;
            Ok(())
        })
    }

    /// Forgets the upload URL (expired on the server): the next attempt starts over.
    pub fn reset_upload(&self, id: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET upload_url = NULL, bytes_confirmed = 0, updated_at = ?1
                 WHERE id = ?2",
                params![now, id],
            )?;
            Ok(())
        })
    }

    pub fn finish_upload(&self, id: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET state = 'done', bytes_confirmed = size, last_error = NULL,
                   last_error_code = NULL, updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            Ok(())
        })
    }

    pub fn fail_upload(&self, id: i64, f: &Failure<'_>, now: i64) -> Result<()> {
        self.record_failure("uploads", id, f, now)
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
               next_attempt_at = ?4, attempts = attempts + ?5, updated_at = ?6 WHERE id = ?7"
        );
        self.write(|tx| {
            tx.execute(
                &sql,
                params![
                    f.state.as_str(),
                    f.message,
                    f.code,
                    f.next_attempt_at,
                    i64::from(f.count_attempt),
                    now,
                    id
                ],
            )?;
            Ok(())
        })
    }

    pub fn set_submission_state(
        &self,
        id: i64,
        state: JobState,
        phase: Phase,
        now: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE submissions SET state = ?1, phase = ?2, updated_at = ?3 WHERE id = ?4",
                params![state.as_str(), phase.as_str(), now, id],
            )?;
            Ok(())
        })
    }

    /// The case's POST is about to be sent: from now on PAKS may have it. False when the job
    /// is gone (cancelled since it was read): then nothing may be sent.
    pub fn mark_posting(&self, id: i64, now: i64) -> Result<bool> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE submissions SET state = ?1, phase = ?2, post_sent = 1, updated_at = ?3
                 WHERE id = ?4",
                params![JobState::Uploading.as_str(), Phase::Submit.as_str(), now, id],
            )?;
            Ok(changed == 1)
        })
    }

    /// A POST of this job went without a clear answer: PAKS may hold it from now on.
    pub fn mark_post_unanswered(&self, id: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE submissions SET post_unanswered = 1, updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            Ok(())
        })
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
        self.write(|tx| {
            tx.execute(
                "UPDATE submissions SET submission_id = ?1, receipt = ?2, phase = 'review',
                   state = 'retry_scheduled', review_state = 'received', attempts = 0,
                   last_error = NULL, last_error_code = NULL, next_attempt_at = ?3,
                   updated_at = ?4 WHERE id = ?5",
                params![submission_id, receipt_json, next_poll_at, now, id],
            )?;
            Ok(())
        })
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
        self.write(|tx| {
            tx.execute(
                "UPDATE submissions SET review_state = ?1, review_comment = ?2, state = ?3,
                   attempts = CASE WHEN review_state IS ?1 THEN attempts + 1 ELSE 0 END,
                   last_error = NULL, last_error_code = NULL,
                   next_attempt_at = ?4, updated_at = ?5 WHERE id = ?6",
                params![
                    state,
                    comment,
                    if finished { "done" } else { "retry_scheduled" },
                    next_poll_at,
                    now,
                    id
                ],
            )?;
            Ok(())
        })
    }

    /// Everything of this submission that waits (for the person, a retry time or the network)
    /// is made due now. Returns how many jobs changed.
    pub fn retry_now(&self, submission_job: i64, now: i64) -> Result<usize> {
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = 'queued', next_attempt_at = ?1, updated_at = ?1
                 WHERE submission_job = ?2 AND state != 'done'",
                params![now, submission_job],
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = 'queued', next_attempt_at = ?1, updated_at = ?1
                 WHERE id = ?2 AND state != 'done'",
                params![now, submission_job],
            )?;
            Ok(n)
        })
    }

    /// PAKS is unreachable: jobs that were due now say they wait for the network.
    pub fn mark_waiting_network(&self, now: i64) -> Result<usize> {
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = 'waiting_network', updated_at = ?1
                 WHERE state IN ('queued', 'uploading')",
                [now],
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = 'waiting_network', updated_at = ?1
                 WHERE state IN ('queued', 'uploading') AND phase != 'review'",
                [now],
            )?;
            Ok(n)
        })
    }

    /// The network is back: jobs that waited for it are due now.
    pub fn network_back(&self, now: i64) -> Result<usize> {
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = 'queued', next_attempt_at = ?1, updated_at = ?1
                 WHERE state = 'waiting_network'",
                [now],
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = 'queued', next_attempt_at = ?1, updated_at = ?1
                 WHERE state = 'waiting_network'",
                [now],
            )?;
            // A bag may have reached PAKS while the network was down.
            tx.execute(
                "UPDATE hand_carried SET next_check_at = ?1
                 WHERE matched_at IS NULL AND next_check_at > ?1",
                [now],
            )?;
            Ok(n)
        })
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
