//! Events the shell sends to the UI, typed for the TypeScript side.

use desk_sync::{Idle, SyncEvent};
use serde::Serialize;
use ts_rs::TS;

/// Event names, as the UI listens for them.
pub const SYNC: &str = "sync";
pub const ATTACHMENT_INDEXED: &str = "attachment-indexed";
pub const FILES_DROPPED: &str = "files-dropped";
pub const CLOSE_REQUESTED: &str = "close-requested";
pub const BAG_PROGRESS: &str = "bag-progress";

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SendProgress {
    pub submission_job: i64,
    pub case_id: i64,
    pub upload_job: i64,
    pub file: String,
    pub file_bytes_confirmed: u64,
    pub file_bytes_total: u64,
    pub case_bytes_confirmed: u64,
    pub case_bytes_total: u64,
    pub bytes_per_second: f64,
    pub file_seconds_left: Option<f64>,
    pub case_seconds_left: Option<f64>,
}

/// What the sync worker reports: progress, a job's new state, reachability, idleness.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncUpdate {
    Progress {
        progress: SendProgress,
    },
    Job {
        submission_job: i64,
        case_id: i64,
        state: String,
        message: Option<String>,
    },
    Connectivity {
        connectivity: Connectivity,
    },
    /// PAKS's receipt for a hand-carried bag was found and taken into the case.
    ReceiptMatched {
        case_id: i64,
        message: String,
    },
    /// Another PAKS Desk (or `paks-desk-cli sync`) is sending from this data folder.
    OtherSender {
        message: String,
    },
    Idle {
        /// empty, waiting_network, waiting_retry, waiting_review, waiting_bag, waiting_person,
        /// paused, other_sender.
        idle: String,
    },
}

/// Whether PAKS can be reached, for the indicator shown on every screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connectivity {
    /// No PAKS address or token yet.
    NotConnected,
    /// Not checked yet since the app started.
    Unknown,
    Online,
    /// The last check failed; `message` says why in plain words.
    Unreachable {
        message: String,
    },
}

fn idle_code(idle: Idle) -> &'static str {
    match idle {
        Idle::Empty => "empty",
        Idle::WaitingNetwork => "waiting_network",
        Idle::WaitingRetry => "waiting_retry",
        Idle::WaitingReview => "waiting_review",
        Idle::WaitingPerson => "waiting_person",
        Idle::Paused => "paused",
        Idle::WaitingBag => "waiting_bag",
        Idle::OtherSender => "other_sender",
    }
}

impl From<&SyncEvent> for SyncUpdate {
    fn from(event: &SyncEvent) -> Self {
        match event {
            SyncEvent::Progress(p) => SyncUpdate::Progress {
                progress: SendProgress {
                    submission_job: p.submission_job,
                    case_id: p.case_id,
                    upload_job: p.upload_job,
                    file: p.file.clone(),
                    file_bytes_confirmed: p.file_bytes_confirmed,
                    file_bytes_total: p.file_bytes_total,
                    case_bytes_confirmed: p.case_bytes_confirmed,
                    case_bytes_total: p.case_bytes_total,
                    bytes_per_second: p.bytes_per_second,
                    file_seconds_left: p.file_seconds_left,
                    case_seconds_left: p.case_seconds_left,
                },
            },
            SyncEvent::Job { submission_job, case_id, state, message } => SyncUpdate::Job {
                submission_job: *submission_job,
                case_id: *case_id,
                state: state.clone(),
                message: message.clone(),
            },
            SyncEvent::Connectivity { online, message } => SyncUpdate::Connectivity {
                connectivity: if *online {
                    Connectivity::Online
                } else {
                    Connectivity::Unreachable {
                        message: message.clone().unwrap_or_else(|| {
                            "PAKS cannot be reached. Sending resumes by itself.".to_owned()
                        }),
                    }
                },
            },
            SyncEvent::ReceiptMatched { case_id, message, .. } => {
                SyncUpdate::ReceiptMatched { case_id: *case_id, message: message.clone() }
            }
            SyncEvent::OtherSender { message } => {
                SyncUpdate::OtherSender { message: message.clone() }
            }
            SyncEvent::Idle { idle } => SyncUpdate::Idle { idle: idle_code(*idle).to_owned() },
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AttachmentIndexed {
    pub case_id: i64,
    pub sha256: String,
}

/// Files dropped on the window; the UI attaches them by `drop_id` (never by path).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FilesDropped {
    pub drop_id: u64,
    pub names: Vec<String>,
}

/// Writing a hand-carry bag: payload bytes written so far.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BagProgress {
    pub case_id: i64,
    pub done: u64,
    pub total: u64,
}
