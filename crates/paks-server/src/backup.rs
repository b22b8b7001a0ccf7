//! `paks-server backup` and `restore` for the embedded default (a SQLite file and an uploads
//! folder): one tar archive holding an online snapshot of the database, the upload files, the
//! desk release files and the signing key, closed by a manifest of every file's size and
//! SHA-256. PostgreSQL and S3 are backed up with their own tools (docs/server.md).
//!
//! Consistent while the server runs: the database is copied first, in one read transaction of
//! SQLite's backup API, and the files after it. A submission in the snapshot names only
//! uploads that were complete and kept before it committed, and such uploads never change or
//! go away, so every file a restored submission names is in the archive whole. Uploads still
//! being received are archived as far as they had got (tus resumes them from there).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};

/// The last entry of every archive.
pub const MANIFEST_NAME: &str = "MANIFEST.json";
const FORMAT: &str = "paks-backup/1";
const DATABASE_NAME: &str = "paks.sqlite3";
const KEY_NAME: &str = "server-key.ed25519";
const UPLOADS_DIR: &str = "uploads";
const RELEASES_DIR: &str = "desk-releases";
/// Longest manifest a restore reads (about 300 bytes an entry: a million files).
const MAX_MANIFEST_BYTES: u64 = 512 * 1024 * 1024;
/// How long the database snapshot may wait for the server's write lock to let go.
const SNAPSHOT_BUSY_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Relative, `/`-separated: `paks.sqlite3`, `uploads/{id}.bin`, …
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub created_at: String,
    pub server_version: String,
    pub files: Vec<ManifestEntry>,
}

/// What `backup` wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub files: usize,
    pub bytes: u64,
}

/// Reads exactly `remaining` bytes of `inner`, hashing them; fewer is an error (the file
/// shrank while it was read).
struct HashingReader<R> {
    inner: R,
    remaining: u64,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = buf.len().min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was backed up; run the backup again",
            ));
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

struct ArchiveWriter {
    tar: tar::Builder<File>,
    manifest: Vec<ManifestEntry>,
    bytes: u64,
}

impl ArchiveWriter {
    /// Archives `source` as `path`, as long as it was when opened. False when it was gone.
    fn add_file(&mut self, path: &str, source: &Path) -> Result<bool> {
        let file = match File::open(source) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::Io { path: source.to_owned(), source: e }),
        };
        let size = file.metadata().map_err(Error::io(source))?.len();
        let mut reader = HashingReader { inner: file, remaining: size, hasher: Sha256::new() };
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mtime(crate::clock::now().unix_timestamp().try_into().unwrap_or(0));
        self.tar.append_data(&mut header, path, &mut reader).map_err(Error::io(source))?;
        self.manifest.push(ManifestEntry {
            path: path.to_owned(),
            size,
            sha256: hex::encode(reader.hasher.finalize()),
        });
        self.bytes += size;
        Ok(true)
    }
}

/// An online copy of the database at `source` into the new file `target`, taken in one read
/// transaction, so a consistent snapshot however busy the server is.
fn snapshot_database(source: &Path, target: &Path) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let from = durable_sqlite::open(source, durable_sqlite::Access::ReadOnly)?;
    let mut to = rusqlite::Connection::open(target)?;
    let started = Instant::now();
    {
        let backup = Backup::new(&from, &mut to)?;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    if started.elapsed() > SNAPSHOT_BUSY_DEADLINE {
                        return Err(Error::Database(
                            "the database stayed locked; the backup was not taken".into(),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => return Err(Error::Database("unexpected SQLite backup step".into())),
            }
        }
    }
    to.close().map_err(|(_, e)| Error::Sqlite(e))?;
    Ok(())
}

/// Names in `dir` (none when it does not exist), sorted so that an upload's `.info` comes
/// before its `.bin`.
fn names_in(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io { path: dir.to_owned(), source: e }),
    };
    let mut names = Vec::new();
    for entry in entries {
        names.push(entry.map_err(Error::io(dir))?.file_name().to_string_lossy().into_owned());
    }
    names.sort_by(|a, b| upload_order(a).cmp(&upload_order(b)));
    Ok(names)
}

/// An upload's info before its data: the info of an upload still being received says it is
/// incomplete while the data grows, which stays true of the pair whatever happens in between.
fn upload_order(name: &str) -> (&str, bool) {
    match name.rsplit_once('.') {
        Some((stem, ext)) => (stem, ext != "info"),
        None => (name, true),
    }
}

fn is_upload_file(name: &str) -> bool {
    name.strip_suffix(".info")
        .or_else(|| name.strip_suffix(".bin"))
        .is_some_and(|stem| uuid::Uuid::parse_str(stem).is_ok_and(|id| id.to_string() == stem))
}

fn is_release_file(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The archive path `path` when it is one a backup writes: a plain relative path to the
/// database, the key, an upload file or a release file.
fn is_archive_path(path: &str) -> bool {
    match path.split_once('/') {
        None => path == DATABASE_NAME || path == KEY_NAME,
        Some((UPLOADS_DIR, name)) => is_upload_file(name),
        Some((RELEASES_DIR, name)) => is_release_file(name),
        Some(_) => false,
    }
}

fn private_new_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(Error::io(path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io(dir))
}

fn embedded_only(config: &Config) -> Result<()> {
    if config.postgres_url().is_some() || config.s3_url().is_some() {
        return Err(Error::Invalid(
            "backup and restore cover the embedded default (SQLite and a folder); back up \
             PostgreSQL with pg_dump and S3 with the bucket's versioning or replication"
                .into(),
        ));
    }
    Ok(())
}

/// `out` with `.partial` appended: where the archive is written before it is complete.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Writes the backup of `config`'s data to the new file `out` (refused if it exists). The
/// archive holds the signing key: it is created 0600.
pub fn backup(config: &Config, out: &Path) -> Result<BackupSummary> {
    embedded_only(config)?;
    if out.exists() {
        return Err(Error::Conflict(format!("{} exists already", out.display())));
    }
    let database = config.database_path();
    if !database.is_file() {
        return Err(Error::NotFound(format!("the database {}", database.display())));
    }
    let partial = partial_path(out);
    let mut snapshot = partial.as_os_str().to_owned();
    snapshot.push(".sqlite3");
    let snapshot = PathBuf::from(snapshot);
    let written = write_archive(config, &database, &partial, &snapshot);
    let _ = fs::remove_file(&snapshot);
    match written {
        Ok(summary) => {
            fs::rename(&partial, out).map_err(Error::io(out))?;
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
            Ok(summary)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_archive(
    config: &Config,
    database: &Path,
    partial: &Path,
    snapshot: &Path,
) -> Result<BackupSummary> {
    let file = private_new_file(partial)?;
    let mut archive =
        ArchiveWriter { tar: tar::Builder::new(file), manifest: Vec::new(), bytes: 0 };
    // The database first: every file it names exists from then on.
    snapshot_database(database, snapshot)?;
    archive.add_file(DATABASE_NAME, snapshot)?;
    let key = config.key_path();
    if !archive.add_file(KEY_NAME, &key)? {
        return Err(Error::NotFound(format!("the signing key {}", key.display())));
    }
    let uploads = config.uploads_dir();
    // A data file whose info was not archived is no upload (yet): a creation under way writes
    // the data file first.
    let mut with_info = std::collections::HashSet::new();
    for name in names_in(&uploads)?.into_iter().filter(|n| is_upload_file(n)) {
        let (stem, is_data) = upload_order(&name);
        let (stem, is_info) = (stem.to_owned(), !is_data);
        let (path, source) = (format!("{UPLOADS_DIR}/{name}"), uploads.join(&name));
        if is_info {
            if archive.add_file(&path, &source)? {
                with_info.insert(stem);
            }
        } else if with_info.contains(&stem) {
            archive.add_file(&path, &source)?;
        }
    }
    let releases = config.releases_dir();
    for name in names_in(&releases)?.into_iter().filter(|n| is_release_file(n)) {
        archive.add_file(&format!("{RELEASES_DIR}/{name}"), &releases.join(&name))?;
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: crate::clock::rfc3339(crate::clock::now())?,
        server_version: env!("CARGO_PKG_VERSION").into(),
        files: archive.manifest,
    };
    let summary = BackupSummary { files: manifest.files.len(), bytes: archive.bytes };
    let body = serde_json::to_vec_pretty(&manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(body.len() as u64);
    header.set_mode(0o600);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mtime(crate::clock::now().unix_timestamp().try_into().unwrap_or(0));
    archive
        .tar
        .append_data(&mut header, MANIFEST_NAME, body.as_slice())
        .map_err(Error::io(partial))?;
    let file = archive.tar.into_inner().map_err(Error::io(partial))?;
    file.sync_all().map_err(Error::io(partial))?;
    Ok(summary)
}

/// What `restore` wrote.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub files: usize,
    pub bytes: u64,
    pub created_at: String,
}

/// Restores the archive `from` into `data_dir`, which must be empty or absent. Every file is
/// checked against the manifest (the same paths, sizes and SHA-256) and the database with
/// SQLite's quick check; on any failure what was written is removed again.
pub fn restore(from: &Path, data_dir: &Path) -> Result<RestoreSummary> {
    match fs::read_dir(data_dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Conflict(format!(
                    "{} is not empty; restore into an empty folder",
                    data_dir.display()
                )));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::Io { path: data_dir.to_owned(), source: e }),
    }
    crate::disk_store::create_private_dir(data_dir)?;
    let restored = unpack_and_verify(from, data_dir);
    if restored.is_err() {
        for entry in fs::read_dir(data_dir).map_err(Error::io(data_dir))?.flatten() {
            let path = entry.path();
            let removed =
                if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            if let Err(e) = removed {
                tracing::warn!(path = %path.display(), error = %e, "not removed after a failed restore");
            }
        }
    }
    restored
}

fn damaged(detail: impl Into<String>) -> Error {
    Error::BackupDamaged(detail.into())
}

/// The entry's path, checked: relative, plain components, and one a backup writes.
fn entry_path(entry: &tar::Entry<'_, File>) -> Result<String> {
    let path = entry.path().map_err(|e| damaged(format!("an entry's path: {e}")))?;
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let text = path.to_str().filter(|_| plain).map(str::to_owned);
    match text {
        Some(p) if p == MANIFEST_NAME || is_archive_path(&p) => Ok(p),
        _ => Err(damaged(format!("unexpected entry {}", path.display()))),
    }
}

fn unpack_and_verify(from: &Path, data_dir: &Path) -> Result<RestoreSummary> {
    let file = File::open(from).map_err(Error::io(from))?;
    let mut archive = tar::Archive::new(file);
    let mut found: Vec<ManifestEntry> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    for entry in archive.entries().map_err(Error::io(from))? {
        let mut entry = entry.map_err(|e| damaged(format!("reading the archive: {e}")))?;
        if manifest.is_some() {
            return Err(damaged("entries after the manifest"));
        }
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(damaged("an entry that is not a plain file"));
        }
        let path = entry_path(&entry)?;
        if path == MANIFEST_NAME {
            if entry.size() > MAX_MANIFEST_BYTES {
                return Err(damaged("the manifest is too large"));
            }
            let mut body = Vec::new();
            entry.read_to_end(&mut body).map_err(|e| damaged(format!("the manifest: {e}")))?;
            manifest = Some(
                serde_json::from_slice(&body).map_err(|e| damaged(format!("the manifest: {e}")))?,
            );
            continue;
        }
        if found.iter().any(|f| f.path == path) {
            return Err(damaged(format!("{path} twice")));
        }
        let target = data_dir.join(&path);
        if let Some(parent) = target.parent() {
            crate::disk_store::create_private_dir(parent)?;
        }
        let mut out = private_new_file(&target)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry.read(&mut buf).map_err(|e| damaged(format!("{path}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(Error::io(&target))?;
            size += n as u64;
        }
        out.sync_all().map_err(Error::io(&target))?;
        found.push(ManifestEntry { path, size, sha256: hex::encode(hasher.finalize()) });
    }
    let manifest = manifest.ok_or_else(|| damaged("no manifest: the archive is cut short"))?;
    if manifest.format != FORMAT {
        return Err(damaged(format!("unknown format {:?}", manifest.format)));
    }
    let mut expected = manifest.files.clone();
    expected.sort_by(|a, b| a.path.cmp(&b.path));
    found.sort_by(|a, b| a.path.cmp(&b.path));
    if expected != found {
        let differs = expected
            .iter()
            .chain(&found)
            .find(|e| !(expected.contains(e) && found.contains(e)))
            .map_or_else(String::new, |e| e.path.clone());
        return Err(damaged(format!("{differs} differs from the manifest")));
    }
    for required in [DATABASE_NAME, KEY_NAME] {
        if !found.iter().any(|f| f.path == required) {
            return Err(damaged(format!("no {required}")));
        }
    }
    for dir in [data_dir.to_owned(), data_dir.join(UPLOADS_DIR), data_dir.join(RELEASES_DIR)] {
        if dir.is_dir() {
            sync_dir(&dir)?;
        }
    }
    let database =
        durable_sqlite::open(&data_dir.join(DATABASE_NAME), durable_sqlite::Access::ReadOnly)?;
    let check: String = database.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(damaged(format!("the database fails SQLite's check: {check}")));
    }
    Ok(RestoreSummary {
        files: found.len(),
        bytes: found.iter().map(|f| f.size).sum(),
        created_at: manifest.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_paths_a_backup_writes_are_restored() {
        let id = uuid::Uuid::new_v4();
        assert!(is_archive_path("paks.sqlite3"));
        assert!(is_archive_path("server-key.ed25519"));
        assert!(is_archive_path(&format!("uploads/{id}.bin")));
        assert!(is_archive_path(&format!("uploads/{id}.info")));
        assert!(is_archive_path(&format!("desk-releases/{}", "ab".repeat(32))));
        assert!(!is_archive_path(&format!("uploads/{id}.info.tmp")));
        assert!(!is_archive_path("uploads/../paks.sqlite3"));
        assert!(!is_archive_path(&format!("uploads/{}.bin", id.simple())));
        assert!(!is_archive_path(&format!("desk-releases/{}", "AB".repeat(32))));
        assert!(!is_archive_path("etc/passwd"));
        assert!(!is_archive_path("bag-work/x"));
    }

    #[test]
    fn an_uploads_info_is_archived_before_its_data() {
        let id = uuid::Uuid::new_v4();
        let (bin, info) = (format!("{id}.bin"), format!("{id}.info"));
        let mut names = vec![bin.clone(), info.clone()];
        names.sort_by(|a, b| upload_order(a).cmp(&upload_order(b)));
        assert_eq!(names, [info, bin]);
    }
}
