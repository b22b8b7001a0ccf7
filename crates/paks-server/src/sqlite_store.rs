use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use paks_protocol::{Receipt, SubmissionState};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{
    AuditEntry, CaseQuery, DeskRelease, FeedEntry, FeedPage, FeedQuery, FocalPoint,
    IdempotencyClaim, IdempotencyLease, MetadataStore, NewFocalPoint, Reviewer,
    ReviewerCredentials, ReviewerSession, StoredFile, SubmissionRecord,
};

/// Append-only: never edit a shipped migration, add a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/001_initial.sql")),
    M::up(include_str!("../migrations/002_idempotency_leases.sql")),
    M::up(include_str!("../migrations/003_public_feed.sql")),
    M::up(include_str!("../migrations/004_desk_releases.sql")),
    M::up(include_str!("../migrations/005_reviewers_console.sql")).foreign_key_check(),
    M::up(include_str!("../migrations/006_case_events.sql")),
];

/// How long a record that an upload was deleted is kept: long enough that no submission that
/// read the upload before it was deleted is still being processed.
const DELETED_UPLOAD_MEMORY_SECS: i64 = 24 * 3600;

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// `MetadataStore` on one SQLite file (WAL), the default for a single machine.
pub struct SqliteMetadataStore {
    conn: Mutex<Connection>,
    /// The database file; `None` in memory.
    path: Option<PathBuf>,
}

/// Foreign keys are off while migrating: a migration that rebuilds a table (to change a CHECK)
/// drops the old one, which would otherwise delete its referenced rows' parents. Such a
/// migration checks the keys itself (`foreign_key_check`) before it commits.
fn migrate(conn: &mut Connection) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", false)?;
    let migrated = migrations().to_latest(conn);
    conn.pragma_update(None, "foreign_keys", true)?;
    migrated?;
    Ok(())
}

fn reviewer_row(row: &Row<'_>) -> rusqlite::Result<Reviewer> {
    Ok(Reviewer {
        id: row.get("id")?,
        email: row.get("email")?,
        created_at: row.get("created_at")?,
        failed_sign_ins: row.get("failed_sign_ins")?,
        locked_until: row.get("locked_until")?,
    })
}

fn audit_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        at: row.get("at")?,
        actor: row.get("actor")?,
        submission_id: uuid_col(row, "submission_id")?,
        action: row.get("action")?,
        comment: row.get("comment")?,
    })
}

fn uuid_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn opt_uuid_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s)).transpose().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn focal_point_row(row: &Row<'_>) -> rusqlite::Result<FocalPoint> {
    Ok(FocalPoint {
        id: row.get("id")?,
        country: row.get("country")?,
        name: row.get("name")?,
        email: row.get("email")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

const SUBMISSION_COLUMNS: &str = "s.id, s.case_uid, s.version, s.replaces, s.focal_point_id, \
    s.country, s.title, s.case_json, s.case_sha256, s.received_at, s.state, s.reviewer_comment, \
    s.updated_at, s.published_at, s.withdrawn_at, s.receipt_json, \
    (SELECT r.id FROM submissions r WHERE r.replaces = s.id) AS replaced_by";

/// An `idempotency_keys` row as a claim reads it.
struct KeyRow {
    request_sha256: String,
    /// Status and body, once answered.
    answer: Option<(i64, String)>,
    lease_expires_at: Option<i64>,
}

struct SubmissionRow {
    record: SubmissionRecord,
    receipt_json: String,
}

fn submission_row(row: &Row<'_>) -> rusqlite::Result<SubmissionRow> {
    let state: String = row.get("state")?;
    let state = SubmissionState::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown state {state}").into(),
        )
    })?;
    let placeholder = Receipt {
        receipt_version: 0,
        server_name: String::new(),
        submission_id: Uuid::nil(),
        case_uid: Uuid::nil(),
        version: 0,
        replaces: None,
        country: String::new(),
        received_at: String::new(),
        case_sha256: String::new(),
        files: Vec::new(),
        key_id: String::new(),
        signature: String::new(),
    };
    Ok(SubmissionRow {
        record: SubmissionRecord {
            id: uuid_col(row, "id")?,
            case_uid: uuid_col(row, "case_uid")?,
            version: row.get("version")?,
            replaces: opt_uuid_col(row, "replaces")?,
            replaced_by: opt_uuid_col(row, "replaced_by")?,
            focal_point_id: row.get("focal_point_id")?,
            country: row.get("country")?,
            title: row.get("title")?,
            case_json: row.get("case_json")?,
            case_sha256: row.get("case_sha256")?,
            received_at: row.get("received_at")?,
            state,
            reviewer_comment: row.get("reviewer_comment")?,
            updated_at: row.get("updated_at")?,
            published_at: row.get("published_at")?,
            withdrawn_at: row.get("withdrawn_at")?,
            receipt: placeholder,
            mdg_targets: Vec::new(),
            files: Vec::new(),
        },
        receipt_json: row.get("receipt_json")?,
    })
}

impl SqliteMetadataStore {
    pub fn open(path: &Path) -> Result<Self> {
        // A receipt is sent once its submission commits: that commit must survive a power cut,
        // or PAKS would deny a receipt it signed (`durable_sqlite`: WAL, synchronous = FULL).
        let mut conn = durable_sqlite::open(path, durable_sqlite::Access::ReadWrite)?;
        migrate(&mut conn)?;
        Ok(Self { conn: Mutex::new(conn), path: Some(path.to_owned()) })
    }

    pub fn open_in_memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory()?;
        durable_sqlite::configure(&conn, durable_sqlite::Access::ReadWrite)?;
        migrate(&mut conn)?;
        Ok(Self { conn: Mutex::new(conn), path: None })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll
        // back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn complete(conn: &Connection, row: SubmissionRow) -> Result<SubmissionRecord> {
        let mut record = row.record;
        record.receipt = serde_json::from_str(&row.receipt_json)?;
        let id = record.id.to_string();
        let mut stmt = conn.prepare_cached(
            "SELECT target FROM submission_mdg_targets WHERE submission_id = ?1 ORDER BY target",
        )?;
        record.mdg_targets =
            stmt.query_map([&id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare_cached(
            "SELECT upload_id, name, media_type, size, sha256 FROM submission_files \
             WHERE submission_id = ?1 ORDER BY position",
        )?;
        record.files = stmt
            .query_map([&id], |r| {
                Ok(StoredFile {
                    upload_id: uuid_col(r, "upload_id")?,
                    name: r.get("name")?,
                    media_type: r.get("media_type")?,
                    size: r.get::<_, i64>("size")? as u64,
                    sha256: r.get("sha256")?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(record)
    }

    fn feed_entries(
        conn: &Connection,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<FeedEntry>> {
        let rows: Vec<(i64, i64, bool, SubmissionRow)> = conn
            .prepare_cached(sql)?
            .query_map(params, |r| {
                Ok((r.get("seq")?, r.get("changed_at")?, r.get("withdrawn")?, submission_row(r)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(seq, changed_at, withdrawn, row)| {
                let seq = seq as u64;
                Ok(FeedEntry { seq, changed_at, withdrawn, submission: Self::complete(conn, row)? })
            })
            .collect()
    }

    /// The case's feed entry as it stands: (submission id, withdrawn).
    fn feed_row(tx: &Connection, case_uid: &str) -> Result<Option<(String, bool)>> {
        Ok(tx
            .query_row(
                "SELECT submission_id, withdrawn FROM public_feed WHERE case_uid = ?1",
                [case_uid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Writes the case's feed entry with the next `seq`. Called inside the write transaction
    /// that makes the change, so `seq` order is commit order.
    fn advance_feed(
        tx: &Connection,
        case_uid: &str,
        submission_id: &str,
        withdrawn: bool,
        at: &str,
    ) -> Result<()> {
        let changed_at = crate::clock::parse_rfc3339(at)?.unix_timestamp();
        tx.execute(
            "INSERT INTO public_feed (case_uid, seq, submission_id, withdrawn, changed_at) \
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM public_feed), ?2, ?3, ?4) \
             ON CONFLICT (case_uid) DO UPDATE SET seq = excluded.seq, \
             submission_id = excluded.submission_id, withdrawn = excluded.withdrawn, \
             changed_at = excluded.changed_at",
            params![case_uid, submission_id, withdrawn, changed_at],
        )?;
        Ok(())
    }

    fn query_submissions(
        conn: &Connection,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<SubmissionRecord>> {
        let rows: Vec<SubmissionRow> = conn
            .prepare(sql)?
            .query_map(params, submission_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|r| Self::complete(conn, r)).collect()
    }
}

impl MetadataStore for SqliteMetadataStore {
    fn ping(&self) -> Result<()> {
        let schema_rows = "SELECT count(*) FROM sqlite_schema";
        self.conn().query_row(schema_rows, [], |row| row.get::<_, i64>(0))?;
        // The open connection keeps reading a file that was moved away, deleted or that the
        // server could no longer open (permissions, a volume gone): a new one cannot.
        if let Some(path) = &self.path {
            let fresh = durable_sqlite::open(path, durable_sqlite::Access::ReadOnly)?;
            fresh.query_row(schema_rows, [], |row| row.get::<_, i64>(0))?;
        }
        Ok(())
    }

    fn add_focal_point(&self, new: &NewFocalPoint, token_sha256: &str) -> Result<FocalPoint> {
        let conn = self.conn();
        let now = crate::clock::rfc3339(crate::clock::now())?;
        conn.execute(
            "INSERT INTO focal_points (country, name, email, token_sha256, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![new.country, new.name, new.email, token_sha256, now, new.expires_at],
        )?;
        let id = conn.last_insert_rowid();
        Ok(conn.query_row("SELECT * FROM focal_points WHERE id = ?1", [id], focal_point_row)?)
    }

    fn focal_points(&self) -> Result<Vec<FocalPoint>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT * FROM focal_points ORDER BY id")?;
        let rows = stmt.query_map([], focal_point_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn focal_point_by_token(&self, token_sha256: &str) -> Result<Option<FocalPoint>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM focal_points WHERE token_sha256 = ?1")?;
        Ok(stmt.query_row([token_sha256], focal_point_row).optional()?)
    }

    fn revoke_focal_point(&self, id: i64, at: &str) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE focal_points SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![id, at],
        )?;
        Ok(n == 1)
    }

    fn claim_idempotency_key(
        &self,
        focal_point_id: i64,
        key: &str,
        request_sha256: &str,
        now: i64,
        lease_expires_at: i64,
    ) -> Result<IdempotencyClaim> {
        let created_at = crate::clock::rfc3339(crate::clock::from_unix(now)?)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<KeyRow> = tx
            .query_row(
                "SELECT request_sha256, response_status, response_body, lease_expires_at \
                 FROM idempotency_keys WHERE focal_point_id = ?1 AND key = ?2",
                params![focal_point_id, key],
                |r| {
                    let answer = match (r.get(1)?, r.get(2)?) {
                        (Some(status), Some(body)) => Some((status, body)),
                        _ => None,
                    };
                    Ok(KeyRow { request_sha256: r.get(0)?, answer, lease_expires_at: r.get(3)? })
                },
            )
            .optional()?;
        let claim = match existing {
            Some(KeyRow { request_sha256: hash, answer: Some((status, body)), .. }) => {
                if hash == request_sha256 {
                    IdempotencyClaim::Completed { status: status as u16, body }
                } else {
                    IdempotencyClaim::BodyMismatch
                }
            }
            Some(KeyRow { request_sha256: hash, answer: None, lease_expires_at: Some(until) })
                if until > now =>
            {
                if hash == request_sha256 {
                    IdempotencyClaim::InProgress
                } else {
                    IdempotencyClaim::BodyMismatch
                }
            }
            _ => {
                let lease =
                    IdempotencyLease { focal_point_id, key: key.to_owned(), token: Uuid::new_v4() };
                tx.execute(
                    "INSERT INTO idempotency_keys (focal_point_id, key, request_sha256, \
                     created_at, lease_token, lease_expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (focal_point_id, key) DO UPDATE SET \
                     request_sha256 = excluded.request_sha256, created_at = excluded.created_at, \
                     lease_token = excluded.lease_token, \
                     lease_expires_at = excluded.lease_expires_at",
                    params![
                        focal_point_id,
                        key,
                        request_sha256,
                        created_at,
                        lease.token.to_string(),
                        lease_expires_at
                    ],
                )?;
                IdempotencyClaim::Claimed(lease)
            }
        };
        tx.commit()?;
        Ok(claim)
    }

    fn renew_idempotency_lease(&self, lease: &IdempotencyLease, expires_at: i64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE idempotency_keys SET lease_expires_at = ?4 WHERE focal_point_id = ?1 \
             AND key = ?2 AND lease_token = ?3 AND response_status IS NULL",
            params![lease.focal_point_id, lease.key, lease.token.to_string(), expires_at],
        )?;
        Ok(n == 1)
    }

    fn idempotency_key_exists(&self, focal_point_id: i64, key: &str) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE focal_point_id = ?1 AND key = ?2)",
            params![focal_point_id, key],
            |r| r.get(0),
        )?)
    }

    fn release_idempotency_key(&self, lease: &IdempotencyLease) -> Result<()> {
        self.conn().execute(
            "DELETE FROM idempotency_keys WHERE focal_point_id = ?1 AND key = ?2 \
             AND lease_token = ?3 AND response_status IS NULL",
            params![lease.focal_point_id, lease.key, lease.token.to_string()],
        )?;
        Ok(())
    }

    fn release_unanswered_idempotency_keys(&self) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM idempotency_keys WHERE response_status IS NULL", [])?)
    }

    fn insert_submission(
        &self,
        r: &SubmissionRecord,
        lease: &IdempotencyLease,
        response_status: u16,
        response_body: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM submissions WHERE case_uid = ?1 AND version = ?2)",
            params![r.case_uid.to_string(), r.version],
            |row| row.get(0),
        )?;
        if exists {
            return Err(Error::Conflict(format!(
                "version {} of case {} was already submitted",
                r.version, r.case_uid
            )));
        }
        let replaced_taken: bool = match r.replaces {
            Some(old) => tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM submissions WHERE replaces = ?1)",
                [old.to_string()],
                |row| row.get(0),
            )?,
            None => false,
        };
        if replaced_taken {
            return Err(Error::Conflict("that submission was already replaced".into()));
        }
        for f in &r.files {
            let deleted: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM deleted_uploads WHERE upload_id = ?1)",
                [f.upload_id.to_string()],
                |row| row.get(0),
            )?;
            if deleted {
                return Err(Error::UploadDeleted(f.upload_id));
            }
        }
        tx.execute(
            "INSERT INTO submissions (id, case_uid, version, replaces, focal_point_id, country, \
             title, case_json, case_sha256, received_at, state, reviewer_comment, updated_at, \
             published_at, receipt_json) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                r.id.to_string(),
                r.case_uid.to_string(),
                r.version,
                r.replaces.map(|u| u.to_string()),
                r.focal_point_id,
                r.country,
                r.title,
                r.case_json,
                r.case_sha256,
                r.received_at,
                r.state.as_str(),
                r.reviewer_comment,
                r.updated_at,
                r.published_at,
                serde_json::to_string(&r.receipt)?,
            ],
        )?;
        for target in &r.mdg_targets {
            tx.execute(
                "INSERT OR IGNORE INTO submission_mdg_targets (submission_id, target) VALUES (?1, ?2)",
                params![r.id.to_string(), target],
            )?;
        }
        for (position, f) in r.files.iter().enumerate() {
            tx.execute(
                "INSERT INTO submission_files (submission_id, position, upload_id, name, \
                 media_type, size, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    r.id.to_string(),
                    position as i64,
                    f.upload_id.to_string(),
                    f.name,
                    f.media_type,
                    f.size as i64,
                    f.sha256
                ],
            )?;
        }
        let n = tx.execute(
            "UPDATE idempotency_keys SET response_status = ?4, response_body = ?5, \
             lease_token = NULL, lease_expires_at = NULL \
             WHERE focal_point_id = ?1 AND key = ?2 AND lease_token = ?3 \
             AND response_status IS NULL",
            params![
                lease.focal_point_id,
                lease.key,
                lease.token.to_string(),
                response_status,
                response_body
            ],
        )?;
        if n != 1 {
            return Err(Error::LeaseLost);
        }
        tx.commit()?;
        Ok(())
    }

    fn submission(&self, id: Uuid) -> Result<Option<SubmissionRecord>> {
        let conn = self.conn();
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = ?1");
        let row = conn.query_row(&sql, [id.to_string()], submission_row).optional()?;
        row.map(|r| Self::complete(&conn, r)).transpose()
    }

    fn submission_of_version(
        &self,
        case_uid: Uuid,
        version: u32,
    ) -> Result<Option<SubmissionRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.case_uid = ?1 AND s.version = ?2"
        );
        let row = conn
            .query_row(&sql, params![case_uid.to_string(), version], submission_row)
            .optional()?;
        row.map(|r| Self::complete(&conn, r)).transpose()
    }

    fn submissions(&self, state: Option<SubmissionState>) -> Result<Vec<SubmissionRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
             WHERE ?1 IS NULL OR s.state = ?1 ORDER BY s.received_at, s.id"
        );
        Self::query_submissions(&conn, &sql, &[&state.map(|s| s.as_str())])
    }

    fn set_state(
        &self,
        id: Uuid,
        state: SubmissionState,
        comment: Option<&str>,
        at: &str,
        actor: &str,
    ) -> Result<bool> {
        let publishing = state == SubmissionState::Published;
        let id = id.to_string();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let case_uid: Option<String> = tx
            .query_row("SELECT case_uid FROM submissions WHERE id = ?1", [&id], |r| r.get(0))
            .optional()?;
        let Some(case_uid) = case_uid else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE submissions SET state = ?2, reviewer_comment = ?3, updated_at = ?4, \
             published_at = COALESCE(?5, published_at) WHERE id = ?1",
            params![id, state.as_str(), comment, at, publishing.then_some(at)],
        )?;
        tx.execute(
            "INSERT INTO review_audit (at, actor, submission_id, action, comment) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, actor, id, state.as_str(), comment],
        )?;
        if publishing {
            tx.execute(
                "UPDATE submissions SET withdrawn_at = NULL WHERE case_uid = ?1",
                [&case_uid],
            )?;
        }
        let newest: Option<String> = tx
            .query_row(
                "SELECT id FROM submissions WHERE case_uid = ?1 AND state = 'published' \
                 AND withdrawn_at IS NULL ORDER BY version DESC LIMIT 1",
                [&case_uid],
                |r| r.get(0),
            )
            .optional()?;
        match (newest, Self::feed_row(&tx, &case_uid)?) {
            // Published again: its published_at, part of the feed's document, changed.
            (Some(newest), _) if publishing && newest == id => {
                Self::advance_feed(&tx, &case_uid, &newest, false, at)?
            }
            (Some(newest), Some((shown, false))) if newest == shown => {}
            (Some(newest), _) => Self::advance_feed(&tx, &case_uid, &newest, false, at)?,
            (None, Some((shown, false))) => Self::advance_feed(&tx, &case_uid, &shown, true, at)?,
            (None, _) => {}
        }
        tx.commit()?;
        Ok(true)
    }

    fn review_audit(&self, submission: Option<Uuid>) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT at, actor, submission_id, action, comment FROM review_audit \
             WHERE ?1 IS NULL OR submission_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([submission.map(|s| s.to_string())], audit_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn add_reviewer(&self, email: &str, password_hash: &str, at: &str) -> Result<Reviewer> {
        let conn = self.conn();
        let added = conn.execute(
            "INSERT INTO reviewers (email, password_hash, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (email) DO NOTHING",
            params![email, password_hash, at],
        )?;
        if added == 0 {
            return Err(Error::Conflict(format!("a reviewer {email} exists already")));
        }
        let id = conn.last_insert_rowid();
        Ok(conn.query_row("SELECT * FROM reviewers WHERE id = ?1", [id], reviewer_row)?)
    }

    fn reviewers(&self) -> Result<Vec<Reviewer>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT * FROM reviewers ORDER BY email")?;
        let rows = stmt.query_map([], reviewer_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn remove_reviewer(&self, email: &str) -> Result<bool> {
        Ok(self.conn().execute("DELETE FROM reviewers WHERE email = ?1", [email])? == 1)
    }

    fn reviewer_credentials(&self, email: &str) -> Result<Option<ReviewerCredentials>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM reviewers WHERE email = ?1")?;
        Ok(stmt
            .query_row([email], |r| {
                Ok(ReviewerCredentials {
                    reviewer: reviewer_row(r)?,
                    password_hash: r.get("password_hash")?,
                })
            })
            .optional()?)
    }

    fn record_failed_sign_in(
        &self,
        reviewer_id: i64,
        max_failures: u32,
        lock_until: i64,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE reviewers SET \
             locked_until = CASE WHEN failed_sign_ins + 1 >= ?2 THEN ?3 ELSE locked_until END, \
             failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= ?2 THEN 0 \
                 ELSE failed_sign_ins + 1 END \
             WHERE id = ?1",
            params![reviewer_id, max_failures, lock_until],
        )?;
        Ok(())
    }

    fn open_reviewer_session(&self, s: &ReviewerSession) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE reviewers SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?1",
            [s.reviewer_id],
        )?;
        tx.execute(
            "INSERT INTO reviewer_sessions (token_sha256, reviewer_id, csrf_token, created_at, \
             last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.token_sha256, s.reviewer_id, s.csrf_token, s.created_at, s.last_seen_at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reviewer_session(&self, token_sha256: &str) -> Result<Option<ReviewerSession>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.token_sha256, s.reviewer_id, r.email, s.csrf_token, s.created_at, \
             s.last_seen_at FROM reviewer_sessions s JOIN reviewers r ON r.id = s.reviewer_id \
             WHERE s.token_sha256 = ?1",
        )?;
        Ok(stmt
            .query_row([token_sha256], |r| {
                Ok(ReviewerSession {
                    token_sha256: r.get(0)?,
                    reviewer_id: r.get(1)?,
                    reviewer_email: r.get(2)?,
                    csrf_token: r.get(3)?,
                    created_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    fn touch_reviewer_session(&self, token_sha256: &str, now: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE reviewer_sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
            params![token_sha256, now],
        )?;
        Ok(())
    }

    fn delete_reviewer_session(&self, token_sha256: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM reviewer_sessions WHERE token_sha256 = ?1", [token_sha256])?;
        Ok(())
    }

    fn withdraw_case(&self, case_uid: Uuid, at: &str) -> Result<bool> {
        let case_uid = case_uid.to_string();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let shown = match Self::feed_row(&tx, &case_uid)? {
            None => return Err(Error::NotFound(format!("published case {case_uid}"))),
            Some((_, true)) => return Ok(false),
            Some((shown, false)) => shown,
        };
        tx.execute(
            "UPDATE submissions SET withdrawn_at = ?2 WHERE case_uid = ?1",
            params![case_uid, at],
        )?;
        Self::advance_feed(&tx, &case_uid, &shown, true, at)?;
        tx.commit()?;
        Ok(true)
    }

    fn set_case_event(
        &self,
        case_uid: Uuid,
        event: Option<&str>,
        at: &str,
        actor: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let uid = case_uid.to_string();
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM submissions WHERE case_uid = ?1)",
            [&uid],
            |r| r.get(0),
        )?;
        if !known {
            return Err(Error::NotFound(format!("case {case_uid}")));
        }
        match event {
            Some(event) => tx.execute(
                "INSERT INTO case_events (case_uid, event, set_at, set_by) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (case_uid) DO UPDATE SET event = excluded.event, \
                 set_at = excluded.set_at, set_by = excluded.set_by",
                params![uid, event, at, actor],
            )?,
            None => tx.execute("DELETE FROM case_events WHERE case_uid = ?1", [&uid])?,
        };
        tx.commit()?;
        Ok(())
    }

    fn case_events(&self) -> Result<Vec<(Uuid, String)>> {
        let conn = self.conn();
        let rows: Vec<(String, String)> = conn
            .prepare("SELECT case_uid, event FROM case_events ORDER BY event, case_uid")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(uid, event)| {
                let uid = Uuid::parse_str(&uid)
                    .map_err(|e| Error::Database(format!("case_events: case uid {uid:?}: {e}")))?;
                Ok((uid, event))
            })
            .collect()
    }

    fn public_feed(&self, q: &FeedQuery) -> Result<FeedPage> {
        let mut conn = self.conn();
        // One snapshot for the head, the count and the page.
        let tx = conn.transaction()?;
        let head: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM public_feed", [], |r| r.get(0))?;
        let filter = "FROM public_feed f JOIN submissions s ON s.id = f.submission_id \
             WHERE f.seq > ?1 \
             AND (?2 IS NULL OR f.changed_at >= ?2) AND (?3 IS NULL OR f.changed_at <= ?3) \
             AND (?4 IS NULL OR s.country = ?4) \
             AND (?5 IS NULL OR EXISTS (SELECT 1 FROM submission_mdg_targets t \
                 WHERE t.submission_id = s.id AND t.target LIKE ?5 || '.%')) \
             AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(s.case_json, '$.sdg_links') l \
                 WHERE json_extract(l.value, '$.target') LIKE ?6 || '.%'))";
        let mdg = q.mdg_goal.map(|g| g.to_string());
        let sdg = q.sdg_goal.map(|g| g.to_string());
        let after_seq = i64::try_from(q.after_seq).unwrap_or(i64::MAX);
        let params: [&dyn rusqlite::ToSql; 7] =
            [&after_seq, &q.changed_from, &q.changed_until, &q.country, &mdg, &sdg, &q.limit];
        let remaining: i64 =
            tx.query_row(&format!("SELECT COUNT(*) {filter}"), &params[..6], |r| r.get(0))?;
        let entries = if q.limit == 0 || remaining == 0 {
            Vec::new()
        } else {
            let sql = format!(
                "SELECT f.seq, f.changed_at, f.withdrawn, {SUBMISSION_COLUMNS} {filter} \
                 ORDER BY f.seq LIMIT ?7"
            );
            Self::feed_entries(&tx, &sql, &params)?
        };
        tx.commit()?;
        Ok(FeedPage { head: head as u64, remaining: remaining as u64, entries })
    }

    fn public_feed_countries(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT s.country FROM public_feed f JOIN submissions s \
             ON s.id = f.submission_id ORDER BY s.country",
        )?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    fn public_feed_entry(&self, case_uid: Uuid) -> Result<Option<FeedEntry>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT f.seq, f.changed_at, f.withdrawn, {SUBMISSION_COLUMNS} \
             FROM public_feed f JOIN submissions s ON s.id = f.submission_id \
             WHERE f.case_uid = ?1"
        );
        Ok(Self::feed_entries(&conn, &sql, &[&case_uid.to_string()])?.into_iter().next())
    }

    fn published(&self, q: &CaseQuery) -> Result<(u64, Vec<SubmissionRecord>)> {
        let conn = self.conn();
        let pattern = q.text.as_ref().map(|t| {
            let escaped = t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let filter = "FROM submissions s WHERE s.state = 'published' AND s.withdrawn_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM submissions n WHERE n.case_uid = s.case_uid \
                 AND n.state = 'published' AND n.version > s.version) \
             AND (?1 IS NULL OR EXISTS (SELECT 1 FROM json_tree(s.case_json) j \
                 WHERE j.type = 'text' AND j.value LIKE ?1 ESCAPE '\\')) \
             AND (?2 IS NULL OR s.country = ?2) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM submission_mdg_targets t \
                 WHERE t.submission_id = s.id AND t.target = ?3))";
        let params: [&dyn rusqlite::ToSql; 5] =
            [&pattern, &q.country, &q.mdg_target, &q.limit, &q.offset];
        let total: i64 =
            conn.query_row(&format!("SELECT COUNT(*) {filter}"), &params[..3], |r| r.get(0))?;
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} {filter} ORDER BY s.published_at DESC, s.id LIMIT ?4 OFFSET ?5"
        );
        let rows = Self::query_submissions(&conn, &sql, &params)?;
        Ok((total as u64, rows))
    }

    fn upload_is_attached(&self, upload_id: Uuid) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM submission_files WHERE upload_id = ?1)",
            [upload_id.to_string()],
            |r| r.get(0),
        )?)
    }

    fn claim_upload_deletion(&self, upload_id: Uuid, now: i64) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = upload_id.to_string();
        let attached: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM submission_files WHERE upload_id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if !attached {
            tx.execute(
                "DELETE FROM deleted_uploads WHERE deleted_at < ?1",
                [now.saturating_sub(DELETED_UPLOAD_MEMORY_SECS)],
            )?;
            tx.execute(
                "INSERT INTO deleted_uploads (upload_id, deleted_at) VALUES (?1, ?2) \
                 ON CONFLICT (upload_id) DO UPDATE SET deleted_at = excluded.deleted_at",
                params![id, now],
            )?;
        }
        tx.commit()?;
        Ok(!attached)
    }

    fn add_desk_release(&self, release: &DeskRelease) -> Result<bool> {
        let r = release;
        let added = self.conn().execute(
            "INSERT INTO desk_releases (target, arch, version, file_name, size, sha256, \
             signature, notes, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (target, arch, version) DO NOTHING",
            params![
                r.target,
                r.arch,
                r.version,
                r.file_name,
                r.size as i64,
                r.sha256,
                r.signature,
                r.notes,
                r.published_at
            ],
        )?;
        Ok(added == 1)
    }

    fn desk_releases(&self, target: &str, arch: &str) -> Result<Vec<DeskRelease>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT target, arch, version, file_name, size, sha256, signature, notes, \
             published_at FROM desk_releases WHERE target = ?1 AND arch = ?2",
        )?;
        let rows = stmt
            .query_map(params![target, arch], |r| {
                Ok(DeskRelease {
                    target: r.get("target")?,
                    arch: r.get("arch")?,
                    version: r.get("version")?,
                    file_name: r.get("file_name")?,
                    size: r.get::<_, i64>("size")? as u64,
                    sha256: r.get("sha256")?,
                    signature: r.get("signature")?,
                    notes: r.get("notes")?,
                    published_at: r.get("published_at")?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_apply_to_an_empty_database() {
        migrations().validate().unwrap();
        let store = SqliteMetadataStore::open_in_memory().unwrap();
        let conn = store.conn();
        let not_strict: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND sql NOT LIKE '%STRICT'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(not_strict.is_empty(), "every table is STRICT: {not_strict:?}");
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn every_commit_is_synced_so_a_sent_receipt_survives_a_power_cut() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteMetadataStore::open(&dir.path().join("paks.sqlite3")).unwrap();
        let conn = store.conn();
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous = FULL");
    }

    #[test]
    fn allowing_rejected_keeps_every_submission_and_what_refers_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paks.sqlite3");
        {
            let mut conn = durable_sqlite::open(&path, durable_sqlite::Access::ReadWrite).unwrap();
            migrations().to_version(&mut conn, 4).unwrap();
            conn.execute_batch(
                "INSERT INTO focal_points (id, country, name, email, token_sha256, created_at) \
                 VALUES (1, 'LAO', 'T', 't@example.org', 'h', 'now'); \
                 INSERT INTO submissions (id, case_uid, version, focal_point_id, country, title, \
                 case_json, case_sha256, received_at, state, updated_at, published_at, \
                 receipt_json) VALUES ('s1', 'c1', 1, 1, 'LAO', 'Kept', '{}', 'x', \
                 '2027-01-01T00:00:00Z', 'published', 'u', 'p', '{}'); \
                 INSERT INTO submission_files VALUES ('s1', 0, 'u1', 'a.pdf', 'application/pdf', \
                 3, 'sha'); \
                 INSERT INTO submission_mdg_targets VALUES ('s1', '1.A'); \
                 INSERT INTO public_feed VALUES ('c1', 1, 's1', 0, 1);",
            )
            .unwrap();
        }
        let store = SqliteMetadataStore::open(&path).unwrap();
        let conn = store.conn();
        let (title, state): (String, String) = conn
            .query_row("SELECT title, state FROM submissions WHERE id = 's1'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((title.as_str(), state.as_str()), ("Kept", "published"));
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys are on again after migrating");
        conn.execute("UPDATE submissions SET state = 'rejected' WHERE id = 's1'", []).unwrap();
        assert!(conn.execute("UPDATE submissions SET state = 'lost' WHERE id = 's1'", []).is_err());
        assert!(
            conn.execute("DELETE FROM submissions WHERE id = 's1'", []).is_err(),
            "the files, targets and feed still refer to the rebuilt table"
        );
    }

    fn lao(store: &SqliteMetadataStore) -> i64 {
        let new = NewFocalPoint {
            country: "LAO".into(),
            name: "T".into(),
            email: "t@example.org".into(),
            expires_at: None,
        };
        store.add_focal_point(&new, "token-hash").unwrap().id
    }

    fn lease_of(claim: IdempotencyClaim) -> IdempotencyLease {
        match claim {
            IdempotencyClaim::Claimed(lease) => lease,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[test]
    fn a_lapsed_claim_is_taken_over_and_its_old_worker_can_neither_answer_nor_free_it() {
        let store = SqliteMetadataStore::open_in_memory().unwrap();
        let fp = lao(&store);
        let t0 = 1_800_000_000;
        let first = lease_of(store.claim_idempotency_key(fp, "k", "a", t0, t0 + 30).unwrap());
        let again = store.claim_idempotency_key(fp, "k", "a", t0 + 10, t0 + 40).unwrap();
        assert_eq!(again, IdempotencyClaim::InProgress);
        let other = store.claim_idempotency_key(fp, "k", "b", t0 + 10, t0 + 40).unwrap();
        assert_eq!(other, IdempotencyClaim::BodyMismatch);
        assert!(store.renew_idempotency_lease(&first, t0 + 60).unwrap());
        let renewed = store.claim_idempotency_key(fp, "k", "a", t0 + 45, t0 + 75).unwrap();
        assert_eq!(renewed, IdempotencyClaim::InProgress, "the renewed lease still holds");
        // The first worker is gone: once its lease lapses, the key is free, whatever the body.
        let second = lease_of(store.claim_idempotency_key(fp, "k", "b", t0 + 60, t0 + 90).unwrap());
        assert_ne!(first.token, second.token);
        assert!(!store.renew_idempotency_lease(&first, t0 + 120).unwrap());
        store.release_idempotency_key(&first).unwrap();
        let still = store.claim_idempotency_key(fp, "k", "b", t0 + 61, t0 + 91).unwrap();
        assert_eq!(still, IdempotencyClaim::InProgress, "the old worker cannot free the new claim");
        store.release_idempotency_key(&second).unwrap();
        let third = lease_of(store.claim_idempotency_key(fp, "k", "c", t0 + 62, t0 + 92).unwrap());
        assert_eq!(store.release_unanswered_idempotency_keys().unwrap(), 1);
        assert!(!store.renew_idempotency_lease(&third, t0 + 120).unwrap());
    }
}
