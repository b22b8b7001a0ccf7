//! The local store: one SQLite file, one writer connection and a small pool of readers.

pub mod backup;
mod clean_close;
mod connection;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use backup::{BackupInfo, BackupKind};

pub use connection::open as open_connection;

/// Environment variable that overrides where the data folder is (tests use a temporary one).
pub const DATA_DIR_ENV: &str = "PAKS_DESK_DATA_DIR";
const DB_FILE: &str = "paks-desk.sqlite3";
const MAX_IDLE_READERS: usize = 4;
/// How often a running app asks whether the daily backup is due.
const DAILY_BACKUP_CHECK: std::time::Duration = std::time::Duration::from_secs(60 * 60);

pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    clock: Arc<dyn Clock>,
    /// When `quick_check` last passed on this file.
    checked_at: i64,
    checked_at_open: bool,
}

/// The data folder: `$PAKS_DESK_DATA_DIR`, else the platform's (e.g. `~/.local/share/paks-desk`).
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "un-paks", "paks-desk")
        .map(|dirs| dirs.data_dir().to_owned())
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, migrating it to this build's schema.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// As [`Store::open`], with the clock that dates revisions and backups.
    ///
    /// An existing database is first checked (`quick_check`) unless the last store closed it
    /// cleanly and it is unchanged since (`clean_close`): a damaged one is refused with
    /// [`Error::DatabaseDamaged`] before anything is written. It is backed up before a migration
    /// (a failed backup stops the migration); the daily backup is the caller's
    /// ([`Store::backup_if_due`], or [`Store::keep_daily_backups`] off the launch path).
    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        create_private_dir(dir)?;
        let db_path = dir.join(DB_FILE);
        let existed = std::fs::metadata(&db_path).is_ok_and(|m| m.len() > 0);
        let now = clock.now_millis();
        let checked_before =
            existed.then(|| clean_close::skip_check_since(dir, &db_path, now)).flatten();
        // Best effort: a stamp left behind only matches a file no one has changed since.
        if let Err(err) = clean_close::forget(dir) {
            tracing::debug!("the record of the last clean close stays: {err}");
        }
        let mut writer = connection::open(&db_path, false)?;
        let about_file = |err: Error| match err {
            Error::Database(err) => connection::with_path(err, &db_path),
            Error::NotADatabase { .. } => Error::NotADatabase { path: db_path.clone() },
            Error::DatabaseDamaged { detail, .. } => {
                Error::DatabaseDamaged { path: db_path.clone(), detail }
            }
            other => other,
        };
        let checked_at = checked_before.unwrap_or(now);
        let checked_at_open = existed && checked_before.is_none();
        if existed {
            if checked_at_open {
                quick_check(&writer).map_err(about_file)?;
            }
            let found = migrations::found_version(&writer).map_err(about_file)?;
            if found > 0 && usize::try_from(found).is_ok_and(|v| v < migrations::latest_version()) {
                backup::make(&writer, dir, BackupKind::BeforeMigration, found, now)?;
            }
        }
        migrations::apply(&mut writer).map_err(about_file)?;
        let store = Self {
            dir: dir.to_owned(),
            db_path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            clock,
            checked_at,
            checked_at_open,
        };
        Ok(store)
    }

    /// Makes the daily backup if none is younger than a day (by this store's clock).
    pub fn backup_if_due(&self) -> Result<Option<BackupInfo>> {
        if !backup::daily_due(&self.dir, self.now())? {
            return Ok(None);
        }
        self.backup(BackupKind::Daily).map(Some)
    }

    /// Makes the daily backup in a thread of its own, now and then every hour while `store`
    /// lives: a window left open for days still gets one a day, and the launch waits for none.
    pub fn keep_daily_backups(store: &Arc<Self>) -> std::io::Result<()> {
        let store = Arc::downgrade(store);
        std::thread::Builder::new().name("daily-backup".into()).spawn(move || {
            while let Some(store) = store.upgrade() {
                if let Err(err) = store.backup_if_due() {
                    tracing::warn!(code = err.code(), "the daily backup failed: {err}");
                }
                drop(store);
                std::thread::sleep(DAILY_BACKUP_CHECK);
            }
        })?;
        Ok(())
    }

    /// Backs the database up now, from a reader: the writer is not held while it runs.
    pub fn backup(&self, kind: BackupKind) -> Result<BackupInfo> {
        self.read(|conn| {
            let version = migrations::found_version(conn)?;
            backup::make(conn, &self.dir, kind, version, self.now())
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer connection, committing on success.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        crate::search::refresh_stale_facets(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on a reader connection from the pool (opening one when none is idle).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connection::open(&self.db_path, true)?,
        };
        let value = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        value
    }

    /// Whether this open ran `quick_check` (the last close was not clean, the file changed
    /// since, or the last check is a week old).
    pub fn checked_at_open(&self) -> bool {
        self.checked_at_open
    }

    /// Records that the store is closing cleanly, so the next open may skip `quick_check`: the
    /// write-ahead log is folded into the file first, and a write after this (or a crash) only
    /// makes the next open check again. Runs on drop; the app calls it on exit, where the
    /// process ends without dropping what it holds.
    pub fn record_clean_close(&self) {
        let folded = lock(&self.writer)
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
        match folded {
            // 0: not blocked by a reader; a blocked checkpoint leaves the log for the next open.
            Ok(0) => {
                if let Err(err) = clean_close::record(&self.dir, &self.db_path, self.checked_at) {
                    tracing::warn!("could not record a clean close: {err}");
                }
            }
            Ok(_) => tracing::info!("the write-ahead log is in use: no clean close recorded"),
            Err(err) => tracing::warn!("could not fold the write-ahead log: {err}"),
        }
    }

    /// Verifies the database file; "ok" when sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.record_clean_close();
    }
}

/// SQLite's fast structural check of every page; a damaged database fails it or errors out.
fn quick_check(conn: &Connection) -> Result<()> {
    let first: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if first == "ok" {
        return Ok(());
    }
    Err(Error::DatabaseDamaged { path: PathBuf::new(), detail: one_line(&first) })
}

/// SQLite's report names every broken page on a line of its own; the person needs one line.
fn one_line(report: &str) -> String {
    let problems: Vec<&str> =
        report.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("***")).collect();
    match problems.as_slice() {
        [] => report.trim().to_owned(),
        [only] => (*only).to_owned(),
        [first, rest @ ..] => format!("{first}, and {} more problems", rest.len()),
    }
}

/// Creates the data folder (and its parents) readable by its owner only, as SSH does for
/// `~/.ssh`: it holds the cases, the PAKS token file and the server key. An existing folder keeps
/// its mode: the user may have chosen it.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::DataDir { path: dir.to_owned(), source })
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled its work back.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
