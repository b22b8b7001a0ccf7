//! POST /api/v1/submissions (Idempotency-Key) and GET /api/v1/submissions/{id}.

use std::collections::HashSet;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use paks_protocol::{
    CASE_SCHEMA_VERSION, FieldError, ProblemType, RECEIPT_VERSION, Receipt, ReceiptFile,
    SubmissionRequest, SubmissionState, SubmissionStatus, canonical_case_json, case_sha256,
};
use uuid::Uuid;

use super::{ApiResult, ProblemResponse, SharedState, authenticate, blocking};
use crate::error::Error;
use crate::metadata::{FocalPoint, IdempotencyClaim, StoredFile, SubmissionRecord};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/submissions", post(submit))
        .route("/api/v1/submissions/{id}", get(status))
        .route("/api/v1/receipts/{case_uid}/{version}", get(receipt_of_version))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The Idempotency-Key value: an RFC 8941 string (`"..."`), or a bare token for lenience.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let missing = |detail: &str| ProblemResponse::new(ProblemType::IdempotencyKeyMissing, detail);
    let raw = headers
        .get("idempotency-key")
        .ok_or_else(|| missing("send an Idempotency-Key header, e.g. a fresh UUID per submission"))?
        .to_str()
        .map_err(|_| missing("Idempotency-Key must be printable ASCII"))?
        .trim();
    let key = raw.strip_prefix('"').and_then(|k| k.strip_suffix('"')).unwrap_or(raw);
    if !is_valid_key(key) {
        return Err(missing("Idempotency-Key must be 1 to 255 printable ASCII characters"));
    }
    Ok(key.to_owned())
}

/// 1 to 255 printable ASCII characters, no quote.
pub(crate) fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
}

async fn read_limited(body: Body, limit: usize) -> ApiResult<Vec<u8>> {
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ProblemResponse::new(ProblemType::IncompleteBody, "the request body broke off")
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ProblemResponse::new(
                    ProblemType::TooLarge,
                    format!("a submission body may be at most {limit} bytes"),
                ));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn invalid(
    kind: ProblemType,
    detail: impl Into<String>,
    errors: Vec<FieldError>,
) -> ProblemResponse {
    let mut p = ProblemResponse::new(kind, detail);
    p.problem.errors = errors;
    p
}

/// Parses and checks the body on its own (no store access).
fn parse_request(bytes: &[u8], fp: &FocalPoint) -> ApiResult<SubmissionRequest> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ProblemResponse::new(
            ProblemType::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ProblemResponse::new(ProblemType::MalformedJson, format!("malformed JSON: {e}"))
    })?;
    let version = value.pointer("/case/schema_version");
    if version.and_then(serde_json::Value::as_u64) != Some(u64::from(CASE_SCHEMA_VERSION)) {
        return Err(invalid(
            ProblemType::UnsupportedSchemaVersion,
            format!(
                "case.schema_version is {}, this server accepts {CASE_SCHEMA_VERSION}",
                version.map_or("missing".to_owned(), ToString::to_string)
            ),
            vec![FieldError {
                pointer: "/case/schema_version".into(),
                message: format!("must be {CASE_SCHEMA_VERSION}"),
            }],
        ));
    }
    let request: SubmissionRequest = serde_json::from_value(value).map_err(|e| {
        ProblemResponse::new(
            ProblemType::InvalidDocument,
            format!("the submission does not match the schema: {e}"),
        )
    })?;
    check_request(&request, fp)?;
    Ok(request)
}

/// The rules a submission meets besides its JSON shape, whichever way it arrived (a request body
/// or a hand-carried bag).
pub(crate) fn check_request(request: &SubmissionRequest, fp: &FocalPoint) -> ApiResult<()> {
    let mut errors = Vec::new();
    if let Err(e) = request.case.validate() {
        errors.extend(
            e.into_iter().map(|f| FieldError { pointer: format!("/case{}", f.pointer), ..f }),
        );
    }
    let mut seen = HashSet::new();
    for (i, a) in request.attachments.iter().enumerate() {
        if let Err(e) = a.validate(i) {
            errors.extend(e);
        }
        if !seen.insert(a.upload_id) {
            errors.push(FieldError {
                pointer: format!("/attachments/{i}/upload_id"),
                message: "the same upload is attached twice".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(invalid(
            ProblemType::ValidationFailed,
            format!("{} field(s) break the protocol's rules", errors.len()),
            errors,
        ));
    }
    if request.case.country != fp.country {
        return Err(ProblemResponse::new(
            ProblemType::WrongCountry,
            format!("this token submits for {}, not {}", fp.country, request.case.country),
        ));
    }
    Ok(())
}

async fn submit(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> ApiResult {
    let fp = authenticate(&state, &headers).await?;
    let key = idempotency_key(&headers)?;
    let bytes = read_limited(body, state.config.max_submission_bytes).await?;
    let request = parse_request(&bytes, &fp)?;
    let files = request.attachments.iter().map(|a| (a.sha256.as_str(), a.size, a.name.as_str()));
    let request_sha = content_sha256(&request.case, files)?;
    if let Some(replay) = claim(&state, &fp, &key, request_sha).await? {
        return Ok(replay);
    }
    let outcome = process(&state, &fp, &key, request).await;
    if outcome.is_err() {
        release(&state, &fp, &key).await?;
    }
    outcome
}

/// What an Idempotency-Key is bound to: the case text and the files' bytes and names, not the
/// request's bytes, so the same version sent online and in a hand-carried bag (or with files
/// uploaded again after their uploads expired) is one submission with one receipt.
pub(crate) fn content_sha256<'a>(
    case: &paks_protocol::CaseDocument,
    files: impl Iterator<Item = (&'a str, u64, &'a str)>,
) -> Result<String, Error> {
    let mut text = format!("paks-content-v1\n{}\n", case_sha256(case)?);
    let mut files: Vec<(&str, u64, &str)> = files.collect();
    files.sort_unstable_by(|a, b| a.2.cmp(b.2).then(a.0.cmp(b.0)));
    for (sha, size, name) in files {
        text.push_str(&format!("{sha}\t{size}\t{name}\n"));
    }
    Ok(paks_protocol::sha256_hex(text.as_bytes()))
}

/// Claims `key` for this request: `None` when the caller now holds it and must `process` (then
/// `release` it on failure), `Some` with the stored answer when the same request was done.
pub(crate) async fn claim(
    state: &SharedState,
    fp: &FocalPoint,
    key: &str,
    request_sha: String,
) -> ApiResult<Option<Response>> {
    let now_text = crate::clock::rfc3339(crate::clock::now())?;
    let (meta, k, fp_id) = (state.meta.clone(), key.to_owned(), fp.id);
    match blocking(move || meta.claim_idempotency_key(fp_id, &k, &request_sha, &now_text)).await? {
        IdempotencyClaim::Claimed => Ok(None),
        IdempotencyClaim::InProgress => Err(ProblemResponse::new(
            ProblemType::IdempotencyInProgress,
            "a request with this Idempotency-Key is being processed; retry later",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(1))),
        IdempotencyClaim::BodyMismatch => Err(ProblemResponse::new(
            ProblemType::IdempotencyKeyReused,
            "this Idempotency-Key was used with another request body",
        )),
        IdempotencyClaim::Completed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(Some(replayed(status, body)))
        }
    }
}

/// The stored answer of a request already done, marked as a replay.
pub(crate) fn replayed(status: StatusCode, body: String) -> Response {
    let mut res = json_response(status, body);
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

/// Forgets a claimed key whose request failed, so that a corrected retry can use it.
pub(crate) async fn release(state: &SharedState, fp: &FocalPoint, key: &str) -> ApiResult<()> {
    let (meta, k, fp_id) = (state.meta.clone(), key.to_owned(), fp.id);
    blocking(move || meta.release_idempotency_key(fp_id, &k)).await?;
    Ok(())
}

/// Turns a checked request whose key is claimed into a stored submission and its signed receipt.
pub(crate) async fn process(
    state: &SharedState,
    fp: &FocalPoint,
    key: &str,
    request: SubmissionRequest,
) -> ApiResult {
    let received_at = crate::clock::rfc3339(crate::clock::now())?;
    if !state.config.submission_processing_delay.is_zero() {
        tokio::time::sleep(state.config.submission_processing_delay).await;
    }
    let SubmissionRequest { case, attachments } = request;
    let mut files = Vec::with_capacity(attachments.len());
    let now = crate::clock::now().unix_timestamp();
    for (i, a) in attachments.iter().enumerate() {
        let (store, id) = (state.uploads.clone(), a.upload_id);
        let at = |message: String| FieldError {
            pointer: format!("/attachments/{i}/upload_id"),
            message,
        };
        let Some(upload) = blocking(move || store.get(id)).await? else {
            return Err(invalid(
                ProblemType::ValidationFailed,
                format!("upload {id} does not exist"),
                vec![at("unknown upload".into())],
            ));
        };
        if upload.info.owner != fp.id {
            return Err(ProblemResponse::new(
                ProblemType::ForeignUpload,
                format!("upload {id} was made with another focal point's token"),
            ));
        }
        if upload.info.expires_at.is_some_and(|e| e <= now) {
            return Err(ProblemResponse::new(
                ProblemType::UploadExpired,
                format!("upload {id} expired"),
            ));
        }
        if !upload.is_complete() {
            return Err(invalid(
                ProblemType::UploadIncomplete,
                format!("upload {id} has {} of {} bytes", upload.offset, upload.info.length),
                vec![at("incomplete".into())],
            ));
        }
        let sha = match upload.info.sha256 {
            Some(sha) => sha,
            None => {
                let store = state.uploads.clone();
                blocking(move || store.complete(id)).await?
            }
        };
        if upload.info.length != a.size || sha != a.sha256 {
            return Err(invalid(
                ProblemType::AttachmentMismatch,
                format!(
                    "upload {id} has {} bytes with SHA-256 {sha}; the attachment says {} bytes with {}",
                    upload.info.length, a.size, a.sha256
                ),
                vec![FieldError {
                    pointer: format!("/attachments/{i}/sha256"),
                    message: "does not match the uploaded bytes".into(),
                }],
            ));
        }
        files.push(ReceiptFile {
            upload_id: id,
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            size: a.size,
            sha256: sha,
        });
    }
    if let Some(old) = case.replaces {
        let meta = state.meta.clone();
        let previous = blocking(move || meta.submission(old)).await?;
        let fits = previous.as_ref().is_some_and(|p| {
            p.case_uid == case.case_uid && p.country == case.country && p.version < case.version
        });
        if !fits {
            return Err(invalid(
                ProblemType::ReplacedNotFound,
                format!("submission {old} is not an earlier version of case {}", case.case_uid),
                vec![FieldError {
                    pointer: "/case/replaces".into(),
                    message: "not an earlier version of this case".into(),
                }],
            ));
        }
    }
    let case_json = String::from_utf8(canonical_case_json(&case).map_err(Error::from)?)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let mut receipt = Receipt {
        receipt_version: RECEIPT_VERSION,
        server_name: state.config.name.clone(),
        submission_id: Uuid::new_v4(),
        case_uid: case.case_uid,
        version: case.version,
        replaces: case.replaces,
        country: case.country.clone(),
        received_at: received_at.clone(),
        case_sha256: case_sha256(&case).map_err(Error::from)?,
        files,
        key_id: state.key.key_id(),
        signature: String::new(),
    };
    receipt.signature = state.key.sign(&receipt.signing_bytes().map_err(Error::from)?);
    let response_body = serde_json::to_string(&receipt).map_err(Error::from)?;
    let mut mdg_targets: Vec<String> = case.mdg_links.iter().map(|l| l.target.clone()).collect();
    mdg_targets.sort();
    mdg_targets.dedup();
    let record = SubmissionRecord {
        id: receipt.submission_id,
        case_uid: case.case_uid,
        version: case.version,
        replaces: case.replaces,
        replaced_by: None,
        focal_point_id: fp.id,
        country: case.country.clone(),
        title: case.title.clone(),
        case_json,
        case_sha256: receipt.case_sha256.clone(),
        received_at: received_at.clone(),
        state: SubmissionState::Received,
        reviewer_comment: None,
        updated_at: received_at,
        published_at: None,
        mdg_targets,
        files: receipt
            .files
            .iter()
            .map(|f| StoredFile {
                upload_id: f.upload_id,
                name: f.name.clone(),
                media_type: f.media_type.clone(),
                size: f.size,
                sha256: f.sha256.clone(),
            })
            .collect(),
        receipt: receipt.clone(),
    };
    let (meta, uploads, key, body) =
        (state.meta.clone(), state.uploads.clone(), key.to_owned(), response_body.clone());
    blocking(move || {
        meta.insert_submission(&record, &key, 201, &body)?;
        for f in &record.files {
            uploads.keep(f.upload_id)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| match e {
        Error::Conflict(detail) => ProblemResponse::new(ProblemType::VersionConflict, detail),
        e => e.into(),
    })?;
    tracing::info!(submission = %receipt.submission_id, country = %receipt.country, "submission received");
    let mut res = json_response(StatusCode::CREATED, response_body);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/submissions/{}", receipt.submission_id))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

pub fn status_of(record: &SubmissionRecord) -> SubmissionStatus {
    SubmissionStatus {
        submission_id: record.id,
        case_uid: record.case_uid,
        version: record.version,
        state: record.state,
        reviewer_comment: record.reviewer_comment.clone(),
        received_at: record.received_at.clone(),
        updated_at: record.updated_at.clone(),
        replaced_by: record.replaced_by,
        public_url: (record.state == SubmissionState::Published)
            .then(|| format!("/cases/{}", record.id)),
    }
}

async fn status(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let fp = authenticate(&state, &headers).await?;
    let not_found = || ProblemResponse::new(ProblemType::NotFound, format!("no submission {id}"));
    let sid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let meta = state.meta.clone();
    let record = blocking(move || meta.submission(sid)).await?.ok_or_else(not_found)?;
    if record.country != fp.country {
        return Err(ProblemResponse::new(
            ProblemType::WrongCountry,
            format!("this token is scoped to {}", fp.country),
        ));
    }
    Ok(axum::Json(status_of(&record)).into_response())
}

/// `GET /api/v1/receipts/{case_uid}/{version}`: the signed receipt of a case version PAKS holds,
/// however it arrived (sent online, or a bag carried by hand), for the app to match to its case.
async fn receipt_of_version(
    State(state): State<SharedState>,
    Path((case_uid, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let fp = authenticate(&state, &headers).await?;
    let not_found = || {
        ProblemResponse::new(
            ProblemType::NotFound,
            format!("PAKS holds no version {version} of case {case_uid}"),
        )
    };
    let uid = Uuid::parse_str(&case_uid).map_err(|_| not_found())?;
    let number: u32 = version.parse().map_err(|_| not_found())?;
    let meta = state.meta.clone();
    let record =
        blocking(move || meta.submission_of_version(uid, number)).await?.ok_or_else(not_found)?;
    if record.country != fp.country {
        return Err(ProblemResponse::new(
            ProblemType::WrongCountry,
            format!("this token is scoped to {}", fp.country),
        ));
    }
    Ok(axum::Json(record.receipt).into_response())
}
