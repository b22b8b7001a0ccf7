use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::upload_store::{
    UploadExtent, UploadInfo, UploadState, UploadStore, UploadUsage, UploadWriter,
};

/// Rolling SHA-256 of uploads written front to back, so completing a big upload does not
/// re-read it. Lost on restart; then `complete` reads the file once.
type Progress = Arc<Mutex<HashMap<Uuid, (u64, Sha256)>>>;

/// Every upload's extent, read from the folder once at open and kept up to date by this store,
/// so that quotas and the sweeper never read the folder. Its `offset` is the committed one: the
/// bytes of a PATCH still being written are in the file but not here.
type Index = Arc<Mutex<HashMap<Uuid, UploadExtent>>>;

/// A temporary or orphaned file younger than this may belong to a creation still under way
/// (in this process or in `paks-server import-bag` beside it), so it is left alone.
const STRAY_AGE: Duration = Duration::from_secs(600);

/// `UploadStore` on a local directory: `{id}.bin` holds the bytes, `{id}.info` the JSON
/// `UploadInfo`. The directory is 0700 and the files 0600 (Unix).
pub struct DiskUploadStore {
    dir: PathBuf,
    progress: Progress,
    index: Index,
}

/// Creates `dir` (and its parents) if needed and makes it readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(Error::io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(Error::io(dir))?;
    }
    Ok(())
}

fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io { path: path.to_owned(), source: e }),
    }
}

/// What a file in the uploads folder is, by its name.
enum Entry {
    Info(Uuid),
    Data(Uuid),
    Temporary,
    Other,
}

fn classify(name: &str) -> Entry {
    let id = |stem: &str| Uuid::parse_str(stem).ok();
    if let Some(id) = name.strip_suffix(".info").and_then(id) {
        Entry::Info(id)
    } else if let Some(id) = name.strip_suffix(".bin").and_then(id) {
        Entry::Data(id)
    } else if name.ends_with(".info.tmp") {
        Entry::Temporary
    } else {
        Entry::Other
    }
}

impl DiskUploadStore {
    /// Opens (creating) `dir`, removes old strays and reads every upload's info once.
    pub fn open(dir: &Path) -> Result<Self> {
        create_private_dir(dir)?;
        let store =
            Self { dir: dir.to_owned(), progress: Progress::default(), index: Index::default() };
        let removed = store.remove_strays()?;
        if removed > 0 {
            tracing::info!(removed, dir = %dir.display(), "stray upload files removed");
        }
        let mut index = HashMap::new();
        for id in store.ids()? {
            match store.read_state(id) {
                Ok(Some(state)) => {
                    index.insert(id, state.extent());
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(upload = %id, error = %e, "upload info unreadable"),
            }
        }
        *store.lock_index() = index;
        Ok(store)
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

    /// The info with the data file's length as the offset (what survives a restart).
    fn read_state(&self, id: Uuid) -> Result<Option<UploadState>> {
        let Some(info) = self.read_info(id)? else { return Ok(None) };
        let path = self.data_path(id);
        let offset = fs::metadata(&path).map_err(Error::io(&path))?.len();
        Ok(Some(UploadState { info, offset }))
    }

    fn write_info(&self, info: &UploadInfo) -> Result<()> {
        let path = self.info_path(info.id);
        let tmp = path.with_extension("info.tmp");
        let written = private_file()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(&serde_json::to_vec(info)?)?;
                file.sync_all()
            })
            .map_err(Error::io(&tmp))
            .and_then(|()| fs::rename(&tmp, &path).map_err(Error::io(&path)));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    fn lock_progress(&self) -> MutexGuard<'_, HashMap<Uuid, (u64, Sha256)>> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_index(&self) -> MutexGuard<'_, HashMap<Uuid, UploadExtent>> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The committed offset: the index's, or the file's length for an upload another process
    /// made (`paks-server import-bag` beside a running server).
    fn committed_offset(&self, id: Uuid, file_length: u64) -> u64 {
        self.lock_index().get(&id).map_or(file_length, |e| e.offset.min(file_length))
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
    index: Index,
    finished: bool,
}

impl DiskWriter {
    fn truncate(&mut self) -> Result<()> {
        self.file.set_len(self.start).map_err(Error::io(&self.path))?;
        self.file.sync_data().map_err(Error::io(&self.path))?;
        if let Some(h) = self.start_hasher.take() {
            self.progress
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(self.id, (self.start, h));
        }
        Ok(())
    }
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

    fn commit(mut self: Box<Self>) -> Result<u64> {
        self.file.sync_data().map_err(Error::io(&self.path))?;
        self.finished = true;
        let offset = self.start + self.written;
        if let Some(h) = self.hasher.take() {
            self.progress.lock().unwrap_or_else(|p| p.into_inner()).insert(self.id, (offset, h));
        }
        if let Some(e) = self.index.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.id) {
            e.offset = offset;
        }
        Ok(offset)
    }

    fn rollback(mut self: Box<Self>) -> Result<()> {
        self.finished = true;
        self.truncate()
    }
}

impl Drop for DiskWriter {
    /// A writer dropped without commit (its request was cut at shutdown) keeps nothing.
    fn drop(&mut self) {
        if !self.finished
            && let Err(e) = self.truncate()
        {
            tracing::warn!(upload = %self.id, error = %e, "uncommitted upload bytes not removed");
        }
    }
}

impl UploadStore for DiskUploadStore {
    fn check_ready(&self) -> Result<()> {
        // Created and removed again: the folder is there and can take files now (not removed,
        // not read-only). Its name is none of the store's, so `remove_strays` leaves it alone.
        let probe = self.dir.join(format!(".ready-probe-{}", Uuid::new_v4()));
        private_file().write(true).create_new(true).open(&probe).map_err(Error::io(&probe))?;
        fs::remove_file(&probe).map_err(Error::io(&probe))
    }

    fn create(&self, info: &UploadInfo) -> Result<()> {
        let path = self.data_path(info.id);
        private_file().write(true).create_new(true).open(&path).map_err(Error::io(&path))?;
        if let Err(e) = self.write_info(info) {
            if let Err(cleanup) = remove_if_present(&path) {
                tracing::warn!(error = %cleanup, "data file of a failed creation not removed");
            }
            return Err(e);
        }
        let extent = UploadExtent {
            owner: info.owner,
            length: info.length,
            offset: 0,
            expires_at: info.expires_at,
        };
        self.lock_index().insert(info.id, extent);
        Ok(())
    }

    fn get(&self, id: Uuid) -> Result<Option<UploadState>> {
        let Some(mut state) = self.read_state(id)? else { return Ok(None) };
        state.offset = self.committed_offset(id, state.offset);
        Ok(Some(state))
    }

    fn writer(&self, id: Uuid, offset: u64) -> Result<Box<dyn UploadWriter>> {
        let path = self.data_path(id);
        let file = OpenOptions::new().append(true).open(&path).map_err(Error::io(&path))?;
        let length = file.metadata().map_err(Error::io(&path))?.len();
        let current = self.committed_offset(id, length);
        if length > current {
            // Bytes of a writer that never finished (its truncation failed): not part of it.
            file.set_len(current).map_err(Error::io(&path))?;
        }
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
            index: self.index.clone(),
            finished: false,
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
        if let Some(e) = self.lock_index().get_mut(&id) {
            e.expires_at = None;
        }
        Ok(())
    }

    fn delete(&self, id: Uuid) -> Result<()> {
        self.lock_progress().remove(&id);
        remove_if_present(&self.info_path(id))?;
        remove_if_present(&self.data_path(id))?;
        self.lock_index().remove(&id);
        Ok(())
    }

    fn expired(&self, now: i64) -> Result<Vec<Uuid>> {
        let index = self.lock_index();
        Ok(index
            .iter()
            .filter(|(_, e)| e.expires_at.is_some_and(|at| at <= now))
            .map(|(id, _)| *id)
            .collect())
    }

    fn usage(&self, owner: i64, now: i64) -> Result<UploadUsage> {
        let mut usage = UploadUsage::default();
        for extent in self.lock_index().values() {
            usage.count(owner, now, extent);
        }
        Ok(usage)
    }

    fn available_bytes(&self) -> Result<Option<u64>> {
        #[cfg(unix)]
        {
            let stat = rustix::fs::statvfs(&self.dir)
                .map_err(|e| Error::Io { path: self.dir.clone(), source: e.into() })?;
            Ok(Some(stat.f_bavail.saturating_mul(stat.f_frsize)))
        }
        #[cfg(not(unix))]
        Ok(None)
    }

    fn remove_strays(&self) -> Result<usize> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(Error::io(&self.dir))? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        let old_enough = |path: &Path| {
            fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|at| SystemTime::now().duration_since(at).ok())
                .is_some_and(|age| age >= STRAY_AGE)
        };
        let mut removed = 0;
        for name in &names {
            let stray = match classify(name) {
                Entry::Temporary => true,
                Entry::Data(id) => !self.info_path(id).exists(),
                Entry::Info(_) | Entry::Other => false,
            };
            let path = self.dir.join(name);
            if stray && old_enough(&path) {
                remove_if_present(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn reader(&self, id: Uuid) -> Result<Box<dyn Read + Send>> {
        let path = self.data_path(id);
        Ok(Box::new(File::open(&path).map_err(Error::io(&path))?))
    }

    fn ids(&self) -> Result<Vec<Uuid>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(Error::io(&self.dir))? {
            if let Entry::Info(id) = classify(&entry?.file_name().to_string_lossy()) {
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
        let extent = UploadState { offset: complete.length, info: complete }.extent();
        self.lock_index().insert(info.id, extent);
        // The renames must be on disk before a submission that names the upload commits: the
        // work folder the file came from is removed at the next start.
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(Error::io(&self.dir))
    }
}
