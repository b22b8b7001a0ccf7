//! Focal points, submissions and idempotency records: the `MetadataStore` interface.
//!
//! The default implementation is `SqliteMetadataStore`; a PostgreSQL one implements the same
//! trait (see docs/server.md). Methods are blocking; the HTTP layer calls them off the async
//! threads.

use paks_protocol::{Receipt, SubmissionState};
use uuid::Uuid;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocalPoint {
    pub id: i64,
    pub country: String,
    pub name: String,
    pub email: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewFocalPoint {
    pub country: String,
    pub name: String,
    pub email: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub upload_id: Uuid,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

/// A submission as stored: the canonical case JSON and the receipt it was answered with.
#[derive(Debug, Clone)]
pub struct SubmissionRecord {
    pub id: Uuid,
    pub case_uid: Uuid,
    pub version: u32,
    pub replaces: Option<Uuid>,
    pub replaced_by: Option<Uuid>,
    pub focal_point_id: i64,
    pub country: String,
    pub title: String,
    pub case_json: String,
    pub case_sha256: String,
    pub received_at: String,
    pub state: SubmissionState,
    pub reviewer_comment: Option<String>,
    pub updated_at: String,
    pub published_at: Option<String>,
    /// When the operator withdrew the case from the public space (every version of it).
    pub withdrawn_at: Option<String>,
    pub receipt: Receipt,
    pub mdg_targets: Vec<String>,
    pub files: Vec<StoredFile>,
}

/// A claim on an Idempotency-Key held by one worker: the submission that answers the key, a
/// renewal and a release all name its `token`, so a worker whose lease lapsed and was taken over
/// can no longer commit or free the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyLease {
    pub focal_point_id: i64,
    pub key: String,
    pub token: Uuid,
}

/// What the idempotency table says about a key when a request claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use, or the previous claim's lease lapsed: the caller now holds the key until
    /// `lease_expires_at` and must renew the lease while it works, then answer the key with
    /// `insert_submission` or `release` it.
    Claimed(IdempotencyLease),
    /// Same key and body, still being processed under a live lease.
    InProgress,
    /// Same key, another body.
    BodyMismatch,
    /// Same key and body, done: replay this response.
    Completed { status: u16, body: String },
}

/// Filters of the public listing.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub text: Option<String>,
    pub country: Option<String>,
    pub mdg_target: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One case in the public change feed: its newest published version, or a tombstone.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    /// Position in the feed; a later change to the same case takes a higher one.
    pub seq: u64,
    /// Unix seconds of the change.
    pub changed_at: i64,
    pub withdrawn: bool,
    /// The newest published version; for a tombstone, the last version that was public.
    pub submission: SubmissionRecord,
}

/// Which feed entries a reader wants: all of them after `after_seq`, in `seq` order, narrowed by
/// the OAI-PMH selective-harvesting arguments.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub after_seq: u64,
    /// Unix seconds, inclusive.
    pub changed_from: Option<i64>,
    /// Unix seconds, inclusive.
    pub changed_until: Option<i64>,
    pub country: Option<String>,
    /// An MDG goal number (`1`..`8`): cases linked to one of its targets.
    pub mdg_goal: Option<u8>,
    /// An SDG goal number (`1`..`17`).
    pub sdg_goal: Option<u8>,
    pub limit: u32,
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    /// The highest `seq` in the whole feed when the page was read (the feed's version).
    pub head: u64,
    /// How many entries match the query's filters after `after_seq`, this page included.
    pub remaining: u64,
    pub entries: Vec<FeedEntry>,
}

/// A PAKS Desk release the operator published, one file for one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskRelease {
    /// Tauri's name of the operating system: `linux`, `windows`.
    pub target: String,
    pub arch: String,
    /// Semantic version, e.g. `0.2.0`.
    pub version: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    /// The minisign signature as `tauri signer sign` writes it (base64 of the .sig file).
    pub signature: String,
    pub notes: String,
    pub published_at: String,
}

/// A reviewer account of the web console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub id: i64,
    pub email: String,
    pub created_at: String,
    /// Wrong passwords since the last sign-in or lock-out.
    pub failed_sign_ins: u32,
    /// Unix seconds: no sign-in until then.
    pub locked_until: Option<i64>,
}

/// A reviewer with the Argon2id PHC string of their password.
#[derive(Debug, Clone)]
pub struct ReviewerCredentials {
    pub reviewer: Reviewer,
    pub password_hash: String,
}

/// A signed-in console session; only the SHA-256 of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerSession {
    pub token_sha256: String,
    pub reviewer_id: i64,
    pub reviewer_email: String,
    pub csrf_token: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request.
    pub last_seen_at: i64,
}

/// One review decision in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    /// The reviewer's e-mail, or `cli` for the operator's command line.
    pub actor: String,
    pub submission_id: Uuid,
    /// The state the decision moved the submission to (`published`, `rejected` …).
    pub action: String,
    pub comment: Option<String>,
}

pub trait MetadataStore: Send + Sync + 'static {
    /// A cheap round trip to the database, for `/readyz`: fails when it cannot be read now.
    fn ping(&self) -> Result<()>;

    fn add_focal_point(&self, new: &NewFocalPoint, token_sha256: &str) -> Result<FocalPoint>;
    fn focal_points(&self) -> Result<Vec<FocalPoint>>;
    fn focal_point_by_token(&self, token_sha256: &str) -> Result<Option<FocalPoint>>;
    /// False when there is no such focal point.
    fn revoke_focal_point(&self, id: i64, at: &str) -> Result<bool>;

    /// Claims `key` until `lease_expires_at` (Unix seconds); `now` is Unix seconds too. An
    /// unanswered claim whose lease lapsed counts as absent.
    fn claim_idempotency_key(
        &self,
        focal_point_id: i64,
        key: &str,
        request_sha256: &str,
        now: i64,
        lease_expires_at: i64,
    ) -> Result<IdempotencyClaim>;
    /// Extends a lease still held; false when it was taken over or released.
    fn renew_idempotency_lease(&self, lease: &IdempotencyLease, expires_at: i64) -> Result<bool>;
    /// Whether `key` was claimed or answered for this focal point (read only).
    fn idempotency_key_exists(&self, focal_point_id: i64, key: &str) -> Result<bool>;
    /// Forgets a claimed key whose request failed, so that a corrected retry can use it.
    fn release_idempotency_key(&self, lease: &IdempotencyLease) -> Result<()>;
    /// Frees every unanswered claim: at start-up none of them has a worker any more. Returns how
    /// many were freed.
    fn release_unanswered_idempotency_keys(&self) -> Result<usize>;

    /// Stores the submission and the response of its idempotency key in one transaction.
    /// `Error::Conflict` when this case version exists already, the lease is no longer held, or
    /// one of its uploads was claimed for deletion (`claim_upload_deletion`).
    fn insert_submission(
        &self,
        record: &SubmissionRecord,
        lease: &IdempotencyLease,
        response_status: u16,
        response_body: &str,
    ) -> Result<()>;
    fn submission(&self, id: Uuid) -> Result<Option<SubmissionRecord>>;
    /// The submission of one version of a case, however it arrived.
    fn submission_of_version(
        &self,
        case_uid: Uuid,
        version: u32,
    ) -> Result<Option<SubmissionRecord>>;
    fn submissions(&self, state: Option<SubmissionState>) -> Result<Vec<SubmissionRecord>>;
    /// False when there is no such submission. In the same transaction, the decision goes into
    /// the audit log under `actor`, and when the case's newest published version changes
    /// (published, or a published version moved back), its `public_feed` entry takes the next
    /// `seq`; publishing a withdrawn case makes it public again.
    fn set_state(
        &self,
        id: Uuid,
        state: SubmissionState,
        comment: Option<&str>,
        at: &str,
        actor: &str,
    ) -> Result<bool>;
    /// The audit log, oldest first: every decision, or those on one submission.
    fn review_audit(&self, submission: Option<Uuid>) -> Result<Vec<AuditEntry>>;

    /// `Error::Conflict` when the e-mail address has an account already.
    fn add_reviewer(&self, email: &str, password_hash: &str, at: &str) -> Result<Reviewer>;
    fn reviewers(&self) -> Result<Vec<Reviewer>>;
    /// Removes the account and its sessions (its decisions stay in the audit log); false when
    /// there is no such account.
    fn remove_reviewer(&self, email: &str) -> Result<bool>;
    fn reviewer_credentials(&self, email: &str) -> Result<Option<ReviewerCredentials>>;
    /// Counts a wrong password; the `max_failures`-th in a row locks the account until
    /// `lock_until` (Unix seconds) and starts the count again.
    fn record_failed_sign_in(
        &self,
        reviewer_id: i64,
        max_failures: u32,
        lock_until: i64,
    ) -> Result<()>;
    /// A successful sign-in: forgets the failures and opens `session`.
    fn open_reviewer_session(&self, session: &ReviewerSession) -> Result<()>;
    /// The session of a token hash, with its reviewer's e-mail.
    fn reviewer_session(&self, token_sha256: &str) -> Result<Option<ReviewerSession>>;
    fn touch_reviewer_session(&self, token_sha256: &str, now: i64) -> Result<()>;
    /// Sign-out, or an expired session.
    fn delete_reviewer_session(&self, token_sha256: &str) -> Result<()>;
    /// Withdraws every version of a case from the public space and turns its feed entry into a
    /// tombstone with the next `seq`, in one transaction. `Error::NotFound` when the case has
    /// no public version; false when it was already withdrawn.
    fn withdraw_case(&self, case_uid: Uuid, at: &str) -> Result<bool>;
    /// Sets the event a case belongs to (`None` clears it), as `actor`; `Error::NotFound` when
    /// no submission has that case uid.
    fn set_case_event(
        &self,
        case_uid: Uuid,
        event: Option<&str>,
        at: &str,
        actor: &str,
    ) -> Result<()>;
    /// Every case that belongs to an event, with its event, by event.
    fn case_events(&self) -> Result<Vec<(Uuid, String)>>;
    /// The feed entries after `query.after_seq` that match its filters, in `seq` order, at most
    /// `query.limit`, read in one snapshot.
    fn public_feed(&self, query: &FeedQuery) -> Result<FeedPage>;
    /// The countries (alpha-3) of the feed's entries, tombstones included, in order.
    fn public_feed_countries(&self) -> Result<Vec<String>>;
    /// The feed entry of one case, if it was ever published.
    fn public_feed_entry(&self, case_uid: Uuid) -> Result<Option<FeedEntry>>;
    /// Published cases, not withdrawn, newest version of each case only, newest first; and the
    /// total count.
    fn published(&self, query: &CaseQuery) -> Result<(u64, Vec<SubmissionRecord>)>;
    fn upload_is_attached(&self, upload_id: Uuid) -> Result<bool>;
    /// Before an upload is deleted (by its owner or the expiry sweeper): false when a
    /// submission uses it; otherwise records that it is being deleted, so that no submission can
    /// take it from then on, and returns true. `now` is Unix seconds.
    fn claim_upload_deletion(&self, upload_id: Uuid, now: i64) -> Result<bool>;
    /// Records a release; false when this target, architecture and version already has one.
    fn add_desk_release(&self, release: &DeskRelease) -> Result<bool>;
    /// Every release of `target` and `arch`, in no order.
    fn desk_releases(&self, target: &str, arch: &str) -> Result<Vec<DeskRelease>>;

    /// Takes one request's token from `focal_point_id`'s bucket (`burst` tokens, refilled at
    /// `per_second`) kept in the store, so that every instance sharing the store shares the
    /// limit; `Err(wait)` inside when the bucket is empty. `None`: this store keeps no buckets,
    /// the process's own `RateLimiter` decides (one instance).
    fn take_rate_token(
        &self,
        _focal_point_id: i64,
        _burst: u32,
        _per_second: f64,
    ) -> Result<Option<std::result::Result<(), std::time::Duration>>> {
        Ok(None)
    }
}
