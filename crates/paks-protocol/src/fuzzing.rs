//! The body of paks-protocol's fuzz target, shared by cargo-fuzz (`fuzz/fuzz_targets/`) and the
//! stable test (`tests/fuzz_submission.rs`). See docs/fuzzing.md.

use crate::{SubmissionRequest, canonical_case_json, case_sha256};

/// A submission body as the desk and the server read it: JSON into [`SubmissionRequest`], then
/// the protocol's rules. Whatever the bytes, the answer is a value or an error, never a panic;
/// a request that parses survives a write and a read unchanged, with the same case hash.
pub fn submission_json(data: &[u8]) {
    let Ok(request) = serde_json::from_slice::<SubmissionRequest>(data) else { return };
    let case_ok = request.case.validate().is_ok();
    let attachments_ok = request.attachments.iter().enumerate().all(|(i, a)| a.validate(i).is_ok());
    let written = match serde_json::to_vec(&request) {
        Ok(written) => written,
        Err(e) => panic!("a parsed request cannot be written back: {e}"),
    };
    let read: SubmissionRequest = match serde_json::from_slice(&written) {
        Ok(read) => read,
        Err(e) => panic!("a request written by us does not parse: {e}"),
    };
    assert_eq!(read, request, "a request changed through a write and a read");
    assert_eq!(read.case.validate().is_ok(), case_ok, "validation changed through a write");
    let attachments_again = read.attachments.iter().enumerate().all(|(i, a)| a.validate(i).is_ok());
    assert_eq!(attachments_again, attachments_ok);
    let canonical = canonical_case_json(&request.case).ok();
    assert!(canonical.is_some(), "a parsed case has no canonical JSON");
    assert_eq!(
        case_sha256(&request.case).ok(),
        case_sha256(&read.case).ok(),
        "the case hash moved"
    );
}
