//! Content-addressed file storage: `attachments/blobs/ab/<sha256>` in the data folder. A file is
//! streamed into `attachments/tmp/`, hashed on the way, fsynced and renamed into place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const CHUNK: usize = 1 << 20;

/// Where stored files live inside a data folder.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("attachments") }
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(sha256.get(..2).unwrap_or("__")).join(sha256)
    }

    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Every stored file's hash (its name), for finding files no row refers to.
    pub fn stored(&self) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let top = match fs::read_dir(self.root.join("blobs")) {
            Ok(top) => top,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(err) => return Err(storage(err)),
        };
        for shard in top {
            let shard = shard.map_err(storage)?;
            if !shard.file_type().map_err(storage)?.is_dir() {
                continue;
            }
            for file in fs::read_dir(shard.path()).map_err(storage)? {
                let name = file.map_err(storage)?.file_name();
                if let Some(name) = name.to_str().filter(|n| is_sha256(n)) {
                    found.push(name.to_owned());
                }
            }
        }
        Ok(found)
    }
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A copy in the temporary folder; removed on drop unless placed.
#[derive(Debug)]
pub struct TempBlob {
    path: Option<PathBuf>,
    pub sha256: String,
    pub size: u64,
    pub bytes_per_sec: u64,
}

impl TempBlob {
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Renames the copy to `dest` (replacing whatever is there) and makes the rename durable.
    pub fn place(mut self, dest: &Path) -> Result<()> {
        let Some(path) = self.path.take() else { return Ok(()) };
        let result = (|| {
            let dir = dest.parent().unwrap_or(Path::new("."));
            fs::create_dir_all(dir)?;
            fs::rename(&path, dest)?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&path);
        }
        result.map_err(storage)
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
    }
}

/// What the source file looked like before the copy, to notice it changing.
struct Seen {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Seen {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
        }
    }

    fn same(&self, other: &Seen) -> bool {
        #[cfg(unix)]
        if self.inode != other.inode {
            return false;
        }
        self.len == other.len && self.modified == other.modified
    }
}

/// Streams `source` into the temporary folder, hashing it; `name` is for messages only.
pub fn copy_in(dir: &BlobDir, source: &Path, name: &str) -> Result<TempBlob> {
    let unreadable = |err: io::Error| match err.kind() {
        io::ErrorKind::NotFound => Error::FileUnreadable {
            name: name.to_owned(),
            reason: "there is no such file (moved, renamed or deleted?)".into(),
        },
        io::ErrorKind::PermissionDenied => Error::FileUnreadable {
            name: name.to_owned(),
            reason: "you are not allowed to open it".into(),
        },
        _ => Error::FileUnreadable { name: name.to_owned(), reason: err.to_string() },
    };
    // Metadata before opening: opening a FIFO would wait for a writer forever.
    let meta = fs::metadata(source).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Error::NotAFile { name: name.to_owned() });
    }
    if meta.len() == 0 {
        return Err(Error::EmptyFile { name: name.to_owned() });
    }
    let before = Seen::of(&meta);
    let mut input = File::open(source).map_err(unreadable)?;
    if !Seen::of(&input.metadata().map_err(unreadable)?).same(&before) {
        return Err(Error::FileChanged { name: name.to_owned() });
    }

    let tmp = dir.tmp();
    fs::create_dir_all(&tmp).map_err(storage)?;
    let path = tmp.join(format!("{}.part", uuid::Uuid::new_v4()));
    let mut output =
        OpenOptions::new().write(true).create_new(true).open(&path).map_err(storage)?;
    let mut blob = TempBlob { path: Some(path), sha256: String::new(), size: 0, bytes_per_sec: 0 };

    let started = Instant::now();
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(unreadable(err)),
        };
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n]).map_err(storage)?;
        blob.size += n as u64;
        if blob.size > before.len {
            return Err(Error::FileChanged { name: name.to_owned() });
        }
    }
    output.sync_all().map_err(storage)?;
    drop(output);

    let after_open = input.metadata().map_err(unreadable)?;
    let after_path =
        fs::metadata(source).map_err(|_| Error::FileChanged { name: name.to_owned() })?;
    if blob.size != before.len
        || !Seen::of(&after_open).same(&before)
        || !Seen::of(&after_path).same(&before)
    {
        return Err(Error::FileChanged { name: name.to_owned() });
    }
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    blob.bytes_per_sec = (blob.size as f64 / secs) as u64;
    blob.sha256 = hex(&hasher.finalize());
    Ok(blob)
}

/// The SHA-256 of the file at `path`, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A failure writing into the data folder; a full disk gets its own message.
pub fn storage(err: io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Error::DiskFull,
        io::ErrorKind::ReadOnlyFilesystem => Error::ReadOnly { path: PathBuf::new() },
        _ => Error::AttachmentStorage(err.to_string()),
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
