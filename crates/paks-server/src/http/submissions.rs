//! POST /api/v1/submissions (Idempotency-Key) and GET /api/v1/submissions/{id}.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use paks_protocol::{
    CASE_SCHEMA_VERSION, FieldError, ProblemType, RECEIPT_VERSION, Receipt, ReceiptFile,
    SubmissionRequest, SubmissionState, SubmissionStatus, canonical_case_json, case_sha256,
};
use tracing::Instrument;
use uuid::Uuid;

use super::route_table::RouteTable;
use super::{ApiResult, ProblemResponse, SharedState, authenticate, blocking, paths};
use crate::error::Error;
use crate::metadata::{
    FocalPoint, IdempotencyClaim, IdempotencyLease, StoredFile, SubmissionRecord,
};

/// How long a claim on an Idempotency-Key lasts unless its worker renews it. A worker renews it
/// every third of that while it runs, so a claim outlives its worker (a server killed mid-way,
/// or one that lost the worker some other way) by at most this long; a restart frees such
/// claims at once.
pub(crate) const IDEMPOTENCY_LEASE: Duration = Duration::from_secs(30);

pub fn routes() -> RouteTable {
    RouteTable::new()
        .post(paths::SUBMISSIONS, submit)
        .get(paths::SUBMISSION, status)
        .get(paths::RECEIPT, receipt_of_version)
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
pub(super) fn parse_request(bytes: &[u8], fp: &FocalPoint) -> ApiResult<SubmissionRequest> {
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
    detached(async move {
        match claim(&state, &fp, &key, request_sha).await? {
            Claim::Replay(replay) => Ok(replay),
            Claim::Held(held) => process(&state, &fp, held, request).await,
        }
    })
    .await
}

/// Runs `work` as a task of its own. A client that hangs up drops its request's future, which
/// would stop the work wherever it was (with its Idempotency-Key claimed and nothing stored);
/// as a task it runs to the end and answers its key, and the client's retry gets that answer.
pub(crate) async fn detached<F>(work: F) -> ApiResult
where
    F: Future<Output = ApiResult> + Send + 'static,
{
    tokio::spawn(work.in_current_span())
        .await
        .map_err(|e| ProblemResponse::from(Error::Join(e.to_string())))?
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

/// What a request gets when it claims its Idempotency-Key.
pub(crate) enum Claim {
    /// This worker holds the key and must `process` the request or `release` the key.
    Held(HeldKey),
    /// The same request was done: its stored answer.
    Replay(Response),
}

/// Claims `key` for this request under a lease of `IDEMPOTENCY_LEASE`.
pub(crate) async fn claim(
    state: &SharedState,
    fp: &FocalPoint,
    key: &str,
    request_sha: String,
) -> ApiResult<Claim> {
    let now = crate::clock::now().unix_timestamp();
    let until = lease_deadline(now);
    let (meta, k, fp_id) = (state.meta.clone(), key.to_owned(), fp.id);
    let claimed =
        blocking(move || meta.claim_idempotency_key(fp_id, &k, &request_sha, now, until)).await?;
    match claimed {
        IdempotencyClaim::Claimed(lease) => Ok(Claim::Held(HeldKey::new(state.clone(), lease))),
        IdempotencyClaim::InProgress => Err(in_progress()),
        IdempotencyClaim::BodyMismatch => Err(key_reused()),
        IdempotencyClaim::Completed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(Claim::Replay(replayed(status, body)))
        }
    }
}

fn lease_deadline(now: i64) -> i64 {
    now.saturating_add(IDEMPOTENCY_LEASE.as_secs() as i64)
}

pub(crate) fn key_reused() -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::IdempotencyKeyReused,
        "this Idempotency-Key was used with another request body",
    )
}

fn in_progress() -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::IdempotencyInProgress,
        "a request with this Idempotency-Key is being processed; retry later",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(1))
}

/// The stored answer of a request already done, marked as a replay.
pub(crate) fn replayed(status: StatusCode, body: String) -> Response {
    let mut res = json_response(status, body);
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

/// An Idempotency-Key this worker holds. A task renews its lease while the worker runs; the key
/// is then answered (by `process`) or released. Dropped otherwise (the worker failed or the
/// runtime stopped), it is released in the background; if even that cannot run, the lease
/// lapses, and a restart frees it.
pub(crate) struct HeldKey {
    state: SharedState,
    lease: IdempotencyLease,
    renewal: tokio::task::JoinHandle<()>,
    settled: bool,
}

impl HeldKey {
    fn new(state: SharedState, lease: IdempotencyLease) -> Self {
        let (meta, renewed) = (state.meta.clone(), lease.clone());
        let renewal = tokio::spawn(async move {
            loop {
                tokio::time::sleep(IDEMPOTENCY_LEASE / 3).await;
                let (meta, lease) = (meta.clone(), renewed.clone());
                let until = lease_deadline(crate::clock::now().unix_timestamp());
                match blocking(move || meta.renew_idempotency_lease(&lease, until)).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => tracing::warn!(error = %e, "idempotency lease not renewed"),
                }
            }
        });
        Self { state, lease, renewal, settled: false }
    }

    /// Forgets the key of a request that failed, so that a corrected retry can use it.
    pub(crate) async fn release(mut self) -> ApiResult<()> {
        self.settled = true;
        self.renewal.abort();
        let (meta, lease) = (self.state.meta.clone(), self.lease.clone());
        blocking(move || meta.release_idempotency_key(&lease)).await?;
        Ok(())
    }
}

impl Drop for HeldKey {
    fn drop(&mut self) {
        self.renewal.abort();
        if self.settled {
            return;
        }
        let (meta, lease) = (self.state.meta.clone(), self.lease.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn_blocking(move || {
                if let Err(e) = meta.release_idempotency_key(&lease) {
                    tracing::warn!(error = %e, "idempotency key of a failed worker not released");
                }
            });
        }
    }
}

/// Turns a checked request whose key is held into a stored submission and its signed receipt,
/// which answers the key; on failure the key is released.
pub(crate) async fn process(
    state: &SharedState,
    fp: &FocalPoint,
    mut held: HeldKey,
    request: SubmissionRequest,
) -> ApiResult {
    let outcome = store_submission(state, fp, &held.lease, request).await;
    match outcome {
        Ok(res) => {
            held.settled = true;
            Ok(res)
        }
        Err(p) => {
            held.release().await?;
            Err(p)
        }
    }
}

async fn store_submission(
    state: &SharedState,
    fp: &FocalPoint,
    lease: &IdempotencyLease,
    request: SubmissionRequest,
) -> ApiResult {
    let received_at = crate::clock::rfc3339(crate::clock::now())?;
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
    check_replaces(state, &case).await?;
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
        withdrawn_at: None,
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
    if !state.config.submission_processing_delay.is_zero() {
        tokio::time::sleep(state.config.submission_processing_delay).await;
    }
    let uploads: Vec<Uuid> = record.files.iter().map(|f| f.upload_id).collect();
    let (meta, lease, body) = (state.meta.clone(), lease.clone(), response_body.clone());
    blocking(move || meta.insert_submission(&record, &lease, 201, &body)).await.map_err(
        |e| match e {
            Error::Conflict(detail) => ProblemResponse::new(ProblemType::VersionConflict, detail),
            Error::LeaseLost => in_progress(),
            Error::UploadDeleted(id) => {
                let i = uploads.iter().position(|u| *u == id).unwrap_or_default();
                invalid(
                    ProblemType::ValidationFailed,
                    format!("upload {id} was deleted while the submission was being stored"),
                    vec![FieldError {
                        pointer: format!("/attachments/{i}/upload_id"),
                        message: "deleted".into(),
                    }],
                )
            }
            e => e.into(),
        },
    )?;
    // Only the uploads' expiry dates are left to clear: attached to a stored submission, nothing
    // deletes them any more (see `MetadataStore::claim_upload_deletion`), so a failure here must
    // not turn the stored submission into an error answer.
    let store = state.uploads.clone();
    let kept = blocking(move || uploads.iter().try_for_each(|id| store.keep(*id))).await;
    if let Err(e) = kept {
        tracing::warn!(submission = %receipt.submission_id, error = %e, "upload expiry not cleared");
    }
    tracing::info!(submission = %receipt.submission_id, country = %receipt.country, "submission received");
    let mut res = json_response(StatusCode::CREATED, response_body);
    if let Ok(v) = HeaderValue::from_str(&paths::url(paths::SUBMISSION, &[&receipt.submission_id]))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A case that replaces a submission names an earlier version of itself held by PAKS.
pub(crate) async fn check_replaces(
    state: &SharedState,
    case: &paks_protocol::CaseDocument,
) -> ApiResult<()> {
    let Some(old) = case.replaces else { return Ok(()) };
    let meta = state.meta.clone();
    let previous = blocking(move || meta.submission(old)).await?;
    let fits = previous.as_ref().is_some_and(|p| {
        p.case_uid == case.case_uid && p.country == case.country && p.version < case.version
    });
    if fits {
        return Ok(());
    }
    Err(invalid(
        ProblemType::ReplacedNotFound,
        format!("submission {old} is not an earlier version of case {}", case.case_uid),
        vec![FieldError {
            pointer: "/case/replaces".into(),
            message: "not an earlier version of this case".into(),
        }],
    ))
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
            .then(|| paths::url(paths::CASE_PAGE, &[&record.id])),
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
    // Another country's submission is answered like one that does not exist, so that a token
    // cannot learn which ids exist elsewhere.
    let record = blocking(move || meta.submission(sid))
        .await?
        .filter(|r| r.country == fp.country)
        .ok_or_else(not_found)?;
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
    let record = blocking(move || meta.submission_of_version(uid, number))
        .await?
        .filter(|r| r.country == fp.country)
        .ok_or_else(not_found)?;
    Ok(axum::Json(record.receipt).into_response())
}
