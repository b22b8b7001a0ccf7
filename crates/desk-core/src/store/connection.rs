//! How every connection to the store is opened.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens `path` with the pragmas every connection needs.
///
/// `synchronous = FULL` (not the usual WAL + NORMAL): with NORMAL a commit survives a crash of the
/// app but can be lost on a power cut, and a focal point's laptop on a shared office supply is
/// exactly where that happens. FULL fsyncs the WAL on every commit; one field is one commit.
pub fn open(path: &Path, read_only: bool) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|err| with_path(err, path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let setup = if read_only {
        "PRAGMA foreign_keys = ON;"
    } else {
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
    };
    conn.execute_batch(setup).map_err(|err| with_path(err, path))?;
    if !read_only && conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(Error::ReadOnly { path: path.to_owned() });
    }
    Ok(conn)
}

/// Puts the file's path into the errors that are about the file.
pub fn with_path(err: rusqlite::Error, path: &Path) -> Error {
    match Error::from(err) {
        Error::NotADatabase { .. } => Error::NotADatabase { path: path.to_owned() },
        Error::ReadOnly { .. } => Error::ReadOnly { path: path.to_owned() },
        Error::DatabaseDamaged { detail, .. } => {
            Error::DatabaseDamaged { path: path.to_owned(), detail }
        }
        Error::Database(err)
            if err.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) =>
        {
            Error::ReadOnly { path: path.to_owned() }
        }
        other => other,
    }
}
