//! `UploadStore` on S3 or any S3-compatible object store, shared by every instance.
//!
//! Per upload, under the store's prefix, as tusd's s3store keeps them:
//! - `{id}.info`: JSON of `S3Upload` (the `UploadInfo`, the multipart upload and its parts);
//! - `{id}`: the bytes, once complete (a multipart upload until then, one part per 5 MiB or
//!   more that arrived);
//! - `{id}.part-{start}`: bytes after the last part that are fewer than S3's 5 MiB part minimum,
//!   held in the bucket (not in memory) until later PATCHes make them a part.
//!
//! A PATCH's bytes become visible only when `commit` writes the info object, so a writer that
//! fails or is dropped keeps nothing; parts it uploaded are replaced by the next writer's (same
//! part numbers) or left out of the completed object. The SHA-256 at completion is read back
//! from the bucket, streaming, so it does not depend on which instance received which bytes.
//!
//! The trait is blocking: requests run on the tokio runtime that opened the store, from the
//! blocking thread that calls (`Handle::block_on`).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::upload_store::{UploadInfo, UploadState, UploadStore, UploadWriter};

/// S3's smallest part (all but the last part of a multipart upload).
pub const MIN_PART: usize = 5 * 1024 * 1024;
/// A request to the store that takes longer fails instead of hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Part {
    etag: String,
    size: u64,
}

/// The `{id}.info` object.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct S3Upload {
    info: UploadInfo,
    /// The multipart upload of `{id}`, once the first part was sent.
    multipart_id: Option<String>,
    parts: Vec<Part>,
    /// Bytes in the pending object after the parts.
    pending: u64,
    /// `{id}` holds all the bytes.
    complete: bool,
}

impl S3Upload {
    fn parts_size(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    fn offset(&self) -> u64 {
        if self.complete { self.info.length } else { self.parts_size() + self.pending }
    }
}

pub struct S3UploadStore {
    s3: Arc<AmazonS3>,
    prefix: String,
    runtime: Handle,
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("upload {id}"))
}

impl S3UploadStore {
    /// Opens `url` (`s3://bucket/prefix`), configured from the environment as AWS tools are
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP`). Must run inside a tokio runtime (see `PostgresMetadataStore::connect`).
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with(url, std::env::vars())
    }

    /// `open` with the settings given as `(variable, value)` pairs named as in the environment
    /// (`AWS_ENDPOINT_URL`, …) instead of read from it.
    pub fn open_with(
        url: &str,
        settings: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let runtime = Handle::try_current().map_err(|_| {
            Error::Invalid("the S3 upload store needs a tokio runtime to run on".into())
        })?;
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| Error::Invalid(format!("storage URL {url:?} is not s3://…")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Invalid(format!("storage URL {url:?} names no bucket")));
        }
        let mut builder = AmazonS3Builder::new();
        for (name, value) in settings {
            if name.starts_with("AWS_")
                && let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
            {
                builder = builder.with_config(key, value);
            }
        }
        let s3 = builder.with_bucket_name(bucket).build()?;
        let prefix = prefix.trim_matches('/').to_owned();
        let store = Self { s3: Arc::new(s3), prefix, runtime };
        // Fails early on a wrong endpoint, bucket or credentials.
        store.check_ready()?;
        Ok(store)
    }

    fn path(&self, name: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.prefix))
        }
    }

    fn info_path(&self, id: Uuid) -> ObjectPath {
        self.path(&format!("{id}.info"))
    }

    fn data_path(&self, id: Uuid) -> ObjectPath {
        self.path(&id.to_string())
    }

    fn pending_path(&self, id: Uuid, start: u64) -> ObjectPath {
        self.path(&format!("{id}.part-{start}"))
    }

    fn block<T>(&self, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.runtime.block_on(async {
            tokio::time::timeout(REQUEST_TIMEOUT, work)
                .await
                .map_err(|_| Error::Invalid("the object store did not answer in time".into()))?
        })
    }

    fn read_upload(&self, id: Uuid) -> Result<Option<S3Upload>> {
        let path = self.info_path(id);
        self.block(async {
            match self.s3.get(&path).await {
                Ok(got) => Ok(Some(serde_json::from_slice(&got.bytes().await?)?)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn write_upload(&self, upload: &S3Upload, mode: PutMode) -> Result<()> {
        let path = self.info_path(upload.info.id);
        let body = PutPayload::from(serde_json::to_vec(upload)?);
        self.block(async {
            self.s3.put_opts(&path, body, PutOptions { mode, ..Default::default() }).await?;
            Ok(())
        })
    }

    async fn delete_if_present(&self, path: &ObjectPath) -> Result<()> {
        match self.s3.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams `{id}` through SHA-256.
    fn hash_data(&self, id: Uuid) -> Result<String> {
        let path = self.data_path(id);
        self.block(async {
            let mut stream = self.s3.get(&path).await?.into_stream();
            let mut hasher = Sha256::new();
            while let Some(chunk) = stream.next().await {
                hasher.update(&chunk?);
            }
            Ok(hex::encode(hasher.finalize()))
        })
    }
}

struct S3Writer {
    s3: Arc<AmazonS3>,
    runtime: Handle,
    data_path: ObjectPath,
    info_path: ObjectPath,
    pending_path: Box<dyn Fn(u64) -> ObjectPath + Send>,
    upload: S3Upload,
    /// Bytes after the committed parts not yet sent as a part: the pending object's, then this
    /// writer's. Never more than `MIN_PART` plus one write.
    buffer: Vec<u8>,
    new_parts: Vec<Part>,
    written: u64,
}

impl S3Writer {
    fn block<T>(&self, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.runtime.block_on(async {
            tokio::time::timeout(REQUEST_TIMEOUT, work)
                .await
                .map_err(|_| Error::Invalid("the object store did not answer in time".into()))?
        })
    }

    fn send_part(&mut self) -> Result<()> {
        let data = Bytes::from(std::mem::take(&mut self.buffer));
        let size = data.len() as u64;
        let index = self.upload.parts.len() + self.new_parts.len();
        let multipart = match &self.upload.multipart_id {
            Some(id) => id.clone(),
            None => {
                let id =
                    self.block(async { Ok(self.s3.create_multipart(&self.data_path).await?) })?;
                self.upload.multipart_id = Some(id.clone());
                id
            }
        };
        let PartId { content_id } = self.block(async {
            Ok(self.s3.put_part(&self.data_path, &multipart, index, PutPayload::from(data)).await?)
        })?;
        self.new_parts.push(Part { etag: content_id, size });
        Ok(())
    }
}

impl UploadWriter for S3Writer {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.buffer.extend_from_slice(data);
        self.written += data.len() as u64;
        if self.buffer.len() >= MIN_PART {
            self.send_part()?;
        }
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn commit(mut self: Box<Self>) -> Result<u64> {
        let old_pending_start = self.upload.parts_size();
        let old_pending = self.upload.pending;
        let offset = old_pending_start + old_pending + self.written;
        let length = self.upload.info.length;
        if offset == length {
            if self.upload.multipart_id.is_none() && self.new_parts.is_empty() {
                // Small enough for one request: no multipart upload at all.
                let data = PutPayload::from(std::mem::take(&mut self.buffer));
                self.block(async { Ok(self.s3.put(&self.data_path, data).await?) })?;
            } else {
                if !self.buffer.is_empty() {
                    self.send_part()?;
                }
                let multipart = self.upload.multipart_id.clone().unwrap_or_default();
                let parts: Vec<PartId> = self
                    .upload
                    .parts
                    .iter()
                    .chain(&self.new_parts)
                    .map(|p| PartId { content_id: p.etag.clone() })
                    .collect();
                self.block(async {
                    Ok(self.s3.complete_multipart(&self.data_path, &multipart, parts).await?)
                })?;
            }
            self.upload.parts.append(&mut self.new_parts);
            self.upload.multipart_id = None;
            self.upload.pending = 0;
            self.upload.complete = true;
        } else {
            self.upload.parts.append(&mut self.new_parts);
            let start = self.upload.parts_size();
            self.upload.pending = self.buffer.len() as u64;
            if !self.buffer.is_empty() {
                // At the same start the new pending bytes begin with the old ones, so an info
                // object not yet rewritten still reads the right prefix.
                let data = PutPayload::from(std::mem::take(&mut self.buffer));
                let path = (self.pending_path)(start);
                self.block(async { Ok(self.s3.put(&path, data).await?) })?;
            }
        }
        let body = PutPayload::from(serde_json::to_vec(&self.upload)?);
        self.block(async { Ok(self.s3.put(&self.info_path, body).await?) })?;
        let new_start = self.upload.parts_size();
        if old_pending > 0 && (self.upload.complete || new_start != old_pending_start) {
            let old = (self.pending_path)(old_pending_start);
            self.block(async {
                match self.s3.delete(&old).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            })?;
        }
        Ok(offset)
    }

    fn rollback(self: Box<Self>) -> Result<()> {
        // Nothing this writer sent is named by the info object.
        Ok(())
    }
}

/// `Read` over an object's body stream, for the blocking `reader`.
struct ObjectReader {
    runtime: Handle,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            let next = self.runtime.block_on(async {
                tokio::time::timeout(REQUEST_TIMEOUT, self.stream.next()).await
            });
            match next {
                Ok(Some(Ok(chunk))) => self.chunk = chunk,
                Ok(Some(Err(e))) => return Err(std::io::Error::other(e)),
                Ok(None) => return Ok(0),
                Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

impl UploadStore for S3UploadStore {
    fn check_ready(&self) -> Result<()> {
        let prefix = self.path("");
        self.block(async {
            match self.s3.list(Some(&prefix)).next().await {
                Some(Err(e)) => Err(e.into()),
                _ => Ok(()),
            }
        })
    }

    fn create(&self, info: &UploadInfo) -> Result<()> {
        let upload = S3Upload {
            info: info.clone(),
            multipart_id: None,
            parts: Vec::new(),
            pending: 0,
            complete: false,
        };
        // A new UUIDv4 names no object yet: a plain PUT (not every S3-compatible store honours
        // the conditional one).
        self.write_upload(&upload, PutMode::Overwrite)
    }

    fn get(&self, id: Uuid) -> Result<Option<UploadState>> {
        Ok(self.read_upload(id)?.map(|u| UploadState { offset: u.offset(), info: u.info }))
    }

    fn writer(&self, id: Uuid, offset: u64) -> Result<Box<dyn UploadWriter>> {
        let upload = self.read_upload(id)?.ok_or_else(|| not_found(id))?;
        let current = upload.offset();
        if current != offset {
            return Err(Error::Conflict(format!("upload is at offset {current}, not {offset}")));
        }
        let mut buffer = Vec::with_capacity(MIN_PART + (1 << 20));
        if upload.pending > 0 && !upload.complete {
            let path = self.pending_path(id, upload.parts_size());
            let held = self.block(async {
                let range = 0..upload.pending;
                Ok(self.s3.get_range(&path, range).await?)
            })?;
            if held.len() as u64 != upload.pending {
                return Err(Error::Invalid(format!("the held bytes of upload {id} are damaged")));
            }
            buffer.extend_from_slice(&held);
        }
        let store = Self {
            s3: self.s3.clone(),
            prefix: self.prefix.clone(),
            runtime: self.runtime.clone(),
        };
        Ok(Box::new(S3Writer {
            s3: self.s3.clone(),
            runtime: self.runtime.clone(),
            data_path: self.data_path(id),
            info_path: self.info_path(id),
            pending_path: Box::new(move |start| store.pending_path(id, start)),
            upload,
            buffer,
            new_parts: Vec::new(),
            written: 0,
        }))
    }

    fn complete(&self, id: Uuid) -> Result<String> {
        let mut upload = self.read_upload(id)?.ok_or_else(|| not_found(id))?;
        if let Some(sha) = &upload.info.sha256 {
            return Ok(sha.clone());
        }
        if !upload.complete {
            if upload.info.length != 0 {
                return Err(Error::Conflict(format!("upload {id} is not complete")));
            }
            let path = self.data_path(id);
            self.block(async { Ok(self.s3.put(&path, PutPayload::default()).await?) })?;
            upload.complete = true;
        }
        let sha = self.hash_data(id)?;
        upload.info.sha256 = Some(sha.clone());
        self.write_upload(&upload, PutMode::Overwrite)?;
        Ok(sha)
    }

    fn keep(&self, id: Uuid) -> Result<()> {
        let mut upload = self.read_upload(id)?.ok_or_else(|| not_found(id))?;
        if upload.info.expires_at.is_some() {
            upload.info.expires_at = None;
            self.write_upload(&upload, PutMode::Overwrite)?;
        }
        Ok(())
    }

    fn delete(&self, id: Uuid) -> Result<()> {
        let upload = self.read_upload(id)?;
        self.block(async {
            if let Some(upload) = &upload {
                if let Some(multipart) = &upload.multipart_id {
                    match self.s3.abort_multipart(&self.data_path(id), multipart).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                if upload.pending > 0 {
                    self.delete_if_present(&self.pending_path(id, upload.parts_size())).await?;
                }
            }
            self.delete_if_present(&self.data_path(id)).await?;
            self.delete_if_present(&self.info_path(id)).await
        })
    }

    fn reader(&self, id: Uuid) -> Result<Box<dyn Read + Send>> {
        let path = self.data_path(id);
        let stream = self.block(async { Ok(self.s3.get(&path).await?.into_stream()) })?;
        Ok(Box::new(ObjectReader { runtime: self.runtime.clone(), stream, chunk: Bytes::new() }))
    }

    fn ids(&self) -> Result<Vec<Uuid>> {
        let prefix = self.path("");
        self.block(async {
            let mut ids = Vec::new();
            let mut listing = self.s3.list(Some(&prefix));
            while let Some(meta) = listing.next().await {
                let meta = meta?;
                if let Some(id) = meta
                    .location
                    .filename()
                    .and_then(|name| name.strip_suffix(".info"))
                    .and_then(|stem| Uuid::parse_str(stem).ok())
                {
                    ids.push(id);
                }
            }
            Ok(ids)
        })
    }
}
