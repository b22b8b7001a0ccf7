#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Cancelling a queued submission: allowed until its POST is sent or when PAKS refused it,
//! refused once PAKS may have it.

mod common;

use common::*;
use desk_core::CaseStatus;
use desk_sync::{
    Failure, JobState, Outbox, Phase, cancel_submission, file_to_send, now_ms, submit_case,
};

#[test]
fn a_case_still_uploading_can_be_cancelled_and_becomes_a_draft_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), "http://127.0.0.1:9", "paks_unused", "unused-key");
    let case = complete_case(&store, "Bhutan e-services");
    let (deck, _) = make_file(dir.path(), "deck.pptx", 10_000);
    let outbox = Outbox::open(dir.path()).unwrap();
    let job =
        submit_case(&store, &outbox, case, &[file_to_send(&deck).unwrap()], now_ms()).unwrap();
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued);

    let after = cancel_submission(&store, &outbox, job.id).unwrap();

    assert_eq!(after.status, CaseStatus::Draft);
    assert!(outbox.entries().unwrap().is_empty());
    assert!(outbox.uploads().unwrap().is_empty(), "its uploads go with it");
    let again = cancel_submission(&store, &outbox, job.id).unwrap_err();
    assert!(again.to_string().contains("no submission"), "{again}");
}

#[test]
fn a_case_whose_post_may_have_reached_paks_cannot_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), "http://127.0.0.1:9", "paks_unused", "unused-key");
    let case = complete_case(&store, "Nepal land records");
    let outbox = Outbox::open(dir.path()).unwrap();
    let job = submit_case(&store, &outbox, case, &[], now_ms()).unwrap();
    // The POST went out and its answer was lost to a cut: PAKS may hold the case.
    outbox.mark_posting(job.id, now_ms()).unwrap();
    outbox.set_submission_state(job.id, JobState::WaitingNetwork, Phase::Submit, now_ms()).unwrap();

    let err = cancel_submission(&store, &outbox, job.id).unwrap_err();

    assert_eq!(err.code(), "cannot_cancel", "{err}");
    assert_eq!(outbox.entries().unwrap().len(), 1, "the job stays");
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued);
}

#[test]
fn a_case_never_posted_or_refused_at_every_post_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), "http://127.0.0.1:9", "paks_unused", "unused-key");
    let outbox = Outbox::open(dir.path()).unwrap();

    // No files, so it waits to be posted; it never was.
    let never = complete_case(&store, "Kiribati e-health");
    let job = submit_case(&store, &outbox, never, &[], now_ms()).unwrap();
    outbox.set_submission_state(job.id, JobState::WaitingNetwork, Phase::Submit, now_ms()).unwrap();
    assert_eq!(cancel_submission(&store, &outbox, job.id).unwrap().status, CaseStatus::Draft);

    // Posted, and PAKS answered no: it holds nothing under the job's key.
    let refused = complete_case(&store, "Lao e-tax");
    let job = submit_case(&store, &outbox, refused, &[], now_ms()).unwrap();
    outbox.mark_posting(job.id, now_ms()).unwrap();
    let failure = Failure {
        state: JobState::NeedsAttention,
        message: "PAKS refused this case: this token submits for LAO, not FRA.",
        code: "refused",
        params: r#"{"detail":"this token submits for LAO, not FRA"}"#,
        next_attempt_at: 0,
        count_attempt: true,
    };
    outbox.fail_submission(job.id, &failure, now_ms()).unwrap();
    assert_eq!(cancel_submission(&store, &outbox, job.id).unwrap().status, CaseStatus::Draft);
    assert!(outbox.entries().unwrap().is_empty());

    // Refused after an earlier POST went unanswered: that one may have made the submission.
    let job = submit_case(&store, &outbox, refused, &[], now_ms()).unwrap();
    outbox.mark_posting(job.id, now_ms()).unwrap();
    outbox.mark_post_unanswered(job.id, now_ms()).unwrap();
    outbox.mark_posting(job.id, now_ms()).unwrap();
    outbox.fail_submission(job.id, &failure, now_ms()).unwrap();
    let err = cancel_submission(&store, &outbox, job.id).unwrap_err();
    assert_eq!(err.code(), "cannot_cancel", "{err}");
}
