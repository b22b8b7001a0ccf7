use rusqlite::{OptionalExtension, params};

use super::Outbox;
use crate::error::{Result, SyncError};

impl Outbox {
    /// Removes a submission job and its uploads, if PAKS cannot have it yet: only while its files
    /// are uploading. Once `POST /submissions` may have been sent, cancelling could leave a
    /// submission on PAKS that the app no longer knows about, so it is refused.
    /// Returns the case it belonged to.
    pub fn cancel(&self, submission_job: i64) -> Result<i64> {
        self.write(|tx| {
            let row: Option<(i64, String)> = tx
                .query_row(
                    "SELECT case_id, phase FROM submissions WHERE id = ?1",
                    params![submission_job],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((case_id, phase)) = row else {
                return Err(SyncError::Invalid(format!(
                    "There is no submission {submission_job} in the outbox (already cancelled?)."
                )));
            };
            if phase != "upload" {
                return Err(SyncError::Invalid(
                    "This case has already been handed to PAKS, so it can no longer be \
                     cancelled. Wait for the receipt, then start a new version to change it."
                        .to_owned(),
                ));
            }
            tx.execute("DELETE FROM submissions WHERE id = ?1", params![submission_job])?;
            Ok(case_id)
        })
    }
}
