//! Append-only migrations of `outbox.sqlite3`. Never edit one that has shipped; add another.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::error::Result;

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL,
        case_uid TEXT NOT NULL,
        case_version INTEGER NOT NULL,
        -- Chosen before the first try and never changed: every retry sends the same key.
        idempotency_key TEXT NOT NULL UNIQUE,
        -- The frozen SubmissionRequest case document (canonical JSON) as it will be sent.
        document TEXT NOT NULL,
        state TEXT NOT NULL,
        phase TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_code TEXT,
        next_attempt_at INTEGER NOT NULL,
        submission_id TEXT,
        receipt TEXT,
        review_state TEXT,
        review_comment TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (case_uid, case_version)
    ) STRICT;
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        submission_job INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        upload_url TEXT,
        bytes_confirmed INTEGER NOT NULL DEFAULT 0,
        chunk_size INTEGER,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_code TEXT,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (submission_job, position)
    ) STRICT;
    CREATE INDEX uploads_by_submission ON uploads (submission_job);",
    ),
    M::up(
        "CREATE TABLE hand_carried (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL,
        case_uid TEXT NOT NULL,
        case_version INTEGER NOT NULL,
        -- The Idempotency-Key written in the bag's bag-info.txt.
        idempotency_key TEXT NOT NULL,
        -- SHA-256 of the canonical case document the bag holds.
        case_sha256 TEXT NOT NULL,
        exported_at INTEGER NOT NULL,
        -- Lookups of the receipt that found nothing yet, and when to ask PAKS again.
        checks INTEGER NOT NULL DEFAULT 0,
        next_check_at INTEGER NOT NULL,
        last_error TEXT,
        -- Set once PAKS's receipt for this case version is found and taken in.
        submission_id TEXT,
        receipt TEXT,
        outcome TEXT,
        matched_at INTEGER,
        UNIQUE (case_uid, case_version)
    ) STRICT;",
    ),
    // `post_sent`: the case's POST went out at least once (until then PAKS cannot have it).
    // `post_unanswered`: a POST went without a clear answer (a cut, a timeout, a 5xx), so PAKS
    // may hold the case whatever a later answer says. A job carried forward past its uploads
    // may have posted either way, so it counts as both.
    M::up(
        "ALTER TABLE submissions ADD COLUMN post_sent INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE submissions ADD COLUMN post_unanswered INTEGER NOT NULL DEFAULT 0;
         UPDATE submissions SET post_sent = 1, post_unanswered = 1 WHERE phase != 'upload';",
    ),
    // The parameters of `last_error_code` (JSON), so the UI can word the error in its language.
    M::up(
        "ALTER TABLE submissions ADD COLUMN last_error_params TEXT;
         ALTER TABLE uploads ADD COLUMN last_error_params TEXT;",
    ),
];

pub fn apply(conn: &mut Connection) -> Result<()> {
    Migrations::from_slice(MIGRATIONS).to_latest(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(rusqlite_migration::Migrations::from_slice(super::MIGRATIONS).validate().is_ok());
    }

    #[test]
    fn an_outbox_of_the_first_release_is_carried_forward_with_its_jobs() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let first = rusqlite_migration::Migrations::from_slice(&super::MIGRATIONS[..1]);
        first.to_latest(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO submissions (case_id, case_uid, case_version, idempotency_key, document,
               state, phase, next_attempt_at, created_at, updated_at)
             VALUES (1, 'u', 1, 'k', '{}', 'queued', 'upload', 0, 0, 0),
                    (2, 'v', 1, 'l', '{}', 'waiting_network', 'submit', 0, 0, 0)",
            [],
        )
        .unwrap();
        super::apply(&mut conn).unwrap();
        let kept: i64 =
            conn.query_row("SELECT count(*) FROM submissions", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, 2);
        let carried: i64 =
            conn.query_row("SELECT count(*) FROM hand_carried", [], |r| r.get(0)).unwrap();
        assert_eq!(carried, 0);
        let flags = |case: i64| -> (i64, i64) {
            conn.query_row(
                "SELECT post_sent, post_unanswered FROM submissions WHERE case_id = ?1",
                [case],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(flags(1), (0, 0), "still uploading: never posted");
        assert_eq!(flags(2), (1, 1), "past its uploads: it may have posted, unanswered");
    }
}
