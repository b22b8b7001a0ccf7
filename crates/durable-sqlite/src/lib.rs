//! How every SQLite database of PAKS Desk and the reference server is opened: the desk's case
//! store, its outbox and the server's metadata store. One place, so that what makes a commit
//! survive a power cut cannot drift apart between them.
//!
//! `synchronous = FULL`, not WAL's usual NORMAL: with NORMAL a commit survives a crash of the
//! process but can be lost on a power cut — a saved field, a job recorded as sent, a receipt PAKS
//! signed. FULL fsyncs the WAL at every commit.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How long a statement waits for another connection's lock before it fails as busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Creates the file if missing; WAL, `synchronous = FULL`.
    ReadWrite,
    /// Never writes, never creates.
    ReadOnly,
}

/// Opens `path` and sets what every connection needs (see [`configure`]).
pub fn open(path: &Path, access: Access) -> rusqlite::Result<Connection> {
    let flags = match access {
        Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, access)?;
    Ok(conn)
}

/// The busy timeout and pragmas, on a connection already open (in memory, say).
pub fn configure(conn: &Connection, access: Access) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(match access {
        Access::ReadWrite => {
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
        }
        Access::ReadOnly => "PRAGMA foreign_keys = ON;",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|value| match value {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(text) => text,
                other => format!("{other:?}"),
            })
            .unwrap()
    }

    #[test]
    fn a_writer_is_wal_with_full_sync_and_foreign_keys_and_a_reader_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("durable.sqlite3");
        let writer = open(&path, Access::ReadWrite).unwrap();
        assert_eq!(pragma(&writer, "journal_mode"), "wal");
        assert_eq!(pragma(&writer, "synchronous"), "2", "FULL");
        assert_eq!(pragma(&writer, "foreign_keys"), "1");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1);")
            .unwrap();

        let reader = open(&path, Access::ReadOnly).unwrap();
        assert_eq!(pragma(&reader, "foreign_keys"), "1");
        assert!(reader.execute("INSERT INTO t VALUES (2)", []).is_err());
        assert!(open(&dir.path().join("missing.sqlite3"), Access::ReadOnly).is_err());
    }
}
