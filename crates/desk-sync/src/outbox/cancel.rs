use rusqlite::params;

use super::Outbox;
use crate::error::{Result, SyncError};

impl Outbox {
    /// Removes a submission job and its uploads if PAKS cannot have it
    /// ([`SubmissionJob::can_cancel`](super::SubmissionJob::can_cancel)); otherwise cancelling
    /// could leave a submission on PAKS that the app no longer knows about, so it is refused.
    /// Returns the case it belonged to.
    pub fn cancel(&self, submission_job: i64) -> Result<i64> {
        self.write(|tx| {
            let job = super::submissions::by_id(tx, submission_job)?;
            let Some(job) = job else {
                return Err(SyncError::Invalid(format!(
                    "There is no submission {submission_job} in the outbox (already cancelled?)."
                )));
            };
            if !job.can_cancel() {
                return Err(SyncError::CannotCancel);
            }
            let case_id = job.case_id;
            tx.execute("DELETE FROM submissions WHERE id = ?1", params![submission_job])?;
            Ok(case_id)
        })
    }
}
