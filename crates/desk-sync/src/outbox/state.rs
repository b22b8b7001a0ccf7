//! Where a job stands, stored in SQLite as the same snake_case words the UI and the CLI see.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::Serialize;

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
    pub const ALL: [Phase; 3] = [Phase::Upload, Phase::Submit, Phase::Review];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upload => "upload",
            Phase::Submit => "submit",
            Phase::Review => "review",
        }
    }
}

/// Stores each value of a state enum as its `as_str` word; an unknown word read back is a
/// conversion error (the job's data is damaged).
macro_rules! stored_as_words {
    ($type:ty, $what:literal) => {
        impl ToSql for $type {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl FromSql for $type {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let word = value.as_str()?;
                <$type>::ALL.into_iter().find(|v| v.as_str() == word).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} {word:?}", $what).into())
                })
            }
        }
    };
}

stored_as_words!(JobState, "job state");
stored_as_words!(Phase, "phase");

/// A failure to record on a job.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub state: JobState,
    pub message: &'a str,
    pub code: &'a str,
    /// The parameters of `code` as JSON, for the UI to word it.
    pub params: &'a str,
    pub next_attempt_at: i64,
    /// Whether this counts as an attempt (a network outage does not).
    pub count_attempt: bool,
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::error::SyncError;

    #[test]
    fn every_state_and_phase_is_stored_as_its_word_and_read_back() {
        let conn = Connection::open_in_memory().unwrap();
        for state in JobState::ALL {
            let (word, back): (String, JobState) =
                conn.query_row("SELECT ?1, ?1", [state], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            assert_eq!((word.as_str(), back), (state.as_str(), state));
        }
        for phase in Phase::ALL {
            let (word, back): (String, Phase) =
                conn.query_row("SELECT ?1, ?1", [phase], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            assert_eq!((word.as_str(), back), (phase.as_str(), phase));
        }
        let as_json = serde_json::to_string(&JobState::ALL).unwrap();
        let words: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(as_json, serde_json::to_string(&words).unwrap(), "the UI sees the same words");
    }

    #[test]
    fn an_unknown_stored_word_is_damaged_data_not_a_passing_failure() {
        let conn = Connection::open_in_memory().unwrap();
        let read = conn.query_row("SELECT 'paused'", [], |r| r.get::<_, JobState>(0));
        let err = SyncError::from(read.unwrap_err());
        assert_eq!(err.code(), "damaged_job");
        assert!(!err.is_transient());
        assert!(err.to_string().contains("unknown job state \"paused\""), "{err}");
        let read = conn.query_row("SELECT 3", [], |r| r.get::<_, Phase>(0));
        assert_eq!(SyncError::from(read.unwrap_err()).code(), "damaged_job");
    }
}
