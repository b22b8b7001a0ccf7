//! The local store: one SQLite file, one writer connection and a small pool of readers.

mod connection;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

pub use connection::open as open_connection;

/// Environment variable that overrides where the data folder is (tests use a temporary one).
pub const DATA_DIR_ENV: &str = "PAKS_DESK_DATA_DIR";
const DB_FILE: &str = "paks-desk.sqlite3";
const MAX_IDLE_READERS: usize = 4;

pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    clock: Arc<dyn Clock>,
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

    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|source| Error::DataDir { path: dir.to_owned(), source })?;
        let db_path = dir.join(DB_FILE);
        let mut writer = connection::open(&db_path, false)?;
        migrations::apply(&mut writer).map_err(|err| match err {
            Error::Database(err) => connection::with_path(err, &db_path),
            Error::NotADatabase { .. } => Error::NotADatabase { path: db_path.clone() },
            other => other,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            db_path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            clock,
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

    /// Verifies the database file; "ok" when sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?))
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled its work back.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
