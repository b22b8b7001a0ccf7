//! Bytes of tus uploads: the `UploadStore` interface.
//!
//! The default is `DiskUploadStore` (a data file and a JSON info file per upload, the layout
//! tusd's filestore uses). An object-storage backend implements the same trait, or the tus
//! endpoint moves to tusd and this trait reads what tusd wrote (see docs/server.md).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// What is known about an upload besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub id: Uuid,
    /// Upload-Length.
    pub length: u64,
    /// Upload-Metadata as sent, for HEAD.
    pub raw_metadata: Option<String>,
    /// Upload-Metadata decoded (values that are UTF-8).
    pub metadata: BTreeMap<String, String>,
    /// The focal point that created it.
    pub owner: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` once the upload belongs to a submission.
    pub expires_at: Option<i64>,
    /// Lower-case hex SHA-256 of the whole upload, once complete.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    pub info: UploadInfo,
    /// Bytes received and kept.
    pub offset: u64,
}

impl UploadState {
    pub fn is_complete(&self) -> bool {
        self.offset == self.info.length
    }

    pub fn extent(&self) -> UploadExtent {
        UploadExtent {
            owner: self.info.owner,
            length: self.info.length,
            offset: self.offset,
            expires_at: self.info.expires_at,
        }
    }
}

/// The part of an upload that quotas and the sweeper look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadExtent {
    pub owner: i64,
    pub length: u64,
    /// Bytes received and kept.
    pub offset: u64,
    /// Unix seconds; `None` once kept.
    pub expires_at: Option<i64>,
}

/// What a focal point's open uploads (not part of a submission, not expired) take, and what
/// every open upload still has to receive, for quotas and the free-space check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadUsage {
    /// The owner's open uploads.
    pub open_uploads: u64,
    /// The sum of their `Upload-Length`s.
    pub open_bytes: u64,
    /// Bytes that every owner's open uploads have declared but not yet received.
    pub pending_bytes: u64,
}

impl UploadUsage {
    /// Adds `upload` (of any owner) to the usage of `owner` at unix time `now`.
    pub fn count(&mut self, owner: i64, now: i64, upload: &UploadExtent) {
        if upload.expires_at.is_none_or(|at| at <= now) {
            return;
        }
        self.pending_bytes += upload.length.saturating_sub(upload.offset);
        if upload.owner == owner {
            self.open_uploads += 1;
            self.open_bytes += upload.length;
        }
    }
}

/// Appends one PATCH's bytes. Nothing is visible to HEAD until `commit`, except that a
/// server crash mid-write may keep a prefix (which is fine for tus: the offset then says so).
pub trait UploadWriter: Send {
    fn write(&mut self, data: &[u8]) -> Result<()>;
    /// Bytes written through this writer so far.
    fn written(&self) -> u64;
    /// Makes the bytes durable; returns the new offset.
    fn commit(self: Box<Self>) -> Result<u64>;
    /// Drops every byte written through this writer.
    fn rollback(self: Box<Self>) -> Result<()>;
}

pub trait UploadStore: Send + Sync + 'static {
    /// A cheap probe of where uploads are kept, for `/readyz`: fails when uploads could not be
    /// stored now.
    fn check_ready(&self) -> Result<()>;
    fn create(&self, info: &UploadInfo) -> Result<()>;
    fn get(&self, id: Uuid) -> Result<Option<UploadState>>;
    /// A writer appending at `offset`; `Error::Conflict` if that is not the current offset.
    fn writer(&self, id: Uuid, offset: u64) -> Result<Box<dyn UploadWriter>>;
    /// Records and returns the SHA-256 of a complete upload.
    fn complete(&self, id: Uuid) -> Result<String>;
    /// The upload now belongs to a submission: it no longer expires.
    fn keep(&self, id: Uuid) -> Result<()>;
    fn delete(&self, id: Uuid) -> Result<()>;
    /// Uploads past their expiry (not kept) at unix time `now`. This default reads every upload;
    /// `DiskUploadStore` answers from memory.
    fn expired(&self, now: i64) -> Result<Vec<Uuid>> {
        let mut expired = Vec::new();
        for id in self.ids()? {
            if let Some(u) = self.get(id)?
                && u.info.expires_at.is_some_and(|at| at <= now)
            {
                expired.push(id);
            }
        }
        Ok(expired)
    }
    /// What `owner`'s open uploads take at unix time `now`. This default reads every upload.
    fn usage(&self, owner: i64, now: i64) -> Result<UploadUsage> {
        let mut usage = UploadUsage::default();
        for id in self.ids()? {
            if let Some(u) = self.get(id)? {
                usage.count(owner, now, &u.extent());
            }
        }
        Ok(usage)
    }
    /// Bytes still free where the uploads are stored, if the store can tell.
    fn available_bytes(&self) -> Result<Option<u64>> {
        Ok(None)
    }
    /// Removes what a failed creation or a crash left behind (temporary files, data without
    /// info); returns how many. A store that leaves nothing behind has nothing to do.
    fn remove_strays(&self) -> Result<usize> {
        Ok(0)
    }
    fn reader(&self, id: Uuid) -> Result<Box<dyn Read + Send>>;
    fn ids(&self) -> Result<Vec<Uuid>>;
    /// Creates the complete upload `info` from the file at `path`, whose bytes the caller has
    /// hashed (`sha256`). The file may be moved into the store: the caller must not use it
    /// afterwards. By default its bytes are copied; a store on the same filesystem moves it.
    fn adopt_file(&self, info: &UploadInfo, path: &Path, sha256: &str) -> Result<()> {
        copy_file_into(self, info, path, sha256)
    }
}

/// `UploadStore::adopt_file` by copying: create, write, commit, complete, compare the SHA-256.
pub fn copy_file_into<S: UploadStore + ?Sized>(
    store: &S,
    info: &UploadInfo,
    path: &Path,
    sha256: &str,
) -> Result<()> {
    store.create(info)?;
    let mut writer = store.writer(info.id, 0)?;
    let mut file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(Error::io(path))?;
        if n == 0 {
            break;
        }
        writer.write(&buf[..n])?;
    }
    writer.commit()?;
    if store.complete(info.id)? != sha256 {
        return Err(Error::Invalid(format!("{} changed while it was stored", path.display())));
    }
    Ok(())
}
