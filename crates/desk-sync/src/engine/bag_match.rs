//! Asking PAKS whether a hand-carried bag reached it, and taking its receipt in.

use super::Engine;
use crate::backoff::millis;
use crate::error::Result;
use crate::failure::Work;
use crate::plan::Connectivity;
use crate::progress::SyncEvent;
use crate::receipt_match::{Found, take_in};
use crate::settings::SyncSettings;

impl Engine {
    pub(super) async fn run_match(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let bag = self.outbox.hand_carried_row(id)?;
        let found = async {
            let (client, key) = self.client(settings)?;
            client.receipt_of_version(&bag.case_uid, bag.case_version, &key).await
        }
        .await;
        let now = self.now();
        match found {
            Ok(Some((receipt, json))) => {
                self.net = Connectivity::Online;
                let next_poll = now + millis(self.options.review.delay(1));
                let found = Found { receipt: &receipt, receipt_json: &json, next_poll, now };
                let taken = take_in(&self.store, &self.outbox, &bag, &found)?;
                let sid = receipt.submission_id.to_string();
                self.outbox.hand_carried_matched(id, &sid, &json, &taken.message, now)?;
                tracing::info!(case = bag.case_id, submission = %sid, "hand-carried bag's receipt taken in");
                self.events.emit(SyncEvent::ReceiptMatched {
                    case_id: taken.case_id,
                    submission_job: taken.submission_job,
                    message: taken.message,
                });
            }
            Ok(None) => {
                self.net = Connectivity::Online;
                let later = now + millis(self.options.review.delay(bag.checks + 1));
                self.outbox.hand_carried_not_found(id, None, later, true)?;
            }
            Err(e) => {
                let outcome = self.judge(&e, Work::BagLookup, bag.checks, self.options.review, now);
                let next = outcome.next_attempt_at;
                tracing::info!(case = bag.case_id, error = %e, "could not ask PAKS for a bag's receipt");
                self.outbox.hand_carried_not_found(id, Some(&e.to_string()), next, false)?;
            }
        }
        Ok(())
    }
}
