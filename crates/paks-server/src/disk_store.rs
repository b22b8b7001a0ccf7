use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::upload_store::{UploadInfo, UploadState, UploadStore, UploadWriter};

/// Rolling SHA-256 of uploads written front to back, so completing a big upload does not
/// re-read it. Lost on restart; then `complete` reads the file once.
type Progress = Arc<Mutex<HashMap<Uuid, (u64, Sha256)>>>;

/// `UploadStore` on a local directory: `{id}.bin` holds the bytes (its length is the offset),
/// `{id}.info` the JSON `UploadInfo`.
pub struct DiskUploadStore {
    dir: PathBuf,
    progress: Progress,
}

impl DiskUploadStore {
    pub fn open(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        Ok(Self { dir: dir.to_owned(), progress: Progress::default() })
    }

    fn data_path(&self, id: Uuid) -> PathBuf {
        self.dir.join(format!("{id}.bin"))
    }

    fn info_path(&self, id: Uuid) -> PathBuf {
        self.dir.join(format!("{id}.info"))
    }

    fn read_info(&self, id: Uuid) -> Result<Option<UploadInfo>> {
        let path = self.info_path(id);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }

    fn write_info(&self, info: &UploadInfo) -> Result<()> {
        let path = self.info_path(info.id);
        let tmp = path.with_extension("info.tmp");
        let mut file = File::create(&tmp).map_err(Error::io(&tmp))?;
        file.write_all(&serde_json::to_vec(info)?).map_err(Error::io(&tmp))?;
        file.sync_all().map_err(Error::io(&tmp))?;
        fs::rename(&tmp, &path).map_err(Error::io(&path))?;
        Ok(())
    }

    fn lock_progress(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (u64, Sha256)>> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct DiskWriter {
    id: Uuid,
    path: PathBuf,
    file: File,
    start: u64,
    written: u64,
    start_hasher: Option<Sha256>,
    hasher: Option<Sha256>,
    progress: Progress,
}

impl UploadWriter for DiskWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.file.write_all(data).map_err(Error::io(&self.path))?;
        if let Some(h) = &mut self.hasher {
            h.update(data);
        }
        self.written += data.len() as u64;
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn commit(self: Box<Self>) -> Result<u64> {
        self.file.sync_data().map_err(Error::io(&self.path))?;
        let offset = self.start + self.written;
        if let Some(h) = self.hasher {
            self.progress.lock().unwrap_or_else(|p| p.into_inner()).insert(self.id, (offset, h));
        }
        Ok(offset)
    }

    fn rollback(self: Box<Self>) -> Result<()> {
        self.file.set_len(self.start).map_err(Error::io(&self.path))?;
        self.file.sync_data().map_err(Error::io(&self.path))?;
        if let Some(h) = self.start_hasher {
            self.progress
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(self.id, (self.start, h));
        }
        Ok(())
    }
}

impl UploadStore for DiskUploadStore {
    fn create(&self, info: &UploadInfo) -> Result<()> {
        let path = self.data_path(info.id);
        OpenOptions::new().write(true).create_new(true).open(&path).map_err(Error::io(&path))?;
        self.write_info(info)
    }

    fn get(&self, id: Uuid) -> Result<Option<UploadState>> {
        let Some(info) = self.read_info(id)? else { return Ok(None) };
        let path = self.data_path(id);
        let offset = fs::metadata(&path).map_err(Error::io(&path))?.len();
        Ok(Some(UploadState { info, offset }))
    }

    fn writer(&self, id: Uuid, offset: u64) -> Result<Box<dyn UploadWriter>> {
        let path = self.data_path(id);
        let file = OpenOptions::new().append(true).open(&path).map_err(Error::io(&path))?;
        let current = file.metadata().map_err(Error::io(&path))?.len();
        if current != offset {
            return Err(Error::Conflict(format!("upload is at offset {current}, not {offset}")));
        }
        let hasher = match self.lock_progress().remove(&id) {
            Some((at, h)) if at == offset => Some(h),
            _ if offset == 0 => Some(Sha256::new()),
            _ => None,
        };
        Ok(Box::new(DiskWriter {
            id,
            path,
            file,
            start: offset,
            written: 0,
            start_hasher: hasher.clone(),
            hasher,
            progress: self.progress.clone(),
        }))
    }

    fn complete(&self, id: Uuid) -> Result<String> {
        let mut info =
            self.read_info(id)?.ok_or_else(|| Error::NotFound(format!("upload {id}")))?;
        if let Some(sha) = &info.sha256 {
            return Ok(sha.clone());
        }
        let rolled = match self.lock_progress().remove(&id) {
            Some((at, h)) if at == info.length => Some(h),
            _ => None,
        };
        let digest = match rolled {
            Some(h) => h.finalize(),
            None => {
                let path = self.data_path(id);
                let mut file = File::open(&path).map_err(Error::io(&path))?;
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = file.read(&mut buf).map_err(Error::io(&path))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                h.finalize()
            }
        };
        let sha = hex::encode(digest);
        info.sha256 = Some(sha.clone());
        self.write_info(&info)?;
        Ok(sha)
    }

    fn keep(&self, id: Uuid) -> Result<()> {
        let mut info =
            self.read_info(id)?.ok_or_else(|| Error::NotFound(format!("upload {id}")))?;
        if info.expires_at.is_some() {
            info.expires_at = None;
            self.write_info(&info)?;
        }
        Ok(())
    }

    fn delete(&self, id: Uuid) -> Result<()> {
        self.lock_progress().remove(&id);
        for path in [self.info_path(id), self.data_path(id)] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::Io { path, source: e }),
            }
        }
        Ok(())
    }

    fn reader(&self, id: Uuid) -> Result<Box<dyn Read + Send>> {
        let path = self.data_path(id);
        Ok(Box::new(File::open(&path).map_err(Error::io(&path))?))
    }

    fn ids(&self) -> Result<Vec<Uuid>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(Error::io(&self.dir))? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name.strip_suffix(".info").and_then(|s| Uuid::parse_str(s).ok()) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Moves the file into the store (a rename within one filesystem, so a bag's payload is not
    /// written twice); copies it when the rename fails (another filesystem).
    fn adopt_file(&self, info: &UploadInfo, path: &Path, sha256: &str) -> Result<()> {
        let data = self.data_path(info.id);
        if fs::rename(path, &data).is_err() {
            return crate::upload_store::copy_file_into(self, info, path, sha256);
        }
        let complete = UploadInfo { sha256: Some(sha256.to_owned()), ..info.clone() };
        if let Err(e) = self.write_info(&complete) {
            let _ = fs::remove_file(&data);
            return Err(e);
        }
        // The renames must be on disk before a submission that names the upload commits: the
        // work folder the file came from is removed at the next start.
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(Error::io(&self.dir))
    }
}
