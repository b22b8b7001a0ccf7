//! How every connection to the store is opened.

use std::path::Path;

use durable_sqlite::Access;
use rusqlite::Connection;

use crate::error::{Error, Result};

/// Opens `path` as every connection to the store is opened (`durable_sqlite`: WAL,
/// `synchronous = FULL`, foreign keys), with the file's path in the errors about it.
pub fn open(path: &Path, read_only: bool) -> Result<Connection> {
    let access = if read_only { Access::ReadOnly } else { Access::ReadWrite };
    let conn = durable_sqlite::open(path, access).map_err(|err| with_path(err, path))?;
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
