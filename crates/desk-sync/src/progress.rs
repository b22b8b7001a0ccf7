//! Events for the UI: progress (bytes confirmed / total, rate, time left, per file and per
//! case), job changes, reachability. Progress is throttled; the other events are rare and
//! always delivered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

use desk_core::UiMessage;

use crate::plan::Idle;

/// How far a case's files are sent; the UI knows it as `SendProgress`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, rename = "SendProgress")]
pub struct Progress {
    pub submission_job: i64,
    pub case_id: i64,
    pub upload_job: i64,
    pub file: String,
    pub file_bytes_confirmed: u64,
    pub file_bytes_total: u64,
    pub case_bytes_confirmed: u64,
    pub case_bytes_total: u64,
    /// Measured over the recent chunks, bytes per second.
    pub bytes_per_second: f64,
    /// For the file, at the measured rate.
    pub file_seconds_left: Option<f64>,
    /// For the whole case, at the measured rate.
    pub case_seconds_left: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncEvent {
    Progress(Progress),
    /// A job changed state; `message` (English, for the CLI and logs) and `problem` (for the
    /// UI to word) are set when something went wrong.
    Job {
        submission_job: i64,
        case_id: i64,
        state: String,
        message: Option<String>,
        problem: Option<UiMessage>,
    },
    /// Whether PAKS is reachable, after a check.
    Connectivity {
        online: bool,
        message: Option<String>,
        problem: Option<UiMessage>,
    },
    /// PAKS's receipt for a hand-carried bag was found and taken into its case.
    ReceiptMatched {
        case_id: i64,
        submission_job: Option<i64>,
        message: String,
    },
    /// Another process is sending from this data folder; this one waits (sent once per wait).
    OtherSender {
        message: String,
        /// Who holds the send lock (pid and program), as it wrote it.
        holder: String,
    },
    /// The worker has nothing to do now.
    Idle {
        idle: Idle,
    },
}

/// Where events go: the app forwards them to the UI, the CLI prints them.
pub type EventSink = Arc<dyn Fn(&SyncEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn no_events() -> EventSink {
    Arc::new(|_| {})
}

/// Passes at most one progress event per upload per `interval` (plus the last one of a file);
/// other events pass through.
pub struct Throttled {
    sink: EventSink,
    interval: Duration,
    last: Mutex<HashMap<i64, Instant>>,
}

impl Throttled {
    /// At most 10 progress events a second per upload.
    pub fn new(sink: EventSink) -> Self {
        Self::with_interval(sink, Duration::from_millis(100))
    }

    pub fn with_interval(sink: EventSink, interval: Duration) -> Self {
        Self { sink, interval, last: Mutex::new(HashMap::new()) }
    }

    pub fn emit(&self, event: SyncEvent) {
        if let SyncEvent::Progress(p) = &event {
            let finished = p.file_bytes_confirmed >= p.file_bytes_total;
            let now = Instant::now();
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let recent =
                last.get(&p.upload_job).is_some_and(|t| now.duration_since(*t) < self.interval);
            if recent && !finished {
                return;
            }
            last.insert(p.upload_job, now);
        }
        (self.sink)(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u64) -> SyncEvent {
        SyncEvent::Progress(Progress {
            submission_job: 1,
            case_id: 1,
            upload_job: 1,
            file: "a.pdf".into(),
            file_bytes_confirmed: done,
            file_bytes_total: 100,
            case_bytes_confirmed: done,
            case_bytes_total: 100,
            bytes_per_second: 1.0,
            file_seconds_left: None,
            case_seconds_left: None,
        })
    }

    #[test]
    fn progress_is_throttled_but_the_last_one_passes() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let t = Throttled::with_interval(
            Arc::new(move |e: &SyncEvent| s.lock().unwrap().push(e.clone())),
            Duration::from_secs(60),
        );
        for done in 0..50 {
            t.emit(progress(done));
        }
        t.emit(SyncEvent::Idle { idle: Idle::Empty });
        t.emit(progress(100));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "first progress, the idle event, the final progress");
        assert_eq!(seen[2], progress(100));
    }
}
