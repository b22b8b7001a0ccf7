//! What a failed attempt does to its job: the one rule behind every upload, submission, review
//! poll and bag lookup that fails. Pure, like the planner beside it: the time and the jitter
//! are passed in.

use crate::backoff::{Backoff, millis};
use crate::error::SyncError;
use crate::outbox::{Failure, JobState};

/// The kind of work that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Sending an upload or a submission's POST; `progressed`: PAKS confirmed more bytes in
    /// this attempt.
    Send { progressed: bool },
    /// Asking PAKS for a submission's review state.
    ReviewPoll,
    /// Asking PAKS whether it received a hand-carried bag.
    BagLookup,
}

/// One failed attempt, as the engine saw it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub work: Work,
    /// Failed attempts (for a bag: lookups) before this one.
    pub attempts: u32,
    pub backoff: Backoff,
    pub now: i64,
    /// The random draw in `[0, 1)` for the backoff's jitter.
    pub jitter: f64,
}

/// What to record on the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub state: JobState,
    pub next_attempt_at: i64,
    /// Whether this counts as an attempt (a network outage does not).
    pub count_attempt: bool,
    /// The connection broke mid-request: check that PAKS is reachable before the next try.
    pub recheck_network: bool,
}

impl Outcome {
    pub fn failure<'a>(&self, message: &'a str, code: &'a str, params: &'a str) -> Failure<'a> {
        Failure {
            state: self.state,
            message,
            code,
            params,
            next_attempt_at: self.next_attempt_at,
            count_attempt: self.count_attempt,
        }
    }
}

/// The shortest wait before a review poll that failed is tried again.
const MIN_POLL_WAIT_MS: i64 = 1000;

pub fn outcome(error: &SyncError, attempt: &Attempt) -> Outcome {
    let Attempt { work, attempts, backoff, now, jitter } = *attempt;
    let backed_off = now + millis(backoff.delay_with(attempts + 1, jitter));
    let (state, next, count_attempt) = if error.is_offline() {
        // If PAKS is reachable again, a job that made progress goes on at once, one that did
        // not backs off (so a path that breaks every request does not spin).
        if work == (Work::Send { progressed: true }) {
            (JobState::RetryScheduled, now, false)
        } else {
            (JobState::RetryScheduled, backed_off, true)
        }
    } else if error.is_transient() {
        let next = error.retry_after().map_or(backed_off, |delay| now + millis(delay));
        (JobState::RetryScheduled, next, true)
    } else {
        (JobState::NeedsAttention, now, true)
    };
    let next_attempt_at = match work {
        Work::Send { .. } => next,
        Work::ReviewPoll => next.max(now + MIN_POLL_WAIT_MS),
        Work::BagLookup if next <= now => backed_off,
        Work::BagLookup => next,
    };
    Outcome { state, next_attempt_at, count_attempt, recheck_network: error.is_offline() }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const NOW: i64 = 1_000_000;
    /// The backoff's delay with the jitter at its top: exactly 10 s.
    const BACKED_OFF: i64 = NOW + 10_000;

    /// State, next attempt, counts as an attempt, check the network.
    type Expected = (JobState, i64, bool, bool);

    fn rate_limited(secs: u64) -> SyncError {
        SyncError::RateLimited { retry_after: Duration::from_secs(secs) }
    }

    #[test]
    fn each_error_and_kind_of_work_leads_to_its_outcome() {
        use JobState::{NeedsAttention as Person, RetryScheduled as Retry};
        let send = Work::Send { progressed: false };
        let progressed = Work::Send { progressed: true };
        let (poll, bag) = (Work::ReviewPoll, Work::BagLookup);
        let later = (Retry, BACKED_OFF, true, false);
        let later_and_recheck = (Retry, BACKED_OFF, true, true);
        let person = (Person, NOW, true, false);
        let cases: Vec<(SyncError, Work, Expected)> = vec![
            (SyncError::Offline("reset".into()), progressed, (Retry, NOW, false, true)),
            (SyncError::Offline("reset".into()), send, later_and_recheck),
            (SyncError::NotPaks("portal".into()), send, later_and_recheck),
            (SyncError::Server { status: 503, detail: "x".into() }, send, later),
            (SyncError::Garbled("json".into()), progressed, later),
            (rate_limited(3), send, (Retry, NOW + 3000, true, false)),
            (SyncError::Database("locked".into()), send, later),
            (SyncError::DamagedJob("bad json".into()), send, person),
            (SyncError::FileChanged { name: "a.pdf".into() }, progressed, person),
            (SyncError::Refused("bad".into()), send, person),
            (SyncError::Unauthorized("no".into()), poll, (Person, NOW + 1000, true, false)),
            (rate_limited(0), poll, (Retry, NOW + 1000, true, false)),
            (rate_limited(30), poll, (Retry, NOW + 30_000, true, false)),
            (SyncError::Offline("down".into()), poll, later_and_recheck),
            (SyncError::Refused("no".into()), bag, (Person, BACKED_OFF, true, false)),
            (rate_limited(0), bag, later),
            (rate_limited(30), bag, (Retry, NOW + 30_000, true, false)),
            (SyncError::Offline("down".into()), bag, later_and_recheck),
        ];
        let backoff = Backoff { base: Duration::from_secs(10), cap: Duration::from_secs(10) };
        for (error, work, expected) in cases {
            let attempt = Attempt { work, attempts: 4, backoff, now: NOW, jitter: 1.0 };
            let o = outcome(&error, &attempt);
            let got = (o.state, o.next_attempt_at, o.count_attempt, o.recheck_network);
            assert_eq!(got, expected, "{error:?} during {work:?}");
        }
    }

    #[test]
    fn the_failure_recorded_carries_the_outcome_and_the_words() {
        let attempt = Attempt {
            work: Work::Send { progressed: false },
            attempts: 0,
            backoff: Backoff::JOBS,
            now: NOW,
            jitter: 0.0,
        };
        let error = SyncError::Server { status: 500, detail: "boom".into() };
        let o = outcome(&error, &attempt);
        assert_eq!(o.next_attempt_at, NOW + 1000, "half of the first 2 s step, no jitter");
        let message = error.to_string();
        let params = error.ui_message_params_json();
        let f = o.failure(&message, error.code(), &params);
        assert_eq!((f.state, f.next_attempt_at, f.count_attempt), (o.state, NOW + 1000, true));
        assert_eq!((f.message, f.code), (message.as_str(), "server_error"));
        assert_eq!(f.params, r#"{"detail":"boom","status":500}"#);
    }
}
