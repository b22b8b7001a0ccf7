//! Taking in PAKS's receipt for a case version that left as a hand-carried bag: the case (and
//! its outbox job, if it was queued too) becomes what it would be had it been sent online, and
//! edits made after the bag are kept as the next version.

use desk_core::{CaseStatus, Store};
use paks_protocol::{CaseDocument, Receipt, SubmissionState};

use crate::client::receipt_covers;
use crate::engine::apply_review;
use crate::error::{Result, SyncError};
use crate::outbox::{HandCarried, Outbox};
use crate::snapshot::{case_document, case_files, submit_case};

/// What taking the receipt in did: words for the person, and the outbox job that now holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenIn {
    pub message: String,
    pub case_id: i64,
    pub submission_job: Option<i64>,
}

/// PAKS's receipt for a bag's case version, as found.
pub struct Found<'a> {
    /// Verified, and for the bag's case version.
    pub receipt: &'a Receipt,
    /// Stored as received.
    pub receipt_json: &'a str,
    /// When to ask for the review state first.
    pub next_poll: i64,
    pub now: i64,
}

/// Brings the case of `bag` to the state PAKS's receipt says.
pub fn take_in(
    store: &Store,
    outbox: &Outbox,
    bag: &HandCarried,
    found: &Found<'_>,
) -> Result<TakenIn> {
    let Found { receipt, now, .. } = *found;
    let sid = receipt.submission_id.to_string();
    let version = bag.case_version;
    let job = outbox
        .submissions()?
        .into_iter()
        .find(|j| j.case_uid == bag.case_uid && j.case_version == version);
    let Some(job) = job else {
        return take_into_draft(store, outbox, bag, found);
    };
    let said = |message: String, job: Option<i64>| TakenIn {
        message,
        case_id: bag.case_id,
        submission_job: job,
    };
    if job.receipt.is_some() {
        return Ok(said(format!("PAKS has version {version} of this case."), Some(job.id)));
    }
    let document: CaseDocument = serde_json::from_str(&job.document)
        .map_err(|e| SyncError::DamagedJob(format!("the frozen case document is damaged: {e}")))?;
    let uploads = outbox.uploads_of(job.id)?;
    if receipt_covers(receipt, &document, uploads.iter().map(|u| (u.sha256.as_str(), u.size)))? {
        adopt(store, outbox, job.id, job.case_id, found)?;
        return Ok(said(
            format!(
                "PAKS received version {version} from the hand-carried bag; its files need not \
                 be sent."
            ),
            Some(job.id),
        ));
    }
    // PAKS holds this version with the bag's content, so this job can never be taken: its
    // changes go as the next version.
    outbox.drop_superseded(job.id)?;
    if store.case(job.case_id)?.status == CaseStatus::Queued {
        store.set_status(job.case_id, CaseStatus::Draft)?;
    }
    store.follow_carried_version(job.case_id, &sid)?;
    let next = submit_case(store, outbox, job.case_id, &[], now)?;
    Ok(said(
        format!(
            "PAKS received version {version} from the hand-carried bag, made before your later \
             changes. Those changes are now version {} and are being sent.",
            version + 1
        ),
        Some(next.id),
    ))
}

fn take_into_draft(
    store: &Store,
    outbox: &Outbox,
    bag: &HandCarried,
    found: &Found<'_>,
) -> Result<TakenIn> {
    let Found { receipt, now, .. } = *found;
    let version = bag.case_version;
    let sid = receipt.submission_id.to_string();
    let case = match store.case(bag.case_id) {
        Ok(c) if c.uid == bag.case_uid => c,
        Ok(_) | Err(desk_core::Error::CaseNotFound(_)) => {
            return Ok(TakenIn {
                message: format!(
                    "PAKS received version {version} from the hand-carried bag; the case is no \
                     longer in PAKS Desk."
                ),
                case_id: bag.case_id,
                submission_job: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let said = |message: String, job: Option<i64>| TakenIn {
        message,
        case_id: case.id,
        submission_job: job,
    };
    if case.version != version || case.status != CaseStatus::Draft {
        return Ok(said(format!("PAKS has version {version} of this case."), None));
    }
    let profile = store.profile()?.ok_or(desk_core::Error::ProfileMissing)?;
    let document = case_document(&case, &profile)?;
    let files = case_files(store, case.id)?;
    if receipt_covers(receipt, &document, files.iter().map(|f| (f.sha256.as_str(), f.size)))? {
        let job = submit_case(store, outbox, case.id, &[], now)?;
        adopt(store, outbox, job.id, case.id, found)?;
        return Ok(said(
            format!("PAKS received version {version} from the hand-carried bag."),
            Some(job.id),
        ));
    }
    store.follow_carried_version(case.id, &sid)?;
    Ok(said(
        format!(
            "PAKS received version {version} from the hand-carried bag. The changes you made \
             after the bag are kept as version {}, a draft.",
            version + 1
        ),
        None,
    ))
}

/// The job's files need not be sent: PAKS holds them. The job follows the review from now on.
fn adopt(
    store: &Store,
    outbox: &Outbox,
    submission_job: i64,
    case_id: i64,
    found: &Found<'_>,
) -> Result<()> {
    let sid = found.receipt.submission_id.to_string();
    outbox.uploads_not_needed(submission_job, found.now)?;
    outbox.record_receipt(submission_job, &sid, found.receipt_json, found.next_poll, found.now)?;
    apply_review(store, case_id, &sid, SubmissionState::Received, None)
}
