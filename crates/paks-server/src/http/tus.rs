//! tus 1.0.0 at /api/v1/uploads: core protocol plus creation, creation-with-upload,
//! expiration, checksum and termination.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use paks_protocol::{ProblemType, validate_file_name};
use sha1::Digest;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use uuid::Uuid;

use super::route_table::RouteTable;
use super::{ApiResult, ProblemResponse, SharedState, authenticate, blocking, paths};
use crate::error::Error;
use crate::metadata::FocalPoint;
use crate::pg_store::{PostgresUploadLocks, SharedUploadLock};
use crate::upload_store::{UploadInfo, UploadState};

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &[&str] =
    &["creation", "creation-with-upload", "expiration", "checksum", "termination"];
pub const TUS_CHECKSUM_ALGORITHMS: &[&str] = &["sha1", "sha256"];
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Bytes handed to the writer thread at a time.
const WRITE_CHUNK: usize = 1 << 20;

pub fn routes() -> RouteTable {
    RouteTable::new()
        .post(paths::UPLOADS, create)
        .options(paths::UPLOADS, describe)
        .options(paths::UPLOAD, describe)
        .head(paths::UPLOAD, head_upload)
        .patch(paths::UPLOAD, patch)
        .delete(paths::UPLOAD, terminate)
        .wrap(|r| {
            r.layer(middleware::map_response(|mut res: Response| async move {
                res.headers_mut().insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
                res
            }))
        })
}

/// How long a request waits for the request holding its upload to stop.
const TAKEOVER_WAIT: Duration = Duration::from_secs(10);
/// A PATCH asked to stop still reads what arrives without a pause this long...
const STOP_DRAIN_PAUSE: Duration = Duration::from_millis(200);
/// ...for at most this long.
const STOP_DRAIN_MAX: Duration = Duration::from_secs(2);

/// One request at a time per upload. A request that finds its upload held asks the holder to
/// stop, as tusd does: a PATCH then keeps what it received, commits and lets go, so a client
/// that vanished mid-PATCH cannot hold the upload and the resuming client's HEAD or PATCH goes
/// through.
#[derive(Default)]
pub(crate) struct UploadLocks {
    held: Arc<Mutex<HashMap<Uuid, Arc<LockSlot>>>>,
    /// Makes a creation's quota check and the creation one step.
    creation: tokio::sync::Mutex<()>,
    /// The same lock across instances sharing a PostgreSQL database, taken after this
    /// instance's own.
    pub(crate) shared: Option<Arc<PostgresUploadLocks>>,
}

struct LockSlot {
    turn: Arc<Semaphore>,
    /// Bumped to ask the holder to stop.
    stop: watch::Sender<u64>,
}

pub(crate) struct UploadLock {
    /// Let go of before `permit`, so that the next request of this instance finds it free.
    shared: Option<SharedUploadLock>,
    id: Uuid,
    slot: Arc<LockSlot>,
    held: Arc<Mutex<HashMap<Uuid, Arc<LockSlot>>>>,
    permit: Option<OwnedSemaphorePermit>,
    stop: watch::Receiver<u64>,
}

impl UploadLocks {
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<LockSlot>>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn lock(&self, id: Uuid) -> ApiResult<UploadLock> {
        let slot = self
            .held()
            .entry(id)
            .or_insert_with(|| {
                Arc::new(LockSlot { turn: Arc::new(Semaphore::new(1)), stop: watch::channel(0).0 })
            })
            .clone();
        let permit = match slot.turn.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                slot.stop.send_modify(|n| *n += 1);
                match tokio::time::timeout(TAKEOVER_WAIT, slot.turn.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        forget_if_unused(&self.held, id, &slot);
                        return Err(ProblemResponse::new(
                            ProblemType::UploadLocked,
                            "another request is writing to this upload; retry shortly",
                        ));
                    }
                }
            }
        };
        let shared = match &self.shared {
            Some(shared) => match lock_across_instances(shared, id).await {
                Ok(held) => Some(held),
                Err(problem) => {
                    drop(permit);
                    forget_if_unused(&self.held, id, &slot);
                    return Err(problem);
                }
            },
            None => None,
        };
        Ok(UploadLock {
            shared,
            id,
            stop: slot.stop.subscribe(),
            slot,
            held: self.held.clone(),
            permit: Some(permit),
        })
    }

    /// Asks the request of this instance holding `id`, if any, to stop (another instance wants
    /// the upload).
    pub(crate) fn request_stop(&self, id: Uuid) {
        if let Some(slot) = self.held().get(&id) {
            slot.stop.send_modify(|n| *n += 1);
        }
    }

    /// Asks every request holding an upload to stop (at shutdown).
    pub(crate) fn release_all(&self) {
        for slot in self.held().values() {
            slot.stop.send_modify(|n| *n += 1);
        }
    }
}

/// Takes `id`'s advisory lock, asking the instance holding it to stop and waiting up to
/// `TAKEOVER_WAIT` for it to let go.
async fn lock_across_instances(
    shared: &PostgresUploadLocks,
    id: Uuid,
) -> ApiResult<SharedUploadLock> {
    let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
    let mut asked = false;
    loop {
        if let Some(held) = shared.try_lock(id).await? {
            return Ok(held);
        }
        if !asked {
            shared.request_stop(id).await?;
            asked = true;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ProblemResponse::new(
                ProblemType::UploadLocked,
                "another request is writing to this upload; retry shortly",
            ));
        }
        tokio::time::sleep(SHARED_LOCK_POLL).await;
    }
}

/// How often a request waiting for another instance's upload lock tries again.
const SHARED_LOCK_POLL: Duration = Duration::from_millis(50);

/// Removes `id`'s slot when nobody but the map and the caller holds it.
fn forget_if_unused(held: &Mutex<HashMap<Uuid, Arc<LockSlot>>>, id: Uuid, slot: &Arc<LockSlot>) {
    let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
    if Arc::strong_count(slot) <= 2 {
        held.remove(&id);
    }
}

impl UploadLock {
    /// Completes when another request asks for this upload.
    async fn stop_requested(&mut self) {
        if self.stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        self.shared.take();
        self.permit.take();
        forget_if_unused(&self.held, self.id, &self.slot);
    }
}

fn bad_header(detail: impl Into<String>) -> ProblemResponse {
    ProblemResponse::new(ProblemType::BadTusHeader, detail)
}

pub(super) fn check_tus_resumable(headers: &HeaderMap) -> ApiResult<()> {
    match headers.get("tus-resumable").map(HeaderValue::as_bytes) {
        Some(b"1.0.0") => Ok(()),
        other => Err(ProblemResponse::new(
            ProblemType::TusVersionUnsupported,
            match other {
                None => "the Tus-Resumable header is missing".to_owned(),
                Some(v) => format!("Tus-Resumable {} is not supported", String::from_utf8_lossy(v)),
            },
        )
        .with_header(
            header::HeaderName::from_static("tus-version"),
            HeaderValue::from_static(TUS_VERSION),
        )),
    }
}

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> ApiResult<Option<u64>> {
    let Some(v) = headers.get(name) else { return Ok(None) };
    let s = v.to_str().map_err(|_| bad_header(format!("{name} is not ASCII")))?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_header(format!("{name} must be a non-negative integer, got {s:?}")));
    }
    s.parse().map(Some).map_err(|_| bad_header(format!("{name} is too large")))
}

pub(super) fn parse_metadata(raw: &str) -> ApiResult<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for pair in raw.split(',') {
        let pair = pair.trim();
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(bad_header(format!("Upload-Metadata has a bad key {key:?}")));
        }
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| bad_header(format!("Upload-Metadata value of {key:?} is not base64")))?;
        let text = String::from_utf8(bytes);
        if map.contains_key(key) {
            return Err(bad_header(format!("Upload-Metadata repeats key {key:?}")));
        }
        match (key, text) {
            ("filename" | "filetype", Err(_)) => {
                return Err(ProblemResponse::new(
                    ProblemType::InvalidUtf8,
                    format!("Upload-Metadata {key} is not UTF-8"),
                ));
            }
            (_, Ok(text)) => {
                map.insert(key.to_owned(), text);
            }
            (_, Err(_)) => {}
        }
    }
    if let Some(name) = map.get("filename") {
        validate_file_name(name)
            .map_err(|e| bad_header(format!("Upload-Metadata filename: {e}")))?;
    }
    Ok(map)
}

pub(super) enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Sha256(sha2::Sha256, Vec<u8>),
}

impl Checksum {
    pub(super) fn parse(headers: &HeaderMap) -> ApiResult<Option<Self>> {
        let Some(v) = headers.get("upload-checksum") else { return Ok(None) };
        let s = v.to_str().map_err(|_| bad_header("Upload-Checksum is not ASCII"))?;
        let (algo, value) = s
            .split_once(' ')
            .ok_or_else(|| bad_header("Upload-Checksum must be `<algorithm> <base64>`"))?;
        let expected = STANDARD
            .decode(value.trim())
            .map_err(|_| bad_header("Upload-Checksum value is not base64"))?;
        let (checksum, len) = match algo {
            "sha1" => (Checksum::Sha1(sha1::Sha1::new(), expected), 20),
            "sha256" => (Checksum::Sha256(sha2::Sha256::new(), expected), 32),
            other => {
                return Err(ProblemResponse::new(
                    ProblemType::ChecksumAlgorithmUnsupported,
                    format!("checksum algorithm {other:?} is not supported; use sha1 or sha256"),
                ));
            }
        };
        match &checksum {
            Checksum::Sha1(_, e) | Checksum::Sha256(_, e) if e.len() != len => {
                Err(bad_header(format!("Upload-Checksum {algo} must be {len} bytes")))
            }
            _ => Ok(Some(checksum)),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Sha1(h, _) => h.update(data),
            Checksum::Sha256(h, _) => h.update(data),
        }
    }

    fn matches(self) -> bool {
        match self {
            Checksum::Sha1(h, e) => h.finalize().as_slice() == e.as_slice(),
            Checksum::Sha256(h, e) => h.finalize().as_slice() == e.as_slice(),
        }
    }
}

fn check_content_type(headers: &HeaderMap) -> ApiResult<()> {
    match headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes) {
        Some(ct) if ct == OFFSET_OCTET_STREAM.as_bytes() => Ok(()),
        _ => Err(ProblemResponse::new(
            ProblemType::UnsupportedMediaType,
            format!("upload bodies must be sent as Content-Type: {OFFSET_OCTET_STREAM}"),
        )),
    }
}

fn expires_header(info: &UploadInfo) -> ApiResult<Option<HeaderValue>> {
    let Some(at) = info.expires_at else { return Ok(None) };
    let date = crate::clock::http_date(crate::clock::from_unix(at)?)?;
    Ok(HeaderValue::from_str(&date).ok())
}

fn parse_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ProblemResponse::new(ProblemType::NotFound, "no such upload"))
}

/// The caller's live upload, or the problem to answer.
async fn live_upload(state: &SharedState, fp: &FocalPoint, id: Uuid) -> ApiResult<UploadState> {
    let store = state.uploads.clone();
    let upload = blocking(move || store.get(id)).await?;
    let upload = match upload {
        Some(u) if u.info.owner == fp.id => u,
        _ => return Err(ProblemResponse::new(ProblemType::NotFound, format!("no upload {id}"))),
    };
    if let Some(at) = upload.info.expires_at
        && at <= crate::clock::now().unix_timestamp()
    {
        return Err(ProblemResponse::new(
            ProblemType::UploadExpired,
            format!("upload {id} expired"),
        ));
    }
    Ok(upload)
}

/// A tus request from an authenticated focal point: Tus-Resumable checked, then the token.
struct TusCaller(FocalPoint);

impl FromRequestParts<SharedState> for TusCaller {
    type Rejection = ProblemResponse;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Self> {
        check_tus_resumable(&parts.headers)?;
        Ok(Self(authenticate(state, &parts.headers).await?))
    }
}

/// A tus request about one of the caller's live uploads. The checks run in this order, which
/// decides the problem a faulty request gets: Tus-Resumable, the token, the id, `P` (what the
/// method's own headers announce), then the upload itself.
struct TusUpload<P = ()> {
    owner: FocalPoint,
    id: Uuid,
    upload: UploadState,
    announced: P,
}

impl<P> FromRequestParts<SharedState> for TusUpload<P>
where
    P: FromRequestParts<SharedState> + Send,
    P::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let TusCaller(owner) = TusCaller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = parse_id(&id).map_err(IntoResponse::into_response)?;
        let announced =
            P::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let upload = live_upload(state, &owner, id).await.map_err(IntoResponse::into_response)?;
        Ok(Self { owner, id, upload, announced })
    }
}

impl<P> TusUpload<P> {
    /// Takes the upload's lock, which first stops a PATCH still holding it (its client may be
    /// gone), and loads the upload as that PATCH left it.
    async fn lock(&self, state: &SharedState) -> ApiResult<(UploadLock, UploadState)> {
        let lock = state.locks.lock(self.id).await?;
        let upload = live_upload(state, &self.owner, self.id).await?;
        Ok((lock, upload))
    }
}

/// What a PATCH's headers announce.
struct PatchHeaders {
    offset: u64,
    checksum: Option<Checksum>,
}

impl FromRequestParts<SharedState> for PatchHeaders {
    type Rejection = ProblemResponse;

    async fn from_request_parts(parts: &mut Parts, _: &SharedState) -> ApiResult<Self> {
        check_content_type(&parts.headers)?;
        let offset = header_u64(&parts.headers, "upload-offset")?
            .ok_or_else(|| bad_header("Upload-Offset is required"))?;
        let checksum = Checksum::parse(&parts.headers)?;
        Ok(Self { offset, checksum })
    }
}

async fn describe(State(state): State<SharedState>) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    if let Ok(v) = HeaderValue::from_str(&TUS_EXTENSIONS.join(",")) {
        h.insert("tus-extension", v);
    }
    h.insert("tus-max-size", HeaderValue::from(state.config.max_upload_size));
    if let Ok(v) = HeaderValue::from_str(&TUS_CHECKSUM_ALGORITHMS.join(",")) {
        h.insert("tus-checksum-algorithm", v);
    }
    res
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0")
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub(super) fn is_disk_full(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } | Error::IoPlain(source)
        if source.kind() == std::io::ErrorKind::StorageFull)
}

pub(super) fn disk_full() -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::InsufficientStorage,
        "the server's disk is full; nothing of this request was kept. Try again later",
    )
}

/// Refuses an upload of `length` bytes that would pass the focal point's quotas or that the
/// disk cannot hold beside every open upload's remaining bytes and the reserve.
async fn check_room(state: &SharedState, owner: i64, length: u64) -> ApiResult<()> {
    let (usage, available) = usage_and_free_space(state, owner).await?;
    let config = &state.config;
    let ttl_hours = config.upload_ttl.as_secs() / 3600;
    if usage.open_uploads >= u64::from(config.max_open_uploads) {
        return Err(ProblemResponse::new(
            ProblemType::UploadQuotaExceeded,
            format!(
                "this focal point already has {} uploads that are not part of a submission, \
                 the limit. Submit the cases they belong to or delete uploads no longer needed; \
                 unused uploads are deleted {ttl_hours} hours after they were created",
                usage.open_uploads
            ),
        ));
    }
    let open_bytes = usage.open_bytes.saturating_add(length);
    if open_bytes > config.max_open_upload_bytes {
        return Err(ProblemResponse::new(
            ProblemType::UploadQuotaExceeded,
            format!(
                "with this file ({}) this focal point's uploads not yet part of a submission \
                 would take {}, above the limit of {}. Submit the cases they belong to first",
                mib(length),
                mib(open_bytes),
                mib(config.max_open_upload_bytes)
            ),
        ));
    }
    disk_has_room(config, usage.pending_bytes, available, length)
}

/// Refuses `length` new bytes that the disk cannot hold beside every open upload's remaining
/// bytes and the reserve (a bag: before its body is received).
pub(super) async fn check_disk(state: &SharedState, owner: i64, length: u64) -> ApiResult<()> {
    let (usage, available) = usage_and_free_space(state, owner).await?;
    disk_has_room(&state.config, usage.pending_bytes, available, length)
}

/// The owner's open uploads and the disk's free bytes (`None` when unknown).
async fn usage_and_free_space(
    state: &SharedState,
    owner: i64,
) -> ApiResult<(crate::upload_store::UploadUsage, Option<u64>)> {
    let store = state.uploads.clone();
    let now = crate::clock::now().unix_timestamp();
    Ok(blocking(move || Ok((store.usage(owner, now)?, store.available_bytes()?))).await?)
}

fn disk_has_room(
    config: &crate::Config,
    pending_bytes: u64,
    available: Option<u64>,
    length: u64,
) -> ApiResult<()> {
    let needed = pending_bytes.saturating_add(length).saturating_add(config.disk_reserve_bytes);
    if let Some(free) = available
        && free < needed
    {
        tracing::warn!(
            free,
            pending = pending_bytes,
            length,
            reserve = config.disk_reserve_bytes,
            "upload refused: the disk is too full"
        );
        return Err(ProblemResponse::new(
            ProblemType::InsufficientStorage,
            format!(
                "the server's disk has no room for a file of {} now. Try again later; the \
                 server's operator has to free space",
                mib(length)
            ),
        ));
    }
    Ok(())
}

async fn create(
    State(state): State<SharedState>,
    TusCaller(fp): TusCaller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    if headers.contains_key("upload-defer-length") {
        return Err(bad_header("Upload-Defer-Length is not supported; send Upload-Length"));
    }
    let length = header_u64(&headers, "upload-length")?
        .ok_or_else(|| bad_header("Upload-Length is required"))?;
    if length > state.config.max_upload_size {
        return Err(ProblemResponse::new(
            ProblemType::TooLarge,
            format!("Upload-Length {length} exceeds Tus-Max-Size {}", state.config.max_upload_size),
        ));
    }
    let raw_metadata = match headers.get("upload-metadata") {
        Some(v) => {
            Some(v.to_str().map_err(|_| bad_header("Upload-Metadata is not ASCII"))?.to_owned())
        }
        None => None,
    };
    let metadata = match &raw_metadata {
        Some(raw) if !raw.trim().is_empty() => parse_metadata(raw)?,
        _ => BTreeMap::new(),
    };
    let with_body = has_body(&headers);
    let checksum = if with_body {
        check_content_type(&headers)?;
        Checksum::parse(&headers)?
    } else {
        None
    };
    let now = crate::clock::now().unix_timestamp();
    let ttl = i64::try_from(state.config.upload_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let info = UploadInfo {
        id: Uuid::new_v4(),
        length,
        raw_metadata,
        metadata,
        owner: fp.id,
        created_at: now,
        expires_at: Some(now.saturating_add(ttl)),
        sha256: None,
    };
    let id = info.id;
    {
        let _creating = state.locks.creation.lock().await;
        check_room(&state, fp.id, length).await?;
        let store = state.uploads.clone();
        let created = info.clone();
        blocking(move || store.create(&created))
            .await
            .map_err(|e| if is_disk_full(&e) { disk_full() } else { e.into() })?;
    }
    let location = HeaderValue::from_str(&paths::url(paths::UPLOAD, &[&id]))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let mut offset = None;
    if with_body {
        let mut lock = state.locks.lock(id).await?;
        match write_body(&state, &mut lock, id, 0, length, checksum, body).await {
            Ok(Written::Whole(o)) => offset = Some(o),
            // The upload stays: a client still there resumes at Location.
            Ok(Written::CutShort(o, why)) => {
                return Err(cut_short(o, why)
                    .with_header(header::LOCATION, location)
                    .with_header(header::HeaderName::from_static("upload-offset"), o.into()));
            }
            Err(problem) => {
                let store = state.uploads.clone();
                blocking(move || store.delete(id)).await?;
                return Err(problem);
            }
        }
        drop(lock);
    } else if length == 0 {
        let store = state.uploads.clone();
        blocking(move || store.complete(id)).await?;
    }
    let mut res = StatusCode::CREATED.into_response();
    let h = res.headers_mut();
    h.insert(header::LOCATION, location);
    if let Some(v) = expires_header(&info)? {
        h.insert("upload-expires", v);
    }
    if let Some(o) = offset {
        h.insert("upload-offset", HeaderValue::from(o));
    }
    Ok(res)
}

async fn head_upload(State(state): State<SharedState>, target: TusUpload) -> ApiResult {
    // Loaded after a PATCH holding it has committed: the offset answered is the one to resume from.
    let (_lock, upload) = target.lock(&state).await?;
    let mut res = StatusCode::OK.into_response();
    let h = res.headers_mut();
    h.insert("upload-offset", HeaderValue::from(upload.offset));
    h.insert("upload-length", HeaderValue::from(upload.info.length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = upload.info.raw_metadata.as_deref().and_then(|m| HeaderValue::from_str(m).ok())
    {
        h.insert("upload-metadata", v);
    }
    if let Some(v) = expires_header(&upload.info)? {
        h.insert("upload-expires", v);
    }
    Ok(res)
}

async fn patch(
    State(state): State<SharedState>,
    target: TusUpload<PatchHeaders>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let (mut lock, upload) = target.lock(&state).await?;
    let TusUpload { id, announced: PatchHeaders { offset, checksum }, .. } = target;
    if offset != upload.offset {
        return Err(ProblemResponse::new(
            ProblemType::OffsetMismatch,
            format!("Upload-Offset is {offset} but the upload is at {}", upload.offset),
        ));
    }
    if let Some(len) = header_u64(&headers, "content-length")?
        && offset.saturating_add(len) > upload.info.length
    {
        return Err(ProblemResponse::new(
            ProblemType::BodyLongerThanUpload,
            format!(
                "Content-Length {len} at offset {offset} goes past Upload-Length {}",
                upload.info.length
            ),
        ));
    }
    let new_offset = match write_body(
        &state,
        &mut lock,
        id,
        offset,
        upload.info.length,
        checksum,
        body,
    )
    .await?
    {
        Written::Whole(o) => o,
        Written::CutShort(o, why) => return Err(cut_short(o, why)),
    };
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert("upload-offset", HeaderValue::from(new_offset));
    if let Some(v) = expires_header(&upload.info)? {
        h.insert("upload-expires", v);
    }
    Ok(res)
}

async fn terminate(State(state): State<SharedState>, target: TusUpload) -> ApiResult {
    let TusUpload { id, upload, .. } = target;
    let (meta, now) = (state.meta.clone(), crate::clock::now().unix_timestamp());
    if upload.info.expires_at.is_none()
        || !blocking(move || meta.claim_upload_deletion(id, now)).await?
    {
        return Err(ProblemResponse::new(
            ProblemType::UploadInUse,
            "this upload is part of a submission",
        ));
    }
    let _lock = state.locks.lock(id).await?;
    let store = state.uploads.clone();
    blocking(move || store.delete(id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

enum BodyEnd {
    Complete,
    Broken,
    TakenOver,
    TooLong,
    WriterGone,
}

/// What a body brought that was kept.
enum Written {
    /// All of it; the new offset.
    Whole(u64),
    /// It ended early (why) and what arrived is kept: the new offset.
    CutShort(u64, &'static str),
}

fn cut_short(offset: u64, why: &str) -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::IncompleteBody,
        format!("the body {why}; {offset} bytes are kept, resume from there"),
    )
}

/// Streams `body` into the upload at `offset`. Keeps what arrived if the connection breaks,
/// the client goes quiet, or another request takes the upload over (unless a checksum was
/// announced, which can then not be checked); keeps nothing on a checksum mismatch or a body
/// past `length`.
async fn write_body(
    state: &SharedState,
    lock: &mut UploadLock,
    id: Uuid,
    offset: u64,
    length: u64,
    mut checksum: Option<Checksum>,
    body: Body,
) -> ApiResult<Written> {
    let _open = crate::metrics::OpenUpload::new(&state.metrics);
    let store = state.uploads.clone();
    let writer = blocking(move || store.writer(id, offset)).await.map_err(|e| match e {
        Error::Conflict(detail) => ProblemResponse::new(ProblemType::OffsetMismatch, detail),
        e => e.into(),
    })?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let write_task = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        while let Some(buf) = rx.blocking_recv() {
            if let Err(e) = writer.write(&buf) {
                return (writer, Err(e));
            }
        }
        (writer, Ok(()))
    });
    let remaining = length - offset;
    let mut received = 0u64;
    let mut buf = Vec::with_capacity(WRITE_CHUNK);
    let mut body = body;
    let mut asked_to_stop: Option<tokio::time::Instant> = None;
    let end = loop {
        let frame = match asked_to_stop {
            None => tokio::select! {
                biased;
                () = lock.stop_requested() => {
                    asked_to_stop = Some(tokio::time::Instant::now());
                    continue;
                }
                frame = body.frame() => frame,
            },
            // Take what has already arrived, then let go.
            Some(at) if at.elapsed() >= STOP_DRAIN_MAX => break BodyEnd::TakenOver,
            Some(_) => match tokio::time::timeout(STOP_DRAIN_PAUSE, body.frame()).await {
                Ok(frame) => frame,
                Err(_) => break BodyEnd::TakenOver,
            },
        };
        match frame {
            None => break BodyEnd::Complete,
            Some(Err(e)) => {
                tracing::info!(upload = %id, error = %e, "upload body broke off");
                break BodyEnd::Broken;
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else { continue };
                received += data.len() as u64;
                if received > remaining {
                    break BodyEnd::TooLong;
                }
                if let Some(c) = &mut checksum {
                    c.update(&data);
                }
                buf.extend_from_slice(&data);
                if buf.len() >= WRITE_CHUNK
                    && tx
                        .send(std::mem::replace(&mut buf, Vec::with_capacity(WRITE_CHUNK)))
                        .await
                        .is_err()
                {
                    break BodyEnd::WriterGone;
                }
            }
        }
    };
    let keep = match end {
        BodyEnd::Complete => checksum.take().is_none_or(Checksum::matches),
        BodyEnd::Broken | BodyEnd::TakenOver => checksum.is_none(),
        BodyEnd::TooLong | BodyEnd::WriterGone => false,
    };
    if keep && !buf.is_empty() {
        // A send error means the writer failed; its result below says how.
        let _ = tx.send(buf).await;
    }
    drop(tx);
    let (writer, written) = write_task.await.map_err(|e| Error::Join(e.to_string()))?;
    if let Err(e) = written {
        blocking(move || writer.rollback()).await?;
        return Err(if is_disk_full(&e) { disk_full() } else { e.into() });
    }
    if !keep {
        blocking(move || writer.rollback()).await?;
        return Err(match end {
            BodyEnd::Complete => ProblemResponse::new(
                ProblemType::ChecksumMismatch,
                "the body does not match Upload-Checksum; nothing of it was kept",
            ),
            BodyEnd::TooLong => ProblemResponse::new(
                ProblemType::BodyLongerThanUpload,
                format!("the body goes past Upload-Length {length}; nothing of it was kept"),
            ),
            BodyEnd::Broken | BodyEnd::TakenOver => ProblemResponse::new(
                ProblemType::IncompleteBody,
                "the body broke off before its checksum could be checked; nothing of it was kept",
            ),
            BodyEnd::WriterGone => Error::Join("upload writer stopped".into()).into(),
        });
    }
    let store = state.uploads.clone();
    let new_offset = blocking(move || {
        let new_offset = writer.commit()?;
        if new_offset == length {
            store.complete(id)?;
        }
        Ok(new_offset)
    })
    .await
    .map_err(|e| if is_disk_full(&e) { disk_full() } else { e.into() })?;
    state.metrics.upload_bytes_received.inc_by(new_offset - offset);
    Ok(match end {
        BodyEnd::Broken => Written::CutShort(new_offset, "broke off"),
        BodyEnd::TakenOver => Written::CutShort(new_offset, "was cut: another request took over"),
        _ => Written::Whole(new_offset),
    })
}
