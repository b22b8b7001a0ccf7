//! Our tus 1.0 client (no maintained Rust one exists): creation, HEAD for the offset, PATCH in
//! chunks with `Upload-Checksum: sha256`, the server's offset as the truth, and a clean restart
//! when the server has forgotten the upload (404/410).

mod chunk;

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use sha2::Digest;

pub use chunk::ChunkSizer;

use crate::client::{PaksClient, classify};
use crate::error::{Result, SyncError};

const TUS_VERSION: &str = "1.0.0";
const OCTET_STREAM: &str = "application/offset+octet-stream";

/// Why a tus request did not simply succeed.
#[derive(Debug)]
pub enum TusError {
    /// The server no longer has the upload (404/410): start over.
    Gone,
    /// Our offset is not the server's (409): ask it (HEAD) and go on from there.
    OffsetMismatch,
    Other(SyncError),
}

impl From<SyncError> for TusError {
    fn from(e: SyncError) -> Self {
        TusError::Other(e)
    }
}

impl From<reqwest::Error> for TusError {
    fn from(e: reqwest::Error) -> Self {
        TusError::Other(e.into())
    }
}

/// A file to upload.
#[derive(Debug, Clone)]
pub struct UploadSource {
    pub path: PathBuf,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// What happened, for the caller to persist before the next request.
#[derive(Debug)]
pub enum UploadStep<'a> {
    /// A new upload was created at `url` (offset 0); any old URL is void.
    Created { url: &'a str },
    /// The server confirmed `offset` bytes.
    Confirmed { url: &'a str, offset: u64, chunk_size: u64, bytes_per_second: f64 },
}

fn header_u64(res: &reqwest::Response, name: &str) -> Option<u64> {
    res.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

impl PaksClient {
    /// tus creation; returns the absolute upload URL.
    pub async fn tus_create(&self, source: &UploadSource) -> Result<String, TusError> {
        let metadata = format!(
            "filename {},filetype {}",
            STANDARD.encode(source.name.as_bytes()),
            STANDARD.encode(source.media_type.as_bytes())
        );
        let endpoint = self.url("api/v1/uploads")?;
        let res = self
            .http
            .post(endpoint.clone())
            .bearer_auth(self.token())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Length", source.size.to_string())
            .header("Upload-Metadata", metadata)
            .header(CONTENT_LENGTH, "0")
            .send()
            .await?;
        if res.status() != StatusCode::CREATED {
            return Err(classify(res).await.into());
        }
        let location =
            res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
                SyncError::Garbled("the upload was created without a Location".into())
            })?;
        let url = endpoint
            .join(location)
            .map_err(|e| SyncError::Garbled(format!("bad upload Location {location:?}: {e}")))?;
        let url = self.same_origin(url)?;
        Ok(url.to_string())
    }

    /// The offset the server holds for `url`.
    pub async fn tus_head(&self, url: &str) -> Result<u64, TusError> {
        let res = self
            .http
            .head(url)
            .timeout(self.options.probe_timeout)
            .bearer_auth(self.token())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Cache-Control", "no-store")
            .send()
            .await?;
        match res.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => return Err(TusError::Gone),
            s if s.is_success() => {}
            _ => return Err(classify(res).await.into()),
        }
        header_u64(&res, "upload-offset").ok_or_else(|| {
            TusError::Other(SyncError::NotPaks("HEAD answered without Upload-Offset".into()))
        })
    }

    /// Sends `data` at `offset`; returns the offset the server now holds.
    pub async fn tus_patch(
        &self,
        url: &str,
        offset: u64,
        data: Vec<u8>,
        timeout: Duration,
        checksum: bool,
    ) -> Result<u64, TusError> {
        let len = data.len() as u64;
        let mut req = self
            .http
            .patch(url)
            .bearer_auth(self.token())
            .timeout(timeout)
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Offset", offset.to_string())
            .header(CONTENT_TYPE, OCTET_STREAM)
            .header(CONTENT_LENGTH, len.to_string());
        if checksum {
            let digest = sha2::Sha256::digest(&data);
            req = req.header("Upload-Checksum", format!("sha256 {}", STANDARD.encode(digest)));
        }
        let body = match Pace::from_kbps(self.options.bandwidth_kbps) {
            Some(pace) => paced_body(data, pace),
            None => reqwest::Body::from(data),
        };
        let res = req.body(body).send().await?;
        match res.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(TusError::Gone),
            StatusCode::CONFLICT => Err(TusError::OffsetMismatch),
            s if s.is_success() => header_u64(&res, "upload-offset").ok_or_else(|| {
                TusError::Other(SyncError::NotPaks("PATCH answered without Upload-Offset".into()))
            }),
            _ => Err(classify(res).await.into()),
        }
    }

    /// Uploads `source` from wherever the server has it (or from scratch), chunk by chunk,
    /// calling `on` after each step so the caller persists the URL and the offset. Returns the
    /// upload URL once the server holds every byte.
    pub async fn tus_upload(
        &self,
        source: &UploadSource,
        known_url: Option<String>,
        sizer: &mut ChunkSizer,
        checksum: bool,
        on: &mut (dyn FnMut(UploadStep<'_>) -> Result<()> + Send),
    ) -> Result<String> {
        self.tus_upload_at(source, known_url.map(|u| (u, None)), sizer, checksum, on).await
    }

    /// As `tus_upload`, with the server's offset for the known URL when it was just asked
    /// (a HEAD sent beside the reachability probe), so the resume skips one round trip.
    pub async fn tus_upload_at(
        &self,
        source: &UploadSource,
        known: Option<(String, Option<u64>)>,
        sizer: &mut ChunkSizer,
        checksum: bool,
        on: &mut (dyn FnMut(UploadStep<'_>) -> Result<()> + Send),
    ) -> Result<String> {
        let mut url = known;
        let mut restarts = 0;
        loop {
            let (current, mut offset) = match url.take() {
                Some((u, Some(offset))) => (u, offset),
                Some((u, None)) => match self.tus_head(&u).await {
                    Ok(offset) => (u, offset),
                    Err(TusError::Gone) => (self.create_fresh(source, on).await?, 0),
                    Err(TusError::OffsetMismatch) => {
                        return Err(SyncError::Garbled("HEAD answered 409".into()));
                    }
                    Err(TusError::Other(e)) => return Err(e),
                },
                None => (self.create_fresh(source, on).await?, 0),
            };
            on(UploadStep::Confirmed {
                url: &current,
                offset,
                chunk_size: sizer.next_size(),
                bytes_per_second: sizer.rate().unwrap_or(0.0),
            })?;
            let outcome = loop {
                if offset >= source.size {
                    break Ok(());
                }
                let len = sizer.next_size().min(source.size - offset);
                let data = read_range(source, offset, len).await?;
                let started = Instant::now();
                let timeout = sizer.timeout_for(len, self.options.stall_timeout);
                match self.tus_patch(&current, offset, data, timeout, checksum).await {
                    Ok(new_offset) if new_offset > offset && new_offset <= source.size => {
                        tracing::debug!(
                            offset,
                            len,
                            checksum,
                            ms = started.elapsed().as_millis() as u64,
                            "chunk confirmed"
                        );
                        sizer.record(new_offset - offset, started.elapsed());
                        offset = new_offset;
                        on(UploadStep::Confirmed {
                            url: &current,
                            offset,
                            chunk_size: sizer.next_size(),
                            bytes_per_second: sizer.rate().unwrap_or(0.0),
                        })?;
                    }
                    Ok(bad) => {
                        break Err(TusError::Other(SyncError::Garbled(format!(
                            "the server says offset {bad} after {len} bytes at {offset}"
                        ))));
                    }
                    Err(TusError::OffsetMismatch) => match self.tus_head(&current).await {
                        Ok(server) => offset = server,
                        Err(e) => break Err(e),
                    },
                    Err(e) => break Err(e),
                }
            };
            match outcome {
                Ok(()) => return Ok(current),
                Err(TusError::Gone) if restarts < 2 => {
                    restarts += 1;
                    tracing::info!(file = %source.name, "upload expired on the server; starting over");
                }
                Err(TusError::Gone) => {
                    return Err(SyncError::Garbled(
                        "the server keeps forgetting the upload".into(),
                    ));
                }
                Err(TusError::OffsetMismatch) => {
                    return Err(SyncError::Garbled("offset mismatch".into()));
                }
                Err(TusError::Other(e)) => return Err(e),
            }
        }
    }

    async fn create_fresh(
        &self,
        source: &UploadSource,
        on: &mut (dyn FnMut(UploadStep<'_>) -> Result<()> + Send),
    ) -> Result<String> {
        match self.tus_create(source).await {
            Ok(url) => {
                on(UploadStep::Created { url: &url })?;
                Ok(url)
            }
            Err(TusError::Other(e)) => Err(e),
            Err(_) => Err(SyncError::Garbled("the upload could not be created".into())),
        }
    }
}

async fn read_range(source: &UploadSource, offset: u64, len: u64) -> Result<Vec<u8>> {
    let path = source.path.clone();
    let name = source.name.clone();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(&path)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0; len as usize];
        f.read_exact(&mut buf)?;
        Ok(buf)
    })
    .await
    .map_err(|e| SyncError::Io(std::io::Error::other(e)))?;
    read.map_err(|e| SyncError::FileMissing { name, reason: e.to_string() })
}

/// Holds a transfer to the bandwidth cap: bytes counted from `start` may not run ahead of
/// `bytes_per_second`. Uploads pace their body with it, update downloads their reading.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    start: tokio::time::Instant,
    bytes_per_second: f64,
}

impl Pace {
    /// `None` without a cap.
    pub fn from_kbps(kbps: Option<u32>) -> Option<Self> {
        kbps.filter(|k| *k > 0).map(|k| Self {
            start: tokio::time::Instant::now(),
            bytes_per_second: f64::from(k) * 1000.0 / 8.0,
        })
    }

    /// Waits until `pos` bytes from the start are within the cap.
    pub async fn wait_for(&self, pos: u64) {
        let due = self.start + Duration::from_secs_f64(pos as f64 / self.bytes_per_second.max(1.0));
        tokio::time::sleep_until(due).await;
    }
}

/// A body that holds to `pace`, sent in small pieces.
fn paced_body(data: Vec<u8>, pace: Pace) -> reqwest::Body {
    const PIECE: usize = 16 * 1024;
    let data = Arc::new(data);
    let stream = futures_util::stream::unfold(0usize, move |pos| {
        let data = data.clone();
        async move {
            if pos >= data.len() {
                return None;
            }
            pace.wait_for(pos as u64).await;
            let end = (pos + PIECE).min(data.len());
            Some((Ok::<Vec<u8>, std::io::Error>(data[pos..end].to_vec()), end))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

/// Lower-case hex SHA-256 and size of a file, read in blocks (run off the async threads).
pub fn hash_file(path: &std::path::Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}
