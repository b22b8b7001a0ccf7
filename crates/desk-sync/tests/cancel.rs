#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Cancelling a queued submission: allowed while its files upload, refused once PAKS may have it.

mod common;

use common::*;
use desk_core::CaseStatus;
use desk_sync::{JobState, Outbox, Phase, cancel_submission, file_to_send, now_ms, submit_case};

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
fn a_case_handed_to_paks_cannot_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), "http://127.0.0.1:9", "paks_unused", "unused-key");
    let case = complete_case(&store, "Nepal land records");
    let outbox = Outbox::open(dir.path()).unwrap();
    let job = submit_case(&store, &outbox, case, &[], now_ms()).unwrap();
    outbox.set_submission_state(job.id, JobState::Queued, Phase::Submit, now_ms()).unwrap();

    let err = cancel_submission(&store, &outbox, job.id).unwrap_err();

    assert!(err.to_string().contains("can no longer be cancelled"), "{err}");
    assert_eq!(outbox.entries().unwrap().len(), 1, "the job stays");
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued);
}
