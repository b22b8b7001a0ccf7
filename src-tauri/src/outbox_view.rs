//! The outbox as the UI shows it: per case and per file, the state in plain words' codes, bytes
//! confirmed by PAKS, the last error, and the receipt once PAKS has the case.

use desk_core::UiMessage;
use desk_sync::{OutboxEntry, UploadJob};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxItem {
    pub job_id: i64,
    pub case_id: i64,
    pub case_version: i64,
    /// queued, uploading, waiting_network, retry_scheduled, needs_attention, done.
    pub state: String,
    /// upload, submit or review.
    pub phase: String,
    pub attempts: u32,
    /// The last error, for the UI to word.
    pub problem: Option<UiMessage>,
    /// Unix ms; meaningful when `state` is retry_scheduled.
    pub next_attempt_at: i64,
    pub bytes_confirmed: u64,
    pub bytes_total: u64,
    pub files: Vec<OutboxFile>,
    pub receipt: Option<ReceiptView>,
    /// What PAKS says of it: received, under_review, published, changes_requested, rejected.
    pub review_state: Option<String>,
    pub review_comment: Option<String>,
    /// Whether "cancel" can take it out of the outbox (PAKS cannot have it yet).
    pub cancellable: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxFile {
    pub id: i64,
    pub name: String,
    pub size: u64,
    pub bytes_confirmed: u64,
    pub state: String,
    pub attempts: u32,
    pub problem: Option<UiMessage>,
}

/// The stored code and parameters of a job's last error; parameters an older PAKS Desk did not
/// keep are left out.
fn problem(code: Option<&str>, params: Option<&str>) -> Option<UiMessage> {
    let mut message = UiMessage::new(code?);
    if let Some(params) = params.and_then(|json| serde_json::from_str(json).ok()) {
        message.params = params;
    }
    Some(message)
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReceiptView {
    pub submission_id: String,
    pub server_name: String,
    /// RFC 3339, UTC, as PAKS signed it.
    pub received_at: String,
    pub case_sha256: String,
    pub files: Vec<ReceiptFileView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReceiptFileView {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

impl From<&UploadJob> for OutboxFile {
    fn from(u: &UploadJob) -> Self {
        Self {
            id: u.id,
            name: u.name.clone(),
            size: u.size,
            bytes_confirmed: u.bytes_confirmed.min(u.size),
            state: u.state.as_str().to_owned(),
            attempts: u.attempts,
            problem: problem(u.last_error_code.as_deref(), u.last_error_params.as_deref()),
        }
    }
}

impl From<&OutboxEntry> for OutboxItem {
    fn from(e: &OutboxEntry) -> Self {
        let s = &e.submission;
        let receipt = s.verified_receipt().map(|r| ReceiptView {
            submission_id: r.submission_id.to_string(),
            server_name: r.server_name,
            received_at: r.received_at,
            case_sha256: r.case_sha256,
            files: r
                .files
                .into_iter()
                .map(|f| ReceiptFileView { name: f.name, size: f.size, sha256: f.sha256 })
                .collect(),
        });
        Self {
            job_id: s.id,
            case_id: s.case_id,
            case_version: s.case_version,
            state: s.state.as_str().to_owned(),
            phase: s.phase.as_str().to_owned(),
            cancellable: s.can_cancel(),
            attempts: s.attempts,
            problem: problem(s.last_error_code.as_deref(), s.last_error_params.as_deref()),
            next_attempt_at: s.next_attempt_at,
            bytes_confirmed: e.bytes_confirmed,
            bytes_total: e.bytes_total,
            files: e.uploads.iter().map(OutboxFile::from).collect(),
            receipt,
            review_state: s.review_state.clone(),
            review_comment: s.review_comment.clone(),
        }
    }
}
