//! What the operator does from the command line: focal points and review.

use paks_protocol::SubmissionState;
use uuid::Uuid;

use crate::auth::{new_token, token_sha256};
use crate::error::{Error, Result};
use crate::metadata::{FocalPoint, MetadataStore, NewFocalPoint, SubmissionRecord};

/// Registers a focal point; returns it and its API token, which is shown this once only.
pub fn add_focal_point(
    store: &dyn MetadataStore,
    country: &str,
    name: &str,
    email: &str,
    valid_days: Option<u32>,
) -> Result<(FocalPoint, String)> {
    let country = country.trim().to_ascii_uppercase();
    if !(country.len() == 3 && country.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(Error::Invalid(format!("{country:?} is not an ISO 3166-1 alpha-3 code")));
    }
    if name.trim().is_empty() || !email.contains('@') {
        return Err(Error::Invalid("a focal point needs a name and an e-mail address".into()));
    }
    let expires_at = valid_days
        .map(|d| crate::clock::rfc3339(crate::clock::now() + time::Duration::days(i64::from(d))))
        .transpose()?;
    let token = new_token()?;
    let new = NewFocalPoint {
        country,
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
        expires_at,
    };
    let fp = store.add_focal_point(&new, &token_sha256(&token))?;
    Ok((fp, token))
}

pub fn revoke_focal_point(store: &dyn MetadataStore, id: i64) -> Result<()> {
    let now = crate::clock::rfc3339(crate::clock::now())?;
    if store.revoke_focal_point(id, &now)? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("focal point {id}")))
    }
}

/// Who the audit log names for a decision taken with the operator's command line.
pub const CLI_ACTOR: &str = "cli";

/// Moves a submission to `state` as the operator (`CLI_ACTOR` in the audit log).
pub fn set_state(
    store: &dyn MetadataStore,
    id: Uuid,
    state: SubmissionState,
    comment: Option<&str>,
) -> Result<SubmissionRecord> {
    decide(store, id, state, comment, CLI_ACTOR)
}

/// Moves a submission to `state`, as `actor` (a reviewer's e-mail, or `CLI_ACTOR`); requesting
/// changes needs a comment and rejecting a reason.
pub fn decide(
    store: &dyn MetadataStore,
    id: Uuid,
    state: SubmissionState,
    comment: Option<&str>,
    actor: &str,
) -> Result<SubmissionRecord> {
    let blank = comment.is_none_or(|c| c.trim().is_empty());
    if state == SubmissionState::ChangesRequested && blank {
        return Err(Error::Invalid("requesting changes needs a comment".into()));
    }
    if state == SubmissionState::Rejected && blank {
        return Err(Error::Invalid("rejecting needs a reason".into()));
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    let now = crate::clock::rfc3339(crate::clock::now())?;
    if !store.set_state(id, state, comment, &now, actor)? {
        return Err(Error::NotFound(format!("submission {id}")));
    }
    store.submission(id)?.ok_or_else(|| Error::NotFound(format!("submission {id}")))
}

/// Withdraws a published case from the public space; `id` is one of its submissions or its case
/// uid. Returns the case uid; `Error::Conflict` when it was withdrawn already.
pub fn withdraw_case(store: &dyn MetadataStore, id: Uuid) -> Result<Uuid> {
    let case_uid = store.submission(id)?.map_or(id, |r| r.case_uid);
    let now = crate::clock::rfc3339(crate::clock::now())?;
    if store.withdraw_case(case_uid, &now)? {
        Ok(case_uid)
    } else {
        Err(Error::Conflict(format!("case {case_uid} was already withdrawn")))
    }
}
