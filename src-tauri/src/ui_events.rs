//! Events the shell sends to the UI, typed for the TypeScript side.

use desk_core::{LibraryState, UiMessage};
use desk_sync::library::LibrarySyncReport;
use desk_sync::{Idle, Progress, SyncEvent};
use serde::Serialize;
use ts_rs::TS;

/// Event names, as the UI listens for them.
pub const SYNC: &str = "sync";
pub const ATTACHMENT_INDEXED: &str = "attachment-indexed";
pub const ATTACHMENT_READING: &str = "attachment-reading";
pub const FILES_DROPPED: &str = "files-dropped";
pub const CLOSE_REQUESTED: &str = "close-requested";
pub const BAG_PROGRESS: &str = "bag-progress";
/// `desk_sync::update::UpdateProgress` while an update downloads.
pub const UPDATE_PROGRESS: &str = "update-progress";
/// [`LibrarySyncUpdate`]: how a library sync goes.
pub const LIBRARY_SYNC: &str = "library-sync";
/// [`LibraryFileProgress`] while a published file downloads to be opened.
pub const LIBRARY_FILE_PROGRESS: &str = "library-file-progress";

/// What the sync worker reports: progress, a job's new state, reachability, idleness.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncUpdate {
    Progress {
        progress: Progress,
    },
    Job {
        submission_job: i64,
        case_id: i64,
        state: String,
        /// What went wrong, for the UI to word; none when nothing did.
        problem: Option<UiMessage>,
    },
    Connectivity {
        connectivity: Connectivity,
    },
    /// PAKS's receipt for a hand-carried bag was found and taken into the case.
    ReceiptMatched {
        case_id: i64,
    },
    /// Another PAKS Desk (or `paks-desk-cli sync`) is sending from this data folder.
    OtherSender {
        /// Its pid and program, as it wrote them.
        holder: String,
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
    /// The last check failed; `problem` says why, for the UI to word.
    Unreachable {
        problem: UiMessage,
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
            SyncEvent::Progress(p) => SyncUpdate::Progress { progress: p.clone() },
            SyncEvent::Job { submission_job, case_id, state, problem, .. } => SyncUpdate::Job {
                submission_job: *submission_job,
                case_id: *case_id,
                state: state.clone(),
                problem: problem.clone(),
            },
            SyncEvent::Connectivity { online, problem, .. } => SyncUpdate::Connectivity {
                connectivity: if *online {
                    Connectivity::Online
                } else {
                    Connectivity::Unreachable {
                        problem: problem.clone().unwrap_or_else(|| UiMessage::new("offline_now")),
                    }
                },
            },
            SyncEvent::ReceiptMatched { case_id, .. } => {
                SyncUpdate::ReceiptMatched { case_id: *case_id }
            }
            SyncEvent::OtherSender { holder, .. } => {
                SyncUpdate::OtherSender { holder: holder.clone() }
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

/// How far OCR is in a file being read: `done` of its `total` scanned pages.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AttachmentReading {
    pub sha256: String,
    pub done: u32,
    pub total: u32,
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

/// A library sync, started by "Sync now" or when PAKS became reachable.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LibrarySyncUpdate {
    Started,
    /// A page of the change feed is stored; the counts so far.
    Progress {
        report: LibrarySyncReport,
    },
    Finished {
        state: LibraryState,
    },
    /// What was stored stays; the next sync resumes after it.
    Failed {
        problem: UiMessage,
    },
}

/// A published file downloading to be opened: `done` of its `total` bytes are on disk.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LibraryFileProgress {
    pub case_uid: String,
    pub position: u32,
    pub done: u64,
    pub total: u64,
}
