//! Embedded, append-only migrations. Never edit a released entry: add a new one.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};

const STEPS: &[&str] = &[
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_attachments_search.sql"),
    include_str!("../../migrations/0003_rejected_status.sql"),
    include_str!("../../migrations/0004_library.sql"),
    include_str!("../../migrations/0005_page_readings.sql"),
    include_str!("../../migrations/0006_search_facets.sql"),
    include_str!("../../migrations/0007_whole_documents.sql"),
];

fn migrations() -> Migrations<'static> {
    // Each step checks the foreign keys it may have broken: they are off while migrating.
    Migrations::new(STEPS.iter().map(|sql| M::up(sql).foreign_key_check()).collect())
}

/// The schema version this build writes.
pub fn latest_version() -> usize {
    STEPS.len()
}

/// The schema version `conn`'s database is at (0 when new).
pub fn found_version(conn: &Connection) -> Result<u32> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok(if found < 0 { 0 } else { u32::try_from(found).unwrap_or(u32::MAX) })
}

/// Brings `conn` up to date, refusing a database written by a newer app before touching it.
pub fn apply(conn: &mut Connection) -> Result<()> {
    let found = usize::try_from(found_version(conn)?).unwrap_or(usize::MAX);
    if found > latest_version() {
        return Err(Error::DatabaseTooNew { found, supported: latest_version() });
    }
    // A step that rebuilds a table (to widen a CHECK) drops the old one, which with foreign
    // keys on would delete or refuse its children's parents (SQLite's ALTER TABLE procedure).
    conn.pragma_update(None, "foreign_keys", false)?;
    let migrated = migrations().to_latest(conn);
    conn.pragma_update(None, "foreign_keys", true)?;
    migrated.map_err(|err| match err {
        rusqlite_migration::Error::RusqliteError { err, .. } => Error::from(err),
        other => Error::Migration(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("every migration applies in order");
    }

    #[test]
    fn empty_database_gets_the_full_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version as usize, latest_version());

        let mut stmt = conn
            .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        let tables: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        for wanted in ["cases", "goal_links", "profile", "revisions", "settings"] {
            assert!(names.contains(&wanted), "table {wanted} missing from {names:?}");
        }
        // FTS5 virtual tables and their shadow tables cannot be STRICT.
        let virtual_tables: Vec<&str> = tables
            .iter()
            .filter(|(_, sql)| sql.starts_with("CREATE VIRTUAL TABLE"))
            .map(|(name, _)| name.as_str())
            .collect();
        for (name, sql) in &tables {
            let is_fts = virtual_tables.iter().any(|v| name.starts_with(v));
            if !name.starts_with("sqlite_") && !is_fts {
                assert!(sql.trim_end().ends_with("STRICT"), "table {name} must be STRICT");
            }
        }
    }

    #[test]
    fn widening_the_case_status_keeps_every_case_and_what_hangs_off_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        migrations().to_version(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO cases (id, uid, status, title, created_at, updated_at) \
             VALUES (7, 'u-1', 'submitted', 'Kept', 1, 2); \
             INSERT INTO goal_links (case_id, framework, target, note, created_at) \
             VALUES (7, 'mdg', '8.F', 'n', 3); \
             INSERT INTO revisions (case_id, kind, snapshot, chars, created_at, updated_at) \
             VALUES (7, 'checkpoint', '{}', 2, 3, 3);",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys are on again");
        conn.execute("UPDATE cases SET status = 'rejected' WHERE id = 7", []).unwrap();
        let (title, links): (String, i64) = conn
            .query_row(
                "SELECT title, (SELECT count(*) FROM goal_links WHERE case_id = 7) FROM cases \
                 WHERE id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((title.as_str(), links), ("Kept", 1));
        conn.execute("DELETE FROM cases WHERE id = 7", []).unwrap();
        let left: i64 = conn.query_row("SELECT count(*) FROM revisions", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 0, "the children still cascade from the rebuilt table");
        conn.execute("INSERT INTO cases (uid, created_at, updated_at) VALUES ('u-2', 1, 1)", [])
            .unwrap();
        assert!(conn.execute("UPDATE cases SET status = 'lost'", []).is_err(), "still checked");
    }

    #[test]
    fn applying_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version as usize, latest_version());
    }

    #[test]
    fn newer_database_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE future (x TEXT) STRICT; PRAGMA user_version = 999;")
            .unwrap();
        let err = apply(&mut conn).unwrap_err();
        assert!(matches!(err, Error::DatabaseTooNew { found: 999, .. }), "{err:?}");
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "nothing may be created in a newer database");
    }
}
