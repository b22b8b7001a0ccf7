//! Rotating backups of the database in `DATA/backups/`, written with SQLite's online backup API
//! (a consistent snapshot while the app runs, not a file copy that may catch half a commit).
//! The attachment blob store needs none: it is content-addressed and can be re-hashed.
//!
//! A backup is written under a temporary name, checked with `integrity_check`, fsynced and only
//! then renamed, so a crash never leaves a half-written backup that looks good.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup as SqliteBackup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};
use ts_rs::TS;

use super::{DB_FILE, create_private_dir, migrations};
use crate::error::{Error, Result};

pub const BACKUP_DIR: &str = "backups";
/// Daily backups kept (and, separately, backups made on request); those before a migration are
/// all kept: migrations are rare and each is the way back to the older app.
pub const KEEP_DAILY: usize = 7;
pub const KEEP_MANUAL: usize = 7;
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
const PREFIX: &str = "paks-desk-";
const SUFFIX: &str = ".sqlite3";
const BUSY_DEADLINE: Duration = Duration::from_secs(30);

/// Why a backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BackupKind {
    Daily,
    BeforeMigration,
    Manual,
}

impl BackupKind {
    fn label(self) -> &'static str {
        match self {
            BackupKind::Daily => "daily",
            BackupKind::BeforeMigration => "before-migration",
            BackupKind::Manual => "manual",
        }
    }

    fn from_label(label: &str) -> Option<Self> {
        [BackupKind::Daily, BackupKind::BeforeMigration, BackupKind::Manual]
            .into_iter()
            .find(|kind| kind.label() == label)
    }

    fn keep(self) -> Option<usize> {
        match self {
            BackupKind::Daily => Some(KEEP_DAILY),
            BackupKind::Manual => Some(KEEP_MANUAL),
            BackupKind::BeforeMigration => None,
        }
    }
}

/// One backup file, as its name describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BackupInfo {
    pub name: String,
    /// When it was taken, in milliseconds since the Unix epoch (second precision).
    pub taken_at: i64,
    /// The database's schema version (`user_version`) in the backup.
    pub schema_version: u32,
    pub kind: BackupKind,
    pub bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    pub backup: BackupInfo,
    /// Where the database that was replaced (with its `-wal`/`-shm`) now is; never deleted.
    pub set_aside: Vec<PathBuf>,
}

pub fn backup_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(BACKUP_DIR)
}

/// The backups in `data_dir`, newest first. A missing backup folder is an empty list.
pub fn list(data_dir: &Path) -> Result<Vec<BackupInfo>> {
    let dir = backup_dir(data_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::DataDir { path: dir, source }),
    };
    let mut found: Vec<BackupInfo> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let bytes = entry.metadata().ok().filter(|m| m.is_file())?.len();
            parse_name(&name, bytes)
        })
        .collect();
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then_with(|| b.name.cmp(&a.name)));
    Ok(found)
}

/// The newest backup that passes `integrity_check` and that this app can open.
pub fn newest_good(data_dir: &Path) -> Result<Option<BackupInfo>> {
    for backup in list(data_dir)? {
        match verify(&backup_dir(data_dir).join(&backup.name)) {
            Ok(_) => return Ok(Some(backup)),
            Err(err) => tracing::warn!(backup = %backup.name, "backup skipped: {err}"),
        }
    }
    Ok(None)
}

/// Puts backup `name` (default: the newest good one) in place of the database, keeping the
/// current database and its `-wal`/`-shm` aside under a timestamped name. The store must not be
/// open. `now_millis` names the files set aside.
pub fn restore(data_dir: &Path, name: Option<&str>, now_millis: i64) -> Result<Restored> {
    let backup = match name {
        Some(name) => {
            let backup = list(data_dir)?
                .into_iter()
                .find(|backup| backup.name == name)
                .ok_or_else(|| Error::BackupNotFound(name.to_owned()))?;
            verify(&backup_dir(data_dir).join(&backup.name))?;
            backup
        }
        None => {
            newest_good(data_dir)?.ok_or_else(|| Error::NoBackup { dir: backup_dir(data_dir) })?
        }
    };
    let source = open_read_only(&backup_dir(data_dir).join(&backup.name))?;
    let db_path = data_dir.join(DB_FILE);
    let staged = data_dir.join(format!(".{DB_FILE}.restoring"));
    write_checked(&source, &staged)?;
    drop(source);

    let stamp = stamp(now_millis);
    let mut set_aside = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let current = data_dir.join(format!("{DB_FILE}{suffix}"));
        if current.exists() {
            let aside = data_dir.join(format!("{PREFIX}before-restore-{stamp}{SUFFIX}{suffix}"));
            fs::rename(&current, &aside).map_err(|err| io_error(&current, &err))?;
            set_aside.push(aside);
        }
    }
    fs::rename(&staged, &db_path).map_err(|err| io_error(&db_path, &err))?;
    sync_dir(data_dir);
    tracing::info!(backup = %backup.name, ?set_aside, "backup restored");
    Ok(Restored { backup, set_aside })
}

/// Writes a backup of `source` (at schema `schema_version`) into `DATA/backups/`, then drops the
/// oldest of its kind beyond what is kept.
pub(crate) fn make(
    source: &Connection,
    data_dir: &Path,
    kind: BackupKind,
    schema_version: u32,
    now_millis: i64,
) -> Result<BackupInfo> {
    let dir = backup_dir(data_dir);
    create_private_dir(&dir)?;
    let name = format!("{PREFIX}{}-v{schema_version}-{}{SUFFIX}", stamp(now_millis), kind.label());
    let staged = dir.join(format!(".{name}.tmp"));
    write_checked(source, &staged)?;
    let path = dir.join(&name);
    fs::rename(&staged, &path).map_err(|err| io_error(&path, &err))?;
    sync_dir(&dir);
    let bytes = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let info = parse_name(&name, bytes).ok_or_else(|| Error::Backup(format!("bad name {name}")))?;
    prune(data_dir, kind)?;
    tracing::info!(backup = %info.name, "backup written");
    Ok(info)
}

/// Whether a daily backup is due at `now_millis`: none is younger than a day.
pub(crate) fn daily_due(data_dir: &Path, now_millis: i64) -> Result<bool> {
    let newest = list(data_dir)?
        .into_iter()
        .find(|backup| backup.kind == BackupKind::Daily)
        .map(|backup| backup.taken_at);
    // A clock set back makes a backup "from the future": a new one is due too.
    Ok(newest.is_none_or(|taken| now_millis - taken >= DAY_MILLIS || taken > now_millis))
}

fn prune(data_dir: &Path, kind: BackupKind) -> Result<()> {
    let Some(keep) = kind.keep() else { return Ok(()) };
    let dir = backup_dir(data_dir);
    for old in list(data_dir)?.into_iter().filter(|b| b.kind == kind).skip(keep) {
        let path = dir.join(&old.name);
        fs::remove_file(&path).map_err(|err| io_error(&path, &err))?;
    }
    // Left by a backup that a crash or a full disk interrupted.
    for entry in fs::read_dir(&dir).map_err(|err| io_error(&dir, &err))?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Copies `source` into a new file at `dest` with the backup API, as one self-contained file
/// (rollback journal, not WAL), checks it, and fsyncs it. A failed copy leaves nothing at `dest`.
fn write_checked(source: &Connection, dest: &Path) -> Result<()> {
    remove_with_journal(dest);
    let result = copy_and_check(source, dest);
    if result.is_err() {
        remove_with_journal(dest);
    }
    result
}

fn copy_and_check(source: &Connection, dest: &Path) -> Result<()> {
    let mut target = Connection::open(dest).map_err(|err| Error::Backup(err.to_string()))?;
    {
        let backup = SqliteBackup::new(source, &mut target)?;
        let deadline = Instant::now() + BUSY_DEADLINE;
        // All pages in one step: one consistent snapshot, however busy the writer is.
        while backup.step(-1)? != StepResult::Done {
            if Instant::now() > deadline {
                return Err(Error::Busy);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    target.execute_batch("PRAGMA journal_mode = DELETE;")?;
    let check: String = target.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(Error::Backup(format!("the copy failed its integrity check: {check}")));
    }
    target.close().map_err(|(_, err)| Error::from(err))?;
    // Opened for writing: Windows flushes (FlushFileBuffers) only through a writable handle.
    fs::OpenOptions::new()
        .write(true)
        .open(dest)
        .and_then(|file| file.sync_all())
        .map_err(|err| io_error(dest, &err))
}

/// Opens a backup read-only and checks it: sound, and not from a newer app. Returns its version.
fn verify(path: &Path) -> Result<u32> {
    let conn = open_read_only(path)?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|err| damaged(path, &err.to_string()))?;
    if check != "ok" {
        return Err(damaged(path, &check));
    }
    let version: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if usize::try_from(version).unwrap_or(usize::MAX) > migrations::latest_version() {
        return Err(Error::DatabaseTooNew {
            found: usize::try_from(version).unwrap_or(usize::MAX),
            supported: migrations::latest_version(),
        });
    }
    Ok(version)
}

fn open_read_only(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| damaged(path, &err.to_string()))
}

fn damaged(path: &Path, detail: &str) -> Error {
    Error::DatabaseDamaged { path: path.to_owned(), detail: detail.to_owned() }
}

fn remove_with_journal(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = fs::remove_file(PathBuf::from(name));
    }
}

/// `paks-desk-2026-12-02T05-29-44Z-v2-daily.sqlite3` → its time, version and kind.
fn parse_name(name: &str, bytes: u64) -> Option<BackupInfo> {
    let middle = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (time, rest) = middle.split_at_checked(STAMP_LEN)?;
    let (version, kind) = rest.strip_prefix("-v")?.split_once('-')?;
    let taken = PrimitiveDateTime::parse(time, STAMP_FORMAT).ok()?.assume_utc();
    Some(BackupInfo {
        name: name.to_owned(),
        taken_at: i64::try_from(taken.unix_timestamp_nanos() / 1_000_000).ok()?,
        schema_version: version.parse().ok()?,
        kind: BackupKind::from_label(kind)?,
        bytes,
    })
}

const STAMP_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]Z");
const STAMP_LEN: usize = "2026-12-02T05-29-44Z".len();

/// A UTC time that sorts as text and is valid in a file name on every platform.
pub(crate) fn stamp(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .ok()
        .and_then(|time| time.format(STAMP_FORMAT).ok())
        .unwrap_or_else(|| millis.to_string())
}

fn io_error(path: &Path, err: &std::io::Error) -> Error {
    // ENOSPC on Unix, ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.
    if matches!(err.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) {
        return Error::DiskFull;
    }
    Error::Backup(format!("{}: {err}", path.display()))
}

/// Makes a rename durable: fsync the folder that holds it (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_time_version_and_kind_and_sort_as_text() {
        let millis = 1_796_189_384_000; // 2026-12-02T05:29:44Z
        let name = format!("{PREFIX}{}-v2-before-migration{SUFFIX}", stamp(millis));
        assert_eq!(name, "paks-desk-2026-12-02T05-29-44Z-v2-before-migration.sqlite3");
        let info = parse_name(&name, 10).unwrap();
        assert_eq!(info.taken_at, millis);
        assert_eq!(info.schema_version, 2);
        assert_eq!(info.kind, BackupKind::BeforeMigration);
        for other in ["paks-desk.sqlite3", ".paks-desk-2026-12-02T05-29-44Z-v2-daily.sqlite3.tmp"] {
            assert_eq!(parse_name(other, 0), None, "{other} is not a backup");
        }
        assert!(stamp(millis) < stamp(millis + 1000));
    }
}
