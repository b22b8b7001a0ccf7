//! Following a submitted case through PAKS's review, and bringing the local case to the state
//! PAKS gives it.

use desk_core::{CaseStatus, Store};
use paks_protocol::SubmissionState;

use super::Engine;
use crate::backoff::millis;
use crate::error::Result;
use crate::failure::Work;
use crate::outbox::JobState;
use crate::plan::Connectivity;
use crate::settings::SyncSettings;

impl Engine {
    pub(super) async fn run_poll(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let sub = self.outbox.submission(id)?;
        let sid = sub.submission_id.clone().unwrap_or_default();
        let result = async {
            let (client, _) = self.client(settings)?;
            client.status(&sid).await
        }
        .await;
        let now = self.now();
        match result {
            Ok(status) => {
                self.net = Connectivity::Online;
                let state = status.state;
                let finished = matches!(
                    state,
                    SubmissionState::Published
                        | SubmissionState::ChangesRequested
                        | SubmissionState::Rejected
                );
                let changed = sub.review_state.as_deref() != Some(state.as_str());
                let attempts = if changed { 1 } else { sub.attempts + 1 };
                let next = now + millis(self.options.review.delay(attempts));
                self.outbox.record_review(
                    id,
                    state.as_str(),
                    status.reviewer_comment.as_deref(),
                    finished,
                    next,
                    now,
                )?;
                apply_review(
                    &self.store,
                    sub.case_id,
                    &sid,
                    state,
                    status.reviewer_comment.as_deref(),
                )?;
                if changed {
                    self.job_event(
                        &sub,
                        if finished { JobState::Done } else { JobState::RetryScheduled },
                        None,
                    );
                }
            }
            Err(e) => {
                let outcome =
                    self.judge(&e, Work::ReviewPoll, sub.attempts, self.options.review, now);
                let message = e.to_string();
                let params = e.ui_message_params_json();
                self.outbox.fail_submission(
                    id,
                    &outcome.failure(&message, e.code(), &params),
                    now,
                )?;
            }
        }
        Ok(())
    }
}

/// Brings the local case to the state PAKS gives it (idempotent; tolerant of a crash between
/// the outbox and the case store).
pub(crate) fn apply_review(
    store: &Store,
    case_id: i64,
    submission_id: &str,
    state: SubmissionState,
    comment: Option<&str>,
) -> Result<()> {
    let mut case = store.case(case_id)?;
    if case.status == CaseStatus::Draft {
        case = store.set_status(case_id, CaseStatus::Queued)?;
    }
    if case.status == CaseStatus::Queued {
        case = store.record_submission(case_id, submission_id)?;
    }
    let next = match state {
        SubmissionState::Received => return Ok(()),
        SubmissionState::UnderReview => CaseStatus::UnderReview,
        SubmissionState::Published => CaseStatus::Published,
        SubmissionState::ChangesRequested => CaseStatus::ChangesRequested,
        SubmissionState::Rejected => CaseStatus::Rejected,
    };
    if case.status != next && !case.status.can_become(next) {
        tracing::warn!(
            case = case_id,
            from = case.status.as_str(),
            to = next.as_str(),
            "review state not applied"
        );
        return Ok(());
    }
    if case.status != next || case.review_comment != comment.unwrap_or_default() {
        store.record_review(case_id, next, comment.unwrap_or_default())?;
    }
    Ok(())
}
