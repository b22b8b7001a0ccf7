//! When jobs of both tables are due: now (the person asked, the network is back) or once PAKS
//! is reachable again.

use rusqlite::params;

use super::{JobState, Outbox, Phase};
use crate::error::Result;

impl Outbox {
    /// Everything of this submission that waits (for the person, a retry time or the network)
    /// is made due now. Returns how many jobs changed.
    pub fn retry_now(&self, submission_job: i64, now: i64) -> Result<usize> {
        let args = params![JobState::Queued, now, submission_job, JobState::Done];
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = ?1, next_attempt_at = ?2, updated_at = ?2
                 WHERE submission_job = ?3 AND state != ?4",
                args,
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = ?1, next_attempt_at = ?2, updated_at = ?2
                 WHERE id = ?3 AND state != ?4",
                args,
            )?;
            Ok(n)
        })
    }

    /// PAKS is unreachable: jobs that were due now say they wait for the network.
    pub fn mark_waiting_network(&self, now: i64) -> Result<usize> {
        let (waiting, due) = (JobState::WaitingNetwork, [JobState::Queued, JobState::Uploading]);
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = ?1, updated_at = ?2 WHERE state IN (?3, ?4)",
                params![waiting, now, due[0], due[1]],
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = ?1, updated_at = ?2
                 WHERE state IN (?3, ?4) AND phase != ?5",
                params![waiting, now, due[0], due[1], Phase::Review],
            )?;
            Ok(n)
        })
    }

    /// The network is back: jobs that waited for it are due now.
    pub fn network_back(&self, now: i64) -> Result<usize> {
        let args = params![JobState::Queued, now, JobState::WaitingNetwork];
        self.write(|tx| {
            let mut n = tx.execute(
                "UPDATE uploads SET state = ?1, next_attempt_at = ?2, updated_at = ?2
                 WHERE state = ?3",
                args,
            )?;
            n += tx.execute(
                "UPDATE submissions SET state = ?1, next_attempt_at = ?2, updated_at = ?2
                 WHERE state = ?3",
                args,
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
