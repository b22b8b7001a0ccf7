//! `POST /submissions` of a case whose files are all uploaded, with its stored Idempotency-Key,
//! and the verified receipt taken in.

use paks_protocol::{AttachmentDescriptor, CaseDocument, SubmissionRequest, SubmissionState};
use uuid::Uuid;

use super::{Engine, apply_review};
use crate::backoff::millis;
use crate::error::{Result, SyncError};
use crate::failure::Work;
use crate::outbox::{JobState, Phase, SubmissionJob};
use crate::plan::Connectivity;
use crate::settings::SyncSettings;

impl Engine {
    fn request_of(&self, sub: &SubmissionJob) -> Result<SubmissionRequest> {
        let case: CaseDocument = serde_json::from_str(&sub.document).map_err(|e| {
            SyncError::DamagedJob(format!("the frozen case document is damaged: {e}"))
        })?;
        let mut attachments = Vec::new();
        for u in self.outbox.uploads_of(sub.id)? {
            let url = u.upload_url.as_deref().unwrap_or_default();
            let upload_id = url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| {
                    SyncError::Garbled(format!("the upload URL {url:?} names no upload id"))
                })?;
            attachments.push(AttachmentDescriptor {
                upload_id,
                sha256: u.sha256,
                size: u.size,
                name: u.name,
                media_type: u.media_type,
            });
        }
        Ok(SubmissionRequest { case, attachments })
    }

    pub(super) async fn run_submit(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let sub = self.outbox.submission(id)?;
        // A request that cannot be built was never sent: the job stays one that can be cancelled.
        let request = self.request_of(&sub);
        let posted = request.is_ok();
        if posted && !self.outbox.mark_posting(id, self.now())? {
            tracing::info!(case = sub.case_id, "cancelled before its POST; nothing sent");
            return Ok(());
        }
        let result = async {
            let request = request?;
            let (client, key) = self.client(settings)?;
            let receipt = client.submit(&sub.idempotency_key, &request, &key).await?;
            let json =
                serde_json::to_string(&receipt).map_err(|e| SyncError::Database(e.to_string()))?;
            Ok::<_, SyncError>((receipt, json))
        }
        .await;
        let now = self.now();
        match result {
            Ok((receipt, json)) => {
                self.net = Connectivity::Online;
                let sid = receipt.submission_id.to_string();
                let next = now + millis(self.options.review.delay(1));
                self.outbox.record_receipt(id, &sid, &json, next, now)?;
                apply_review(&self.store, sub.case_id, &sid, SubmissionState::Received, None)?;
                tracing::info!(case = sub.case_id, submission = %sid, "submitted; receipt verified");
                self.job_event(&sub, JobState::Done, None);
            }
            Err(SyncError::UploadExpired(detail)) => {
                for u in self.outbox.uploads_of(id)? {
                    self.outbox.reset_upload(u.id, now)?;
                    self.outbox.set_upload_state(u.id, JobState::Queued, now)?;
                }
                self.outbox.set_submission_state(id, JobState::Queued, Phase::Upload, now)?;
                tracing::info!(
                    case = sub.case_id,
                    detail,
                    "an upload expired before submission; sending the files again"
                );
            }
            Err(e) => {
                if posted && !e.proves_nothing_made() {
                    self.outbox.mark_post_unanswered(id, now)?;
                }
                let work = Work::Send { progressed: false };
                let outcome = self.judge(&e, work, sub.attempts, self.options.jobs, now);
                let state = outcome.state;
                let message = e.to_string();
                let params = e.ui_message_params_json();
                self.outbox.fail_submission(
                    id,
                    &outcome.failure(&message, e.code(), &params),
                    now,
                )?;
                tracing::info!(case = sub.case_id, error = %e, state = state.as_str(), "submission not done");
                self.job_event(&sub, state, Some(&e));
            }
        }
        Ok(())
    }
}
