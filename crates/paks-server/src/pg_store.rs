//! `MetadataStore` on PostgreSQL, for several instances sharing one database: the same tables
//! as SQLite (migrations/postgres/ mirrors migrations/), idempotency claims, the per-token rate
//! limit and the upload lock (an advisory lock, see `PostgresUploadLocks`) held in the database.
//!
//! The trait is blocking: each method runs its queries on the tokio runtime that opened the
//! store, from the blocking thread that calls it (`Handle::block_on`), as the HTTP layer calls
//! every store method through `spawn_blocking`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use paks_protocol::{Receipt, SubmissionState};
use tokio::runtime::Handle;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{
    AuditEntry, CaseQuery, DeskRelease, FeedEntry, FeedPage, FeedQuery, FocalPoint,
    IdempotencyClaim, IdempotencyLease, MetadataStore, NewFocalPoint, Reviewer,
    ReviewerCredentials, ReviewerSession, StoredFile, SubmissionRecord,
};

/// Append-only: never edit a shipped migration, add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/001_initial.sql"),
    include_str!("../migrations/postgres/002_idempotency_leases.sql"),
    include_str!("../migrations/postgres/003_rate_buckets.sql"),
    include_str!("../migrations/postgres/004_public_feed.sql"),
    include_str!("../migrations/postgres/005_desk_releases.sql"),
    include_str!("../migrations/postgres/006_reviewers_console.sql"),
    include_str!("../migrations/postgres/007_case_events.sql"),
];

/// Advisory lock key that makes instances starting together migrate one at a time.
const MIGRATION_LOCK: i64 = 0x5041_4b53_4d49_4752; // "PAKSMIGR"

/// As in SQLite: how long a record that an upload was deleted is kept.
const DELETED_UPLOAD_MEMORY_SECS: i64 = 24 * 3600;

/// Connections one instance keeps to the database.
const POOL_SIZE: usize = 16;
/// A query (or waiting for a pooled connection) that takes longer fails instead of hanging.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PostgresMetadataStore {
    pool: Pool,
    config: tokio_postgres::Config,
    runtime: Handle,
}

fn pool_error(e: impl std::fmt::Display) -> Error {
    Error::Database(format!("PostgreSQL connection pool: {e}"))
}

fn uuid_of(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| Error::Database(format!("bad UUID {text:?} stored: {e}")))
}

fn focal_point_of(row: &Row) -> Result<FocalPoint> {
    Ok(FocalPoint {
        id: row.try_get("id")?,
        country: row.try_get("country")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn reviewer_of(row: &Row) -> Result<Reviewer> {
    let failed: i32 = row.try_get("failed_sign_ins")?;
    Ok(Reviewer {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        failed_sign_ins: u32::try_from(failed).unwrap_or(0),
        locked_until: row.try_get("locked_until")?,
    })
}

const SUBMISSION_COLUMNS: &str = "s.id, s.case_uid, s.version, s.replaces, s.focal_point_id, \
    s.country, s.title, s.case_json, s.case_sha256, s.received_at, s.state, s.reviewer_comment, \
    s.updated_at, s.published_at, s.withdrawn_at, s.receipt_json, \
    (SELECT r.id FROM submissions r WHERE r.replaces = s.id) AS replaced_by";

fn submission_of(row: &Row) -> Result<SubmissionRecord> {
    let state: String = row.try_get("state")?;
    let state = SubmissionState::parse(&state)
        .ok_or_else(|| Error::Database(format!("unknown state {state} stored")))?;
    let receipt: Receipt = serde_json::from_str(&row.try_get::<_, String>("receipt_json")?)?;
    let opt_uuid = |name: &str| -> Result<Option<Uuid>> {
        row.try_get::<_, Option<String>>(name)?.as_deref().map(uuid_of).transpose()
    };
    let version: i64 = row.try_get("version")?;
    Ok(SubmissionRecord {
        id: uuid_of(&row.try_get::<_, String>("id")?)?,
        case_uid: uuid_of(&row.try_get::<_, String>("case_uid")?)?,
        version: u32::try_from(version)
            .map_err(|_| Error::Database(format!("version {version} stored")))?,
        replaces: opt_uuid("replaces")?,
        replaced_by: opt_uuid("replaced_by")?,
        focal_point_id: row.try_get("focal_point_id")?,
        country: row.try_get("country")?,
        title: row.try_get("title")?,
        case_json: row.try_get("case_json")?,
        case_sha256: row.try_get("case_sha256")?,
        received_at: row.try_get("received_at")?,
        state,
        reviewer_comment: row.try_get("reviewer_comment")?,
        updated_at: row.try_get("updated_at")?,
        published_at: row.try_get("published_at")?,
        withdrawn_at: row.try_get("withdrawn_at")?,
        receipt,
        mdg_targets: Vec::new(),
        files: Vec::new(),
    })
}

impl PostgresMetadataStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and applies the
    /// migrations. Must run inside a tokio runtime, off its async threads (`spawn_blocking`, or
    /// a thread that entered the runtime): its connections live on that runtime.
    pub fn connect(url: &str) -> Result<Self> {
        let runtime = Handle::try_current().map_err(|_| {
            Error::Database("the PostgreSQL store needs a tokio runtime to run on".into())
        })?;
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| Error::Invalid(format!("database URL: {e}")))?;
        let mut config = config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(POOL_SIZE)
                .wait_timeout(Some(QUERY_TIMEOUT))
                .create_timeout(Some(Duration::from_secs(10)))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(pool_error)?
        };
        let store = Self { pool, config, runtime };
        store.run(|client| async move { migrate(client).await })?;
        Ok(store)
    }

    /// The connection settings, for the connections that hold upload locks or listen.
    pub fn connection_config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Runs `work` with a pooled connection on the store's runtime, within `QUERY_TIMEOUT`.
    fn run<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.runtime.block_on(async {
            let fut = async {
                let client = self.pool.get().await.map_err(pool_error)?;
                work(client).await
            };
            tokio::time::timeout(QUERY_TIMEOUT, fut)
                .await
                .map_err(|_| Error::Database("a PostgreSQL query timed out".into()))?
        })
    }
}

async fn migrate(mut client: deadpool_postgres::Object) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS paks_schema_migrations (version INTEGER PRIMARY KEY)",
            )
            .await?;
        let applied: i32 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM paks_schema_migrations", &[])
            .await?
            .try_get(0)?;
        for (index, sql) in MIGRATIONS.iter().enumerate() {
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            if version <= applied {
                continue;
            }
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute("INSERT INTO paks_schema_migrations (version) VALUES ($1)", &[&version])
                .await?;
            tx.commit().await?;
        }
        if usize::try_from(applied).unwrap_or(0) > MIGRATIONS.len() {
            return Err(Error::Database(format!(
                "the database has schema version {applied}, newer than this server ({})",
                MIGRATIONS.len()
            )));
        }
        Ok(())
    }
    .await;
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
    result
}

async fn complete_submission(
    client: &impl tokio_postgres::GenericClient,
    mut record: SubmissionRecord,
) -> Result<SubmissionRecord> {
    let id = record.id.to_string();
    record.mdg_targets = client
        .query(
            "SELECT target FROM submission_mdg_targets WHERE submission_id = $1 ORDER BY target",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let rows = client
        .query(
            "SELECT upload_id, name, media_type, size, sha256 FROM submission_files \
             WHERE submission_id = $1 ORDER BY position",
            &[&id],
        )
        .await?;
    record.files = rows
        .iter()
        .map(|r| {
            Ok(StoredFile {
                upload_id: uuid_of(&r.try_get::<_, String>("upload_id")?)?,
                name: r.try_get("name")?,
                media_type: r.try_get("media_type")?,
                size: u64::try_from(r.try_get::<_, i64>("size")?).unwrap_or(0),
                sha256: r.try_get("sha256")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(record)
}

async fn query_submissions(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<SubmissionRecord>> {
    let rows = client.query(sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(complete_submission(client, submission_of(row)?).await?);
    }
    Ok(out)
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// Every writer of the feed starts here: it queues on the head row until the last writer
/// committed, so the newest published version it reads is current and its seq comes after.
async fn lock_feed(tx: &tokio_postgres::Transaction<'_>) -> Result<()> {
    tx.query_one("SELECT seq FROM public_feed_head FOR UPDATE", &[]).await?;
    Ok(())
}

/// The case's feed entry as it stands: (submission id, withdrawn).
async fn feed_row(
    tx: &tokio_postgres::Transaction<'_>,
    case_uid: &str,
) -> Result<Option<(String, bool)>> {
    let row = tx
        .query_opt(
            "SELECT submission_id, withdrawn FROM public_feed WHERE case_uid = $1",
            &[&case_uid],
        )
        .await?;
    Ok(match row {
        Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
        None => None,
    })
}

/// Writes the case's feed entry with the next seq; the caller holds the head row (`lock_feed`).
async fn advance_feed(
    tx: &tokio_postgres::Transaction<'_>,
    case_uid: &str,
    submission_id: &str,
    withdrawn: bool,
    at: &str,
) -> Result<()> {
    let changed_at = crate::clock::parse_rfc3339(at)?.unix_timestamp();
    let seq: i64 = tx
        .query_one("UPDATE public_feed_head SET seq = seq + 1 RETURNING seq", &[])
        .await?
        .try_get(0)?;
    tx.execute(
        "INSERT INTO public_feed (case_uid, seq, submission_id, withdrawn, changed_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (case_uid) DO UPDATE SET seq = excluded.seq, \
         submission_id = excluded.submission_id, withdrawn = excluded.withdrawn, \
         changed_at = excluded.changed_at",
        &[&case_uid, &seq, &submission_id, &withdrawn, &changed_at],
    )
    .await?;
    Ok(())
}

async fn feed_entries(
    client: &impl tokio_postgres::GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<FeedEntry>> {
    let rows = client.query(sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq: i64 = row.try_get("seq")?;
        out.push(FeedEntry {
            seq: u64::try_from(seq).unwrap_or(0),
            changed_at: row.try_get("changed_at")?,
            withdrawn: row.try_get("withdrawn")?,
            submission: complete_submission(client, submission_of(row)?).await?,
        });
    }
    Ok(out)
}

fn desk_release_of(row: &Row) -> Result<DeskRelease> {
    Ok(DeskRelease {
        target: row.try_get("target")?,
        arch: row.try_get("arch")?,
        version: row.try_get("version")?,
        file_name: row.try_get("file_name")?,
        size: u64::try_from(row.try_get::<_, i64>("size")?).unwrap_or(0),
        sha256: row.try_get("sha256")?,
        signature: row.try_get("signature")?,
        notes: row.try_get("notes")?,
        published_at: row.try_get("published_at")?,
    })
}

impl MetadataStore for PostgresMetadataStore {
    fn ping(&self) -> Result<()> {
        self.run(|client| async move {
            client.simple_query("SELECT 1").await?;
            Ok(())
        })
    }

    fn add_focal_point(&self, new: &NewFocalPoint, token_sha256: &str) -> Result<FocalPoint> {
        let now = crate::clock::rfc3339(crate::clock::now())?;
        self.run(|client| async move {
            let row = client
                .query_one(
                    "INSERT INTO focal_points (country, name, email, token_sha256, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                    &[&new.country, &new.name, &new.email, &token_sha256, &now, &new.expires_at],
                )
                .await?;
            focal_point_of(&row)
        })
    }

    fn focal_points(&self) -> Result<Vec<FocalPoint>> {
        self.run(|client| async move {
            client
                .query("SELECT * FROM focal_points ORDER BY id", &[])
                .await?
                .iter()
                .map(focal_point_of)
                .collect()
        })
    }

    fn focal_point_by_token(&self, token_sha256: &str) -> Result<Option<FocalPoint>> {
        self.run(|client| async move {
            client
                .query_opt("SELECT * FROM focal_points WHERE token_sha256 = $1", &[&token_sha256])
                .await?
                .as_ref()
                .map(focal_point_of)
                .transpose()
        })
    }

    fn revoke_focal_point(&self, id: i64, at: &str) -> Result<bool> {
        self.run(|client| async move {
            let n = client
                .execute(
                    "UPDATE focal_points SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                    &[&id, &at],
                )
                .await?;
            Ok(n == 1)
        })
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
        self.run(|mut client| async move {
            let tx = client.transaction().await?;
            // Two instances claiming a new key at once: the second waits on the first's row
            // (inserted, or locked FOR UPDATE) and then reads what it decided.
            tx.execute(
                "INSERT INTO idempotency_keys (focal_point_id, key, request_sha256, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (focal_point_id, key) DO NOTHING",
                &[&focal_point_id, &key, &request_sha256, &created_at],
            )
            .await?;
            let row = tx
                .query_one(
                    "SELECT request_sha256, response_status, response_body, lease_token, \
                     lease_expires_at FROM idempotency_keys \
                     WHERE focal_point_id = $1 AND key = $2 FOR UPDATE",
                    &[&focal_point_id, &key],
                )
                .await?;
            let hash: String = row.try_get(0)?;
            let status: Option<i32> = row.try_get(1)?;
            let body: Option<String> = row.try_get(2)?;
            let token: Option<String> = row.try_get(3)?;
            let until: Option<i64> = row.try_get(4)?;
            let claim = match (status, body) {
                (Some(status), Some(body)) => {
                    if hash == request_sha256 {
                        IdempotencyClaim::Completed {
                            status: u16::try_from(status).unwrap_or(500),
                            body,
                        }
                    } else {
                        IdempotencyClaim::BodyMismatch
                    }
                }
                _ if token.is_some() && until.is_some_and(|until| until > now) => {
                    if hash == request_sha256 {
                        IdempotencyClaim::InProgress
                    } else {
                        IdempotencyClaim::BodyMismatch
                    }
                }
                _ => {
                    let lease = IdempotencyLease {
                        focal_point_id,
                        key: key.to_owned(),
                        token: Uuid::new_v4(),
                    };
                    tx.execute(
                        "UPDATE idempotency_keys SET request_sha256 = $3, created_at = $4, \
                         lease_token = $5, lease_expires_at = $6, response_status = NULL, \
                         response_body = NULL WHERE focal_point_id = $1 AND key = $2",
                        &[
                            &focal_point_id,
                            &key,
                            &request_sha256,
                            &created_at,
                            &lease.token.to_string(),
                            &lease_expires_at,
                        ],
                    )
                    .await?;
                    IdempotencyClaim::Claimed(lease)
                }
            };
            tx.commit().await?;
            Ok(claim)
        })
    }

    fn renew_idempotency_lease(&self, lease: &IdempotencyLease, expires_at: i64) -> Result<bool> {
        self.run(|client| async move {
            let n = client
                .execute(
                    "UPDATE idempotency_keys SET lease_expires_at = $4 WHERE focal_point_id = $1 \
                     AND key = $2 AND lease_token = $3 AND response_status IS NULL",
                    &[&lease.focal_point_id, &lease.key, &lease.token.to_string(), &expires_at],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn idempotency_key_exists(&self, focal_point_id: i64, key: &str) -> Result<bool> {
        self.run(|client| async move {
            Ok(client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE focal_point_id = $1 \
                     AND key = $2)",
                    &[&focal_point_id, &key],
                )
                .await?
                .try_get(0)?)
        })
    }

    fn release_idempotency_key(&self, lease: &IdempotencyLease) -> Result<()> {
        self.run(|client| async move {
            client
                .execute(
                    "DELETE FROM idempotency_keys WHERE focal_point_id = $1 AND key = $2 \
                     AND lease_token = $3 AND response_status IS NULL",
                    &[&lease.focal_point_id, &lease.key, &lease.token.to_string()],
                )
                .await?;
            Ok(())
        })
    }

    /// Several instances share the table: a claim of another instance that is still working
    /// is not this start-up's to free, so only lapsed leases go. A killed instance's claims
    /// lapse within their lease (`submissions::LEASE`), then any instance takes them over.
    fn release_unanswered_idempotency_keys(&self) -> Result<usize> {
        let now = crate::clock::now().unix_timestamp();
        self.run(|client| async move {
            let n = client
                .execute(
                    "DELETE FROM idempotency_keys WHERE response_status IS NULL \
                     AND (lease_expires_at IS NULL OR lease_expires_at <= $1)",
                    &[&now],
                )
                .await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    fn insert_submission(
        &self,
        r: &SubmissionRecord,
        lease: &IdempotencyLease,
        response_status: u16,
        response_body: &str,
    ) -> Result<()> {
        let receipt_json = serde_json::to_string(&r.receipt)?;
        self.run(|mut client| async move {
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .await?;
            // Holding the key's row keeps a takeover of the lease waiting until this commits.
            tx.execute(
                "SELECT 1 FROM idempotency_keys WHERE focal_point_id = $1 AND key = $2 FOR UPDATE",
                &[&lease.focal_point_id, &lease.key],
            )
            .await?;
            let case_uid = r.case_uid.to_string();
            let version = i64::from(r.version);
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM submissions WHERE case_uid = $1 AND version = $2)",
                    &[&case_uid, &version],
                )
                .await?
                .try_get(0)?;
            if exists {
                return Err(Error::Conflict(format!(
                    "version {} of case {} was already submitted",
                    r.version, r.case_uid
                )));
            }
            if let Some(old) = r.replaces {
                let taken: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM submissions WHERE replaces = $1)",
                        &[&old.to_string()],
                    )
                    .await?
                    .try_get(0)?;
                if taken {
                    return Err(Error::Conflict("that submission was already replaced".into()));
                }
            }
            for f in &r.files {
                // Locks out a concurrent deletion claim (which inserts this row) until commit.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&upload_lock_key(f.upload_id)])
                    .await?;
                let deleted: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM deleted_uploads WHERE upload_id = $1)",
                        &[&f.upload_id.to_string()],
                    )
                    .await?
                    .try_get(0)?;
                if deleted {
                    return Err(Error::UploadDeleted(f.upload_id));
                }
            }
            let id = r.id.to_string();
            let inserted = tx
                .execute(
                    "INSERT INTO submissions (id, case_uid, version, replaces, focal_point_id, \
                     country, title, case_json, case_sha256, received_at, state, \
                     reviewer_comment, updated_at, published_at, receipt_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    &[
                        &id,
                        &case_uid,
                        &version,
                        &r.replaces.map(|u| u.to_string()),
                        &r.focal_point_id,
                        &r.country,
                        &r.title,
                        &r.case_json,
                        &r.case_sha256,
                        &r.received_at,
                        &r.state.as_str(),
                        &r.reviewer_comment,
                        &r.updated_at,
                        &r.published_at,
                        &receipt_json,
                    ],
                )
                .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::Conflict(format!(
                        "version {} of case {} was already submitted or replaced",
                        r.version, r.case_uid
                    )));
                }
                Err(e) => return Err(e.into()),
            }
            for target in &r.mdg_targets {
                tx.execute(
                    "INSERT INTO submission_mdg_targets (submission_id, target) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&id, target],
                )
                .await?;
            }
            for (position, f) in r.files.iter().enumerate() {
                tx.execute(
                    "INSERT INTO submission_files (submission_id, position, upload_id, name, \
                     media_type, size, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &id,
                        &(position as i64),
                        &f.upload_id.to_string(),
                        &f.name,
                        &f.media_type,
                        &i64::try_from(f.size).unwrap_or(i64::MAX),
                        &f.sha256,
                    ],
                )
                .await?;
            }
            let answered = tx.execute(
                "UPDATE idempotency_keys SET response_status = $4, response_body = $5, \
                 lease_token = NULL, lease_expires_at = NULL \
                 WHERE focal_point_id = $1 AND key = $2 AND lease_token = $3 \
                 AND response_status IS NULL",
                &[
                    &lease.focal_point_id,
                    &lease.key,
                    &lease.token.to_string(),
                    &i32::from(response_status),
                    &response_body,
                ],
            )
            .await?;
            if answered != 1 {
                return Err(Error::LeaseLost);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn submission(&self, id: Uuid) -> Result<Option<SubmissionRecord>> {
        self.run(|client| async move {
            let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = $1");
            match client.query_opt(&sql, &[&id.to_string()]).await? {
                Some(row) => Ok(Some(complete_submission(&**client, submission_of(&row)?).await?)),
                None => Ok(None),
            }
        })
    }

    fn submission_of_version(
        &self,
        case_uid: Uuid,
        version: u32,
    ) -> Result<Option<SubmissionRecord>> {
        self.run(|client| async move {
            let sql = format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
                 WHERE s.case_uid = $1 AND s.version = $2"
            );
            match client.query_opt(&sql, &[&case_uid.to_string(), &i64::from(version)]).await? {
                Some(row) => Ok(Some(complete_submission(&**client, submission_of(&row)?).await?)),
                None => Ok(None),
            }
        })
    }

    fn submissions(&self, state: Option<SubmissionState>) -> Result<Vec<SubmissionRecord>> {
        let state = state.map(|s| s.as_str().to_owned());
        self.run(|client| async move {
            let sql = format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
                 WHERE $1::TEXT IS NULL OR s.state = $1 ORDER BY s.received_at, s.id"
            );
            query_submissions(&client, &sql, &[&state]).await
        })
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
        let published_at = publishing.then_some(at);
        self.run(|mut client| async move {
            let id = id.to_string();
            let tx = client.transaction().await?;
            lock_feed(&tx).await?;
            let Some(row) =
                tx.query_opt("SELECT case_uid FROM submissions WHERE id = $1", &[&id]).await?
            else {
                return Ok(false);
            };
            let case_uid: String = row.try_get(0)?;
            tx.execute(
                "UPDATE submissions SET state = $2, reviewer_comment = $3, updated_at = $4, \
                 published_at = COALESCE($5, published_at) WHERE id = $1",
                &[&id, &state.as_str(), &comment, &at, &published_at],
            )
            .await?;
            tx.execute(
                "INSERT INTO review_audit (at, actor, submission_id, action, comment) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&at, &actor, &id, &state.as_str(), &comment],
            )
            .await?;
            if publishing {
                tx.execute(
                    "UPDATE submissions SET withdrawn_at = NULL WHERE case_uid = $1",
                    &[&case_uid],
                )
                .await?;
            }
            let newest: Option<String> = tx
                .query_opt(
                    "SELECT id FROM submissions WHERE case_uid = $1 AND state = 'published' \
                     AND withdrawn_at IS NULL ORDER BY version DESC LIMIT 1",
                    &[&case_uid],
                )
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            // As in SQLite's `set_state`.
            match (newest, feed_row(&tx, &case_uid).await?) {
                (Some(newest), _) if publishing && newest == id => {
                    advance_feed(&tx, &case_uid, &newest, false, at).await?
                }
                (Some(newest), Some((shown, false))) if newest == shown => {}
                (Some(newest), _) => advance_feed(&tx, &case_uid, &newest, false, at).await?,
                (None, Some((shown, false))) => {
                    advance_feed(&tx, &case_uid, &shown, true, at).await?
                }
                (None, _) => {}
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    fn review_audit(&self, submission: Option<Uuid>) -> Result<Vec<AuditEntry>> {
        let submission = submission.map(|s| s.to_string());
        self.run(|client| async move {
            client
                .query(
                    "SELECT at, actor, submission_id, action, comment FROM review_audit \
                     WHERE $1::TEXT IS NULL OR submission_id = $1 ORDER BY id",
                    &[&submission],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(AuditEntry {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        submission_id: uuid_of(&r.try_get::<_, String>("submission_id")?)?,
                        action: r.try_get("action")?,
                        comment: r.try_get("comment")?,
                    })
                })
                .collect()
        })
    }

    fn add_reviewer(&self, email: &str, password_hash: &str, at: &str) -> Result<Reviewer> {
        self.run(|client| async move {
            let row = client
                .query_opt(
                    "INSERT INTO reviewers (email, password_hash, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (email) DO NOTHING RETURNING *",
                    &[&email, &password_hash, &at],
                )
                .await?
                .ok_or_else(|| Error::Conflict(format!("a reviewer {email} exists already")))?;
            reviewer_of(&row)
        })
    }

    fn reviewers(&self) -> Result<Vec<Reviewer>> {
        self.run(|client| async move {
            client
                .query("SELECT * FROM reviewers ORDER BY email", &[])
                .await?
                .iter()
                .map(reviewer_of)
                .collect()
        })
    }

    fn remove_reviewer(&self, email: &str) -> Result<bool> {
        self.run(|client| async move {
            Ok(client.execute("DELETE FROM reviewers WHERE email = $1", &[&email]).await? == 1)
        })
    }

    fn reviewer_credentials(&self, email: &str) -> Result<Option<ReviewerCredentials>> {
        self.run(|client| async move {
            let Some(row) =
                client.query_opt("SELECT * FROM reviewers WHERE email = $1", &[&email]).await?
            else {
                return Ok(None);
            };
            Ok(Some(ReviewerCredentials {
                reviewer: reviewer_of(&row)?,
                password_hash: row.try_get("password_hash")?,
            }))
        })
    }

    fn record_failed_sign_in(
        &self,
        reviewer_id: i64,
        max_failures: u32,
        lock_until: i64,
    ) -> Result<()> {
        let max = i32::try_from(max_failures).unwrap_or(i32::MAX);
        self.run(|client| async move {
            client
                .execute(
                    "UPDATE reviewers SET \
                     locked_until = CASE WHEN failed_sign_ins + 1 >= $2 THEN $3 \
                         ELSE locked_until END, \
                     failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $2 THEN 0 \
                         ELSE failed_sign_ins + 1 END \
                     WHERE id = $1",
                    &[&reviewer_id, &max, &lock_until],
                )
                .await?;
            Ok(())
        })
    }

    fn open_reviewer_session(&self, s: &ReviewerSession) -> Result<()> {
        self.run(|mut client| async move {
            let tx = client.transaction().await?;
            tx.execute(
                "UPDATE reviewers SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1",
                &[&s.reviewer_id],
            )
            .await?;
            tx.execute(
                "INSERT INTO reviewer_sessions (token_sha256, reviewer_id, csrf_token, \
                 created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
                &[&s.token_sha256, &s.reviewer_id, &s.csrf_token, &s.created_at, &s.last_seen_at],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn reviewer_session(&self, token_sha256: &str) -> Result<Option<ReviewerSession>> {
        self.run(|client| async move {
            let Some(r) = client
                .query_opt(
                    "SELECT s.token_sha256, s.reviewer_id, r.email, s.csrf_token, s.created_at, \
                     s.last_seen_at FROM reviewer_sessions s \
                     JOIN reviewers r ON r.id = s.reviewer_id WHERE s.token_sha256 = $1",
                    &[&token_sha256],
                )
                .await?
            else {
                return Ok(None);
            };
            Ok(Some(ReviewerSession {
                token_sha256: r.try_get(0)?,
                reviewer_id: r.try_get(1)?,
                reviewer_email: r.try_get(2)?,
                csrf_token: r.try_get(3)?,
                created_at: r.try_get(4)?,
                last_seen_at: r.try_get(5)?,
            }))
        })
    }

    fn touch_reviewer_session(&self, token_sha256: &str, now: i64) -> Result<()> {
        self.run(|client| async move {
            client
                .execute(
                    "UPDATE reviewer_sessions SET last_seen_at = $2 WHERE token_sha256 = $1",
                    &[&token_sha256, &now],
                )
                .await?;
            Ok(())
        })
    }

    fn delete_reviewer_session(&self, token_sha256: &str) -> Result<()> {
        self.run(|client| async move {
            client
                .execute("DELETE FROM reviewer_sessions WHERE token_sha256 = $1", &[&token_sha256])
                .await?;
            Ok(())
        })
    }

    fn withdraw_case(&self, case_uid: Uuid, at: &str) -> Result<bool> {
        self.run(|mut client| async move {
            let case_uid = case_uid.to_string();
            let tx = client.transaction().await?;
            lock_feed(&tx).await?;
            let shown = match feed_row(&tx, &case_uid).await? {
                None => return Err(Error::NotFound(format!("published case {case_uid}"))),
                Some((_, true)) => return Ok(false),
                Some((shown, false)) => shown,
            };
            tx.execute(
                "UPDATE submissions SET withdrawn_at = $2 WHERE case_uid = $1",
                &[&case_uid, &at],
            )
            .await?;
            advance_feed(&tx, &case_uid, &shown, true, at).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn set_case_event(
        &self,
        case_uid: Uuid,
        event: Option<&str>,
        at: &str,
        actor: &str,
    ) -> Result<()> {
        let uid = case_uid.to_string();
        self.run(|mut client| async move {
            let tx = client.transaction().await?;
            let known: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM submissions WHERE case_uid = $1)",
                    &[&uid],
                )
                .await?
                .get(0);
            if !known {
                return Err(Error::NotFound(format!("case {case_uid}")));
            }
            match event {
                Some(event) => {
                    tx.execute(
                        "INSERT INTO case_events (case_uid, event, set_at, set_by) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (case_uid) DO UPDATE SET \
                         event = excluded.event, set_at = excluded.set_at, set_by = excluded.set_by",
                        &[&uid, &event, &at, &actor],
                    )
                    .await?
                }
                None => tx.execute("DELETE FROM case_events WHERE case_uid = $1", &[&uid]).await?,
            };
            tx.commit().await?;
            Ok(())
        })
    }

    fn case_events(&self) -> Result<Vec<(Uuid, String)>> {
        self.run(|client| async move {
            client
                .query("SELECT case_uid, event FROM case_events ORDER BY event, case_uid", &[])
                .await?
                .iter()
                .map(|row| {
                    let uid: String = row.get(0);
                    let uid = Uuid::parse_str(&uid).map_err(|e| {
                        Error::Database(format!("case_events: case uid {uid:?}: {e}"))
                    })?;
                    Ok((uid, row.get(1)))
                })
                .collect()
        })
    }

    fn public_feed(&self, q: &FeedQuery) -> Result<FeedPage> {
        let after_seq = i64::try_from(q.after_seq).unwrap_or(i64::MAX);
        let mdg = q.mdg_goal.map(|g| g.to_string());
        let sdg = q.sdg_goal.map(|g| g.to_string());
        let limit = i64::from(q.limit);
        self.run(|mut client| async move {
            // One snapshot for the head, the count and the page.
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let head: i64 =
                tx.query_one("SELECT seq FROM public_feed_head", &[]).await?.try_get(0)?;
            let filter = "FROM public_feed f JOIN submissions s ON s.id = f.submission_id \
                 WHERE f.seq > $1 \
                 AND ($2::BIGINT IS NULL OR f.changed_at >= $2) \
                 AND ($3::BIGINT IS NULL OR f.changed_at <= $3) \
                 AND ($4::TEXT IS NULL OR s.country = $4) \
                 AND ($5::TEXT IS NULL OR EXISTS (SELECT 1 FROM submission_mdg_targets t \
                     WHERE t.submission_id = s.id AND t.target LIKE $5 || '.%')) \
                 AND ($6::TEXT IS NULL OR EXISTS (SELECT 1 FROM \
                     jsonb_path_query(s.case_json::jsonb, 'lax $.sdg_links[*].target') v \
                     WHERE (v #>> '{}') LIKE $6 || '.%'))";
            let remaining: i64 = tx
                .query_one(
                    &format!("SELECT COUNT(*) {filter}"),
                    &[&after_seq, &q.changed_from, &q.changed_until, &q.country, &mdg, &sdg],
                )
                .await?
                .try_get(0)?;
            let entries = if limit == 0 || remaining == 0 {
                Vec::new()
            } else {
                let sql = format!(
                    "SELECT f.seq, f.changed_at, f.withdrawn, {SUBMISSION_COLUMNS} {filter} \
                     ORDER BY f.seq LIMIT $7"
                );
                feed_entries(
                    &*tx,
                    &sql,
                    &[
                        &after_seq,
                        &q.changed_from,
                        &q.changed_until,
                        &q.country,
                        &mdg,
                        &sdg,
                        &limit,
                    ],
                )
                .await?
            };
            tx.commit().await?;
            Ok(FeedPage {
                head: u64::try_from(head).unwrap_or(0),
                remaining: u64::try_from(remaining).unwrap_or(0),
                entries,
            })
        })
    }

    fn public_feed_countries(&self) -> Result<Vec<String>> {
        self.run(|client| async move {
            client
                .query(
                    "SELECT DISTINCT s.country FROM public_feed f JOIN submissions s \
                     ON s.id = f.submission_id ORDER BY s.country",
                    &[],
                )
                .await?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect()
        })
    }

    fn public_feed_entry(&self, case_uid: Uuid) -> Result<Option<FeedEntry>> {
        self.run(|client| async move {
            let sql = format!(
                "SELECT f.seq, f.changed_at, f.withdrawn, {SUBMISSION_COLUMNS} \
                 FROM public_feed f JOIN submissions s ON s.id = f.submission_id \
                 WHERE f.case_uid = $1"
            );
            Ok(feed_entries(&**client, &sql, &[&case_uid.to_string()]).await?.into_iter().next())
        })
    }

    fn add_desk_release(&self, release: &DeskRelease) -> Result<bool> {
        let size = i64::try_from(release.size)
            .map_err(|_| Error::Database(format!("release size {} too large", release.size)))?;
        self.run(|client| async move {
            let r = release;
            let added = client
                .execute(
                    "INSERT INTO desk_releases (target, arch, version, file_name, size, sha256, \
                     signature, notes, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (target, arch, version) DO NOTHING",
                    &[
                        &r.target,
                        &r.arch,
                        &r.version,
                        &r.file_name,
                        &size,
                        &r.sha256,
                        &r.signature,
                        &r.notes,
                        &r.published_at,
                    ],
                )
                .await?;
            Ok(added == 1)
        })
    }

    fn desk_releases(&self, target: &str, arch: &str) -> Result<Vec<DeskRelease>> {
        self.run(|client| async move {
            client
                .query(
                    "SELECT target, arch, version, file_name, size, sha256, signature, notes, \
                     published_at FROM desk_releases WHERE target = $1 AND arch = $2",
                    &[&target, &arch],
                )
                .await?
                .iter()
                .map(desk_release_of)
                .collect()
        })
    }

    fn published(&self, q: &CaseQuery) -> Result<(u64, Vec<SubmissionRecord>)> {
        let pattern = q.text.as_ref().map(|t| {
            let escaped = t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let (limit, offset) = (i64::from(q.limit), i64::from(q.offset));
        self.run(|client| async move {
            // SQLite's LIKE ignores ASCII case and json_tree's 'text' rows are the string
            // values: ILIKE over every string value of the document is the same search.
            let filter = "FROM submissions s WHERE s.state = 'published' \
                 AND s.withdrawn_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM submissions n WHERE n.case_uid = s.case_uid \
                     AND n.state = 'published' AND n.version > s.version) \
                 AND ($1::TEXT IS NULL OR EXISTS (SELECT 1 FROM \
                     jsonb_path_query(s.case_json::jsonb, 'strict $.**') v \
                     WHERE jsonb_typeof(v) = 'string' AND (v #>> '{}') ILIKE $1 ESCAPE '\\')) \
                 AND ($2::TEXT IS NULL OR s.country = $2) \
                 AND ($3::TEXT IS NULL OR EXISTS (SELECT 1 FROM submission_mdg_targets t \
                     WHERE t.submission_id = s.id AND t.target = $3))";
            let total: i64 = client
                .query_one(
                    &format!("SELECT COUNT(*) {filter}"),
                    &[&pattern, &q.country, &q.mdg_target],
                )
                .await?
                .try_get(0)?;
            let sql = format!(
                "SELECT {SUBMISSION_COLUMNS} {filter} \
                 ORDER BY s.published_at DESC, s.id LIMIT $4 OFFSET $5"
            );
            let rows = query_submissions(
                &client,
                &sql,
                &[&pattern, &q.country, &q.mdg_target, &limit, &offset],
            )
            .await?;
            Ok((u64::try_from(total).unwrap_or(0), rows))
        })
    }

    fn upload_is_attached(&self, upload_id: Uuid) -> Result<bool> {
        self.run(|client| async move {
            Ok(client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM submission_files WHERE upload_id = $1)",
                    &[&upload_id.to_string()],
                )
                .await?
                .try_get(0)?)
        })
    }

    fn claim_upload_deletion(&self, upload_id: Uuid, now: i64) -> Result<bool> {
        self.run(|mut client| async move {
            let tx = client.transaction().await?;
            let id = upload_id.to_string();
            // The same lock `insert_submission` takes per file: one of the two waits for the
            // other's commit and then sees it.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&upload_lock_key(upload_id)]).await?;
            let attached: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM submission_files WHERE upload_id = $1)",
                    &[&id],
                )
                .await?
                .try_get(0)?;
            if !attached {
                tx.execute(
                    "DELETE FROM deleted_uploads WHERE deleted_at < $1",
                    &[&now.saturating_sub(DELETED_UPLOAD_MEMORY_SECS)],
                )
                .await?;
                tx.execute(
                    "INSERT INTO deleted_uploads (upload_id, deleted_at) VALUES ($1, $2) \
                     ON CONFLICT (upload_id) DO UPDATE SET deleted_at = excluded.deleted_at",
                    &[&id, &now],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(!attached)
        })
    }

    fn take_rate_token(
        &self,
        focal_point_id: i64,
        burst: u32,
        per_second: f64,
    ) -> Result<Option<std::result::Result<(), Duration>>> {
        let burst = f64::from(burst.max(1));
        self.run(|client| async move {
            // One statement, so that instances taking tokens at once queue on the row: the
            // bucket refilled since its last use, less this request's token when it has one.
            // The clock is the database's, the same for every instance.
            let row = client
                .query_one(
                    "INSERT INTO rate_buckets AS b (focal_point_id, tokens, updated_at_ms, last_took) \
                     VALUES ($1, $2::FLOAT8 - 1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT, TRUE) \
                     ON CONFLICT (focal_point_id) DO UPDATE SET \
                       tokens = LEAST($2::FLOAT8, b.tokens + GREATEST(0, excluded.updated_at_ms - b.updated_at_ms)::FLOAT8 / 1000.0 * $3::FLOAT8) \
                         - CASE WHEN LEAST($2::FLOAT8, b.tokens + GREATEST(0, excluded.updated_at_ms - b.updated_at_ms)::FLOAT8 / 1000.0 * $3::FLOAT8) >= 1 \
                           THEN 1 ELSE 0 END, \
                       last_took = LEAST($2::FLOAT8, b.tokens + GREATEST(0, excluded.updated_at_ms - b.updated_at_ms)::FLOAT8 / 1000.0 * $3::FLOAT8) >= 1, \
                       updated_at_ms = GREATEST(b.updated_at_ms, excluded.updated_at_ms) \
                     RETURNING tokens, last_took",
                    &[&focal_point_id, &burst, &per_second],
                )
                .await?;
            let tokens: f64 = row.try_get(0)?;
            let took: bool = row.try_get(1)?;
            if took {
                return Ok(Some(Ok(())));
            }
            let wait = if per_second > 0.0 { (1.0 - tokens) / per_second } else { 3600.0 };
            Ok(Some(Err(Duration::from_secs_f64(wait.max(0.001)))))
        })
    }
}

/// The advisory-lock key of an upload: its UUID's first 64 bits (random in a v4 UUID).
pub fn upload_lock_key(id: Uuid) -> i64 {
    let bytes = id.as_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[..8]);
    i64::from_be_bytes(first)
}

/// The upload lock across instances: a session advisory lock on its own connection per held
/// upload, so that the lock goes when the holder lets go or its instance dies (PostgreSQL
/// ends the session). A request that finds the lock held elsewhere asks the holder to stop
/// through `NOTIFY`, as a request does inside one instance (`http::tus::UploadLocks`).
pub struct PostgresUploadLocks {
    config: tokio_postgres::Config,
    /// Names this instance in its requests to stop, which it ignores itself: inside one
    /// instance its own lock already asked.
    instance: Uuid,
}

/// Held while the connection lives.
pub struct SharedUploadLock {
    _client: tokio_postgres::Client,
}

/// The channel on which instances ask each other to let an upload go.
pub const STOP_CHANNEL: &str = "paks_upload_stop";

impl PostgresUploadLocks {
    pub fn new(store: &PostgresMetadataStore) -> Self {
        Self { config: store.connection_config().clone(), instance: Uuid::new_v4() }
    }

    async fn connect(&self) -> Result<tokio_postgres::Client> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL lock connection ended");
            }
        });
        Ok(client)
    }

    /// The lock when no other instance holds it.
    pub async fn try_lock(&self, id: Uuid) -> Result<Option<SharedUploadLock>> {
        let client = self.connect().await?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&upload_lock_key(id)])
            .await?
            .try_get(0)?;
        Ok(got.then_some(SharedUploadLock { _client: client }))
    }

    /// Asks whichever instance holds `id` to stop.
    pub async fn request_stop(&self, id: Uuid) -> Result<()> {
        let client = self.connect().await?;
        let payload = format!("{} {id}", self.instance);
        client.execute("SELECT pg_notify($1, $2)", &[&STOP_CHANNEL, &payload]).await?;
        Ok(())
    }

    /// Calls `on_stop` with each upload another instance asks to stop, until the connection
    /// fails (then reconnects after a pause). Runs until its task is aborted.
    pub async fn listen(self: Arc<Self>, on_stop: impl Fn(Uuid) + Send + 'static) {
        loop {
            if let Err(e) = self.listen_once(&on_stop).await {
                tracing::warn!(error = %e, "listening for upload takeovers failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, on_stop: &(impl Fn(Uuid) + Send)) -> Result<()> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        if tx.send(n.payload().to_owned()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        client.batch_execute(&format!("LISTEN {STOP_CHANNEL}")).await?;
        while let Some(payload) = rx.recv().await {
            let Some((from, id)) = payload.split_once(' ') else { continue };
            if from != self.instance.to_string()
                && let Ok(id) = Uuid::parse_str(id)
            {
                on_stop(id);
            }
        }
        drop(client);
        driver.await.map_err(|e| Error::Join(e.to_string()))??;
        Err(Error::Database("the takeover listener's connection closed".into()))
    }
}
