//! PAKS Desk's sync: the durable outbox of submissions and file uploads, the worker that sends
//! them over slow, breaking links (our own resumable tus client, idempotent submission, signed
//! receipts), and review status polling. No Tauri: the app wraps it, the CLI drives it.
//!
//! Vocabulary: a *submission job* is one case version to send; an *upload job* is one of its
//! files. Both live in `outbox.sqlite3` in the data folder, with their state, attempts, last
//! error and next attempt time.

pub mod backoff;
pub mod client;
pub mod connect;
pub mod engine;
pub mod error;
pub mod failure;
pub mod handcarry;
pub mod library;
pub mod outbox;
pub mod plan;
pub mod progress;
pub mod publication;
pub mod receipt_match;
pub mod send_lock;
pub mod settings;
pub mod snapshot;
pub mod token;
pub mod tus;
pub mod update;
pub mod worker;

pub use client::{ClientOptions, PaksClient};
pub use connect::{Connected, KeyChange, check_reachable, connect};
pub use engine::{Engine, EngineOptions, now_ms};
pub use error::{Result, SyncError};
pub use outbox::{
    Failure, HandCarried, JobState, Outbox, OutboxEntry, Phase, SubmissionJob, UploadJob,
};
pub use plan::{Action, Connectivity, Idle};
pub use progress::{EventSink, Progress, SyncEvent};
pub use send_lock::{OtherSender, SendLock};
pub use settings::SyncSettings;
pub use snapshot::{cancel_submission, file_to_send, submit_case};
pub use token::{TokenLocation, TokenStore};
pub use worker::{Command, SyncHandle, SyncWorker};
