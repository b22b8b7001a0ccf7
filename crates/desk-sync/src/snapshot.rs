//! Freezing a case for PAKS: the exact document and files sent, recorded in the outbox when
//! the person submits. Later edits go to a new version (the case store locks a sent case).

use std::path::Path;

use desk_core::{Case, CaseField, CaseStatus, Framework, Profile, Store};
use paks_protocol::{
    CASE_SCHEMA_VERSION, CaseDocument, FocalPointContact, MdgLink, SdgLink, canonical_case_json,
    validate_file_name,
};
use uuid::Uuid;

use crate::error::{Result, SyncError};
use crate::outbox::{FileToSend, NewSubmission, Outbox, SubmissionJob};

/// The case document PAKS receives for this case version.
pub fn case_document(case: &Case, profile: &Profile) -> Result<CaseDocument> {
    let uid = Uuid::parse_str(&case.uid)
        .map_err(|e| SyncError::Invalid(format!("The case id {} is damaged: {e}", case.uid)))?;
    let replaces = match case.follows_submission.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Uuid::parse_str(s).map_err(|e| {
            SyncError::Invalid(format!("The earlier submission id {s} is damaged: {e}"))
        })?),
        None => None,
    };
    let mut mdg_links = Vec::new();
    let mut sdg_links = Vec::new();
    for link in &case.mdg_links {
        if link.framework == Framework::Mdg {
            mdg_links.push(MdgLink {
                target: link.target.clone(),
                indicator: link.indicator.clone(),
                note: link.note.clone(),
            });
        }
    }
    for link in &case.sdg_links {
        sdg_links.push(SdgLink {
            target: link.target.clone(),
            note: Some(link.note.clone()).filter(|n| !n.trim().is_empty()),
        });
    }
    let mut document = CaseDocument {
        schema_version: CASE_SCHEMA_VERSION,
        case_uid: uid,
        version: u32::try_from(case.version).unwrap_or(1).max(1),
        replaces,
        mdg_links,
        sdg_links,
        focal_point: FocalPointContact {
            name: profile.name.clone(),
            title: profile.title.clone(),
            institution: profile.institution.clone(),
            email: profile.email.clone(),
        },
        ..CaseDocument::default()
    };
    for field in CaseField::ALL {
        field.write_to_document(case.field(field), &mut document);
    }
    document.language = match document.language.trim() {
        "" => "en".to_owned(),
        language => language.to_owned(),
    };
    Ok(document)
}

/// Describes a file to attach (hashing it now: what is sent must be these bytes).
pub fn file_to_send(path: &Path) -> Result<FileToSend> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| SyncError::Invalid(format!("{} has no usable file name", path.display())))?
        .to_owned();
    validate_file_name(&name).map_err(|e| SyncError::Invalid(format!("{name}: {e}")))?;
    let absolute = std::path::absolute(path)?;
    let (sha256, size) = crate::tus::hash_file(&absolute)
        .map_err(|e| SyncError::FileMissing { name: name.clone(), reason: e.to_string() })?;
    Ok(FileToSend {
        path: absolute.to_string_lossy().into_owned(),
        media_type: paks_protocol::media_type_for_name(&name).to_owned(),
        name,
        size,
        sha256,
    })
}

/// The files attached to the case in the case store (content-addressed, never changed in
/// place: the blob is itself the frozen snapshot).
pub fn case_files(store: &Store, case_id: i64) -> Result<Vec<FileToSend>> {
    let blobs = store.blob_dir();
    Ok(store
        .attachments(case_id)?
        .into_iter()
        .map(|a| FileToSend {
            path: blobs.path_of(&a.sha256).to_string_lossy().into_owned(),
            media_type: paks_protocol::media_type_for_name(&a.name).to_owned(),
            name: a.name,
            size: a.size,
            sha256: a.sha256,
        })
        .collect())
}

/// A case version as it stands: exactly as frozen in the outbox once it is queued or sent (with
/// its job), otherwise the draft as it is now.
#[derive(Debug, Clone)]
pub struct CaseAsItStands {
    pub document: CaseDocument,
    pub files: Vec<FileToSend>,
    pub job: Option<SubmissionJob>,
}

pub fn case_as_it_stands(store: &Store, outbox: &Outbox, case: &Case) -> Result<CaseAsItStands> {
    if let Some(job) = outbox.submission_for_case(case.id)? {
        let document: CaseDocument = serde_json::from_str(&job.document).map_err(|e| {
            SyncError::DamagedJob(format!("the frozen case document is damaged: {e}"))
        })?;
        let files = outbox
            .uploads_of(job.id)?
            .into_iter()
            .map(|u| FileToSend {
                path: u.path,
                name: u.name,
                media_type: u.media_type,
                size: u.size,
                sha256: u.sha256,
            })
            .collect();
        return Ok(CaseAsItStands { document, files, job: Some(job) });
    }
    let profile = store.profile()?.ok_or(desk_core::Error::ProfileMissing)?;
    Ok(CaseAsItStands {
        document: case_document(case, &profile)?,
        files: case_files(store, case.id)?,
        job: None,
    })
}

/// Submits a case version with its attached files (and `extra` ones): checks it, freezes the document and files in the outbox with a new
/// Idempotency-Key, and queues the case. Submitting the same version again returns the job
/// already there (nothing is sent twice).
pub fn submit_case(
    store: &Store,
    outbox: &Outbox,
    case_id: i64,
    extra: &[FileToSend],
    now: i64,
) -> Result<SubmissionJob> {
    let case = store.case(case_id)?;
    if let Some(job) = outbox.submission_for_case(case_id)? {
        if case.status == CaseStatus::Draft {
            store.set_status(case_id, CaseStatus::Queued)?;
        }
        return Ok(job);
    }
    if case.status != CaseStatus::Draft && case.status != CaseStatus::Queued {
        return Err(SyncError::AlreadySent);
    }
    let missing = case.missing();
    if !missing.is_empty() {
        return Err(desk_core::Error::Incomplete(missing).into());
    }
    let profile = store.profile()?.ok_or(desk_core::Error::ProfileMissing)?;
    let document = case_document(&case, &profile)?;
    if let Err(errors) = document.validate() {
        return Err(SyncError::rules_unmet(&errors));
    }
    let json = String::from_utf8(
        canonical_case_json(&document).map_err(|e| SyncError::Invalid(e.to_string()))?,
    )
    .map_err(|e| SyncError::Invalid(e.to_string()))?;
    let mut all = case_files(store, case_id)?;
    for f in extra {
        if !all.iter().any(|a| a.sha256 == f.sha256) {
            all.push(f.clone());
        }
    }
    let new = NewSubmission {
        case_id,
        case_uid: case.uid.clone(),
        case_version: case.version,
        document: json,
        files: all,
    };
    let (job, _) = outbox.enqueue(&new, now)?;
    if case.status == CaseStatus::Draft {
        store.set_status(case_id, CaseStatus::Queued)?;
    }
    Ok(job)
}

/// Takes a queued case out of the outbox before PAKS has it, and makes it a draft again.
pub fn cancel_submission(store: &Store, outbox: &Outbox, submission_job: i64) -> Result<Case> {
    let case_id = outbox.cancel(submission_job)?;
    let case = store.case(case_id)?;
    if case.status == CaseStatus::Queued {
        return Ok(store.set_status(case_id, CaseStatus::Draft)?);
    }
    Ok(case)
}
