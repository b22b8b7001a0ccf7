//! Hand-carried bags: a case that arrives as a BagIt zip (`POST /api/v1/bags` or
//! `paks-server import-bag`) is validated, its files become uploads of the focal point, and it is
//! submitted under exactly the rules, idempotency and receipt of `POST /api/v1/submissions`.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use axum::response::Response;
use paks_bag::{BagError, BagFile, BagHead, Limits, OpenedBag, open_bag, read_bag_head};
use paks_protocol::{
    AttachmentDescriptor, CaseDocument, ProblemType, SubmissionRequest, case_sha256,
    media_type_for_name,
};
use uuid::Uuid;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::submissions::{
    Claim, check_replaces, check_request, claim, content_sha256, is_valid_key, key_reused, process,
    replayed,
};
use crate::http::{ApiResult, ProblemResponse, SharedState, blocking};
use crate::metadata::FocalPoint;
use crate::upload_store::UploadInfo;

/// Who hands the bag in.
#[derive(Debug, Clone)]
pub enum Submitter {
    /// The holder of an API token (`POST /api/v1/bags`).
    Token(FocalPoint),
    /// The operator at the console: the named focal point, or the one the bag's country and
    /// contact e-mail single out.
    Operator(Option<i64>),
}

/// What a bag may hold on this server: as much as an upload.
pub fn limits(config: &Config) -> Limits {
    Limits {
        max_bag_bytes: config.max_upload_size,
        max_case_json: config.max_submission_bytes as u64,
        ..Limits::default()
    }
}

/// What a bag work folder's name starts with.
const WORK_DIR_PREFIX: &str = "bag-";

/// A fresh folder under `DATA/tmp/` for one bag, removed with everything in it when dropped.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn create(config: &Config) -> Result<Self> {
        let path = config.data_dir.join("tmp").join(format!("{WORK_DIR_PREFIX}{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).map_err(Error::io(&path))?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// Removes the bag work folders a killed server left in `DATA/tmp/`; only at start-up, when no
/// bag is being received. Returns how many were removed.
pub fn remove_abandoned_work_dirs(config: &Config) -> Result<usize> {
    let tmp = config.data_dir.join("tmp");
    let entries = match std::fs::read_dir(&tmp) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::Io { path: tmp, source: e }),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry.map_err(Error::io(&tmp))?.path();
        let is_work_dir = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(WORK_DIR_PREFIX));
        if is_work_dir && path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(path = %self.0.display(), error = %e, "bag work folder not removed");
        }
    }
}

fn bag_problem(e: BagError) -> ProblemResponse {
    if e.is_bad_bag() {
        ProblemResponse::new(ProblemType::InvalidBag, e.to_string())
    } else {
        Error::Invalid(e.to_string()).into()
    }
}

/// The idempotency "body" of a bag: its case text and files, not its zip bytes (which change
/// with Bagging-Date when the same version is bagged again), as for a submission sent online.
fn bag_content_sha256(bag: &OpenedBag) -> Result<String> {
    let files = bag.files.iter().map(|f| (f.sha256.as_str(), f.size, f.name.as_str()));
    content_sha256(&bag.case, files)
}

async fn resolve(state: &SharedState, who: Submitter, bag: &BagHead) -> ApiResult<FocalPoint> {
    let id = match who {
        Submitter::Token(fp) => return Ok(fp),
        Submitter::Operator(id) => id,
    };
    let meta = state.meta.clone();
    let all = blocking(move || meta.focal_points()).await?;
    let active: Vec<FocalPoint> = all.into_iter().filter(|fp| fp.revoked_at.is_none()).collect();
    if let Some(id) = id {
        return active.into_iter().find(|fp| fp.id == id).ok_or_else(|| {
            ProblemResponse::new(ProblemType::NotFound, format!("no active focal point {id}"))
        });
    }
    let country = &bag.case.country;
    let of_country: Vec<&FocalPoint> = active.iter().filter(|fp| fp.country == *country).collect();
    let emails = [Some(bag.case.focal_point.email.as_str()), bag.info.get("Contact-Email")];
    let chosen: Vec<&FocalPoint> = if of_country.len() == 1 {
        of_country.clone()
    } else {
        of_country
            .iter()
            .copied()
            .filter(|fp| emails.iter().flatten().any(|e| e.eq_ignore_ascii_case(&fp.email)))
            .collect()
    };
    match chosen.as_slice() {
        [fp] => Ok((*fp).clone()),
        _ => {
            let ids: Vec<String> =
                of_country.iter().map(|fp| format!("{} ({})", fp.id, fp.email)).collect();
            Err(ProblemResponse::new(
                ProblemType::WrongCountry,
                format!(
                    "no single active focal point of {country} matches the bag; name one with --focal-point ID (candidates: {})",
                    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
                ),
            ))
        }
    }
}

/// Moves the bag's extracted files into the upload store as complete uploads of `fp`; on
/// failure none of them is left.
fn store_files(
    state: &SharedState,
    fp: &FocalPoint,
    files: &[BagFile],
) -> Result<Vec<AttachmentDescriptor>> {
    let mut stored = Vec::with_capacity(files.len());
    match adopt_files(state, fp, files, &mut stored) {
        Ok(()) => Ok(stored),
        Err(e) => {
            delete_uploads(state, &stored);
            Err(e)
        }
    }
}

fn adopt_files(
    state: &SharedState,
    fp: &FocalPoint,
    files: &[BagFile],
    out: &mut Vec<AttachmentDescriptor>,
) -> Result<()> {
    let now = crate::clock::now().unix_timestamp();
    let ttl = i64::try_from(state.config.upload_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    for f in files {
        let info = UploadInfo {
            id: Uuid::new_v4(),
            length: f.size,
            raw_metadata: None,
            metadata: [("filename".to_owned(), f.name.clone())].into_iter().collect(),
            owner: fp.id,
            created_at: now,
            expires_at: Some(now.saturating_add(ttl)),
            sha256: None,
        };
        // Listed first: a store that fails half-way may have made the upload.
        out.push(AttachmentDescriptor {
            upload_id: info.id,
            sha256: f.sha256.clone(),
            size: f.size,
            name: f.name.clone(),
            media_type: media_type_for_name(&f.name).to_owned(),
        });
        state.uploads.adopt_file(&info, &f.path, &f.sha256)?;
    }
    Ok(())
}

fn delete_uploads(state: &SharedState, uploads: &[AttachmentDescriptor]) {
    for a in uploads {
        if let Err(e) = state.uploads.delete(a.upload_id) {
            tracing::warn!(upload = %a.upload_id, error = %e, "upload of a refused bag not deleted");
        }
    }
}

/// The receipt of this very case version, when it was already received with the same text and
/// files (under another key: sent online, or bagged again by another app).
async fn same_submission(
    state: &SharedState,
    fp: &FocalPoint,
    bag: &OpenedBag,
) -> ApiResult<Option<Response>> {
    let (meta, uid, version) = (state.meta.clone(), bag.case.case_uid, bag.case.version);
    let held = blocking(move || meta.submission_of_version(uid, version)).await?;
    let sha = case_sha256(&bag.case).map_err(Error::from)?;
    let mut ours: Vec<(&str, u64)> =
        bag.files.iter().map(|f| (f.sha256.as_str(), f.size)).collect();
    ours.sort_unstable();
    let found = held.filter(|r| {
        let mut theirs: Vec<(&str, u64)> =
            r.files.iter().map(|f| (f.sha256.as_str(), f.size)).collect();
        theirs.sort_unstable();
        r.country == fp.country && r.case_sha256 == sha && theirs == ours
    });
    match found {
        Some(r) => Ok(Some(replayed(
            StatusCode::CREATED,
            serde_json::to_string(&r.receipt).map_err(Error::from)?,
        ))),
        None => Ok(None),
    }
}

fn is(problem: &ProblemResponse, kind: ProblemType) -> bool {
    problem.problem.kind() == Some(kind)
}

/// Checks what the bag says (its focal point, country, case rules, the version it replaces, and
/// that PAKS holds no other text under this version) before its payload is extracted.
async fn check_head(
    state: &SharedState,
    fp: &FocalPoint,
    head: &BagHead,
    key: &str,
) -> ApiResult<()> {
    let case = &head.case;
    if case.country != fp.country {
        return Err(ProblemResponse::new(
            ProblemType::WrongCountry,
            format!("this focal point submits for {}, not {}", fp.country, case.country),
        ));
    }
    check_request(&SubmissionRequest { case: case.clone(), attachments: Vec::new() }, fp)?;
    check_replaces(state, case).await?;
    let (meta, uid, version, fp_id, k) =
        (state.meta.clone(), case.case_uid, case.version, fp.id, key.to_owned());
    let (held, key_used) = blocking(move || {
        Ok((meta.submission_of_version(uid, version)?, meta.idempotency_key_exists(fp_id, &k)?))
    })
    .await?;
    let sha = case_sha256(case).map_err(Error::from)?;
    match held {
        Some(r) if r.country != fp.country || r.case_sha256 != sha => {
            Err(if key_used { key_reused() } else { version_taken(case) })
        }
        _ => Ok(()),
    }
}

fn version_taken(case: &CaseDocument) -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::VersionConflict,
        format!(
            "version {} of case {} was already submitted with other content",
            case.version, case.case_uid
        ),
    )
}

/// The bag's Idempotency-Key: bag-info's, or one made of the case uid and version.
fn bag_key(head: &BagHead) -> ApiResult<String> {
    match head.idempotency_key() {
        Some(k) if is_valid_key(k) => Ok(k.to_owned()),
        Some(_) => Err(ProblemResponse::new(
            ProblemType::InvalidBag,
            "bag-info.txt: PAKS-Idempotency-Key must be 1 to 255 printable ASCII characters",
        )),
        None => Ok(format!("bag:{}:v{}", head.case.case_uid, head.case.version)),
    }
}

/// Validates the bag at `zip` (extracting into `work`) and submits it. The answer is the one
/// `POST /api/v1/submissions` gives: 201 and a signed receipt, the stored receipt for a bag
/// already received, or a problem. What the bag says is checked before its payload is extracted.
pub async fn ingest(state: &SharedState, who: Submitter, zip: &Path, work: &Path) -> ApiResult {
    let (zip_path, bag_limits) = (zip.to_owned(), limits(&state.config));
    let head =
        blocking(move || Ok(read_bag_head(&zip_path, &bag_limits))).await?.map_err(bag_problem)?;
    let fp = resolve(state, who, &head).await?;
    let key = bag_key(&head)?;
    check_head(state, &fp, &head, &key).await?;
    let (zip, work, bag_limits) = (zip.to_owned(), work.to_owned(), limits(&state.config));
    let bag =
        blocking(move || Ok(open_bag(&zip, &work, &bag_limits))).await?.map_err(bag_problem)?;
    let held = match claim(state, &fp, &key, bag_content_sha256(&bag)?).await {
        Ok(Claim::Replay(replay)) => return Ok(replay),
        Ok(Claim::Held(held)) => held,
        Err(p) if is(&p, ProblemType::IdempotencyKeyReused) => {
            return same_submission(state, &fp, &bag).await?.ok_or(p);
        }
        Err(p) => return Err(p),
    };
    let stored = {
        let (state, fp, files) = (state.clone(), fp.clone(), bag.files.clone());
        blocking(move || store_files(&state, &fp, &files)).await
    };
    let attachments = match stored {
        Ok(a) => a,
        Err(e) => {
            held.release().await?;
            return Err(e.into());
        }
    };
    let request = SubmissionRequest { case: bag.case.clone(), attachments };
    let uploads = request.attachments.clone();
    let outcome = match check_request(&request, &fp) {
        Ok(()) => process(state, &fp, held, request).await,
        Err(p) => {
            held.release().await?;
            Err(p)
        }
    };
    match outcome {
        Ok(res) => Ok(res),
        Err(p) => {
            let (s, u) = (state.clone(), uploads);
            blocking(move || {
                delete_uploads(&s, &u);
                Ok(())
            })
            .await?;
            if is(&p, ProblemType::VersionConflict)
                && let Some(replay) = same_submission(state, &fp, &bag).await?
            {
                return Ok(replay);
            }
            Err(p)
        }
    }
}

/// `paks-server import-bag`: a bag file on the operator's disk.
pub async fn import_file(state: &SharedState, who: Submitter, zip: &Path) -> ApiResult {
    let work = WorkDir::create(&state.config)?;
    ingest(state, who, zip, work.path()).await
}
