#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! PAKS beyond one machine, with real parts: PostgreSQL 15 from Debian (started here in a temp
//! folder as the `postgres` user), s3s-fs from crates.io as the S3 store, nginx from Debian
//! terminating TLS in front of two `paks-server` processes.
//!
//! - the store contracts, run over every implementation (SQLite and PostgreSQL; a folder and S3);
//! - two instances sharing PostgreSQL and S3 behind nginx: an upload begun on A finished on B,
//!   the same submission sent to both at once stored once, A killed mid-upload and B finishing
//!   it, a stalled client on A taken over from B, one rate limit across both.
//!
//! What these tests need is installed by `scripts/setup-debian.sh test`; a missing part fails
//! the test with what to install (never a skip).

mod common;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    b64, new_upload_info, patch_at as patch, public_key, request_json, sample_case, sha256_hex,
    test_client, upload_id,
};
use paks_protocol::AttachmentDescriptor;
use paks_server::disk_store::DiskUploadStore;
use paks_server::error::Error;
use paks_server::metadata::{IdempotencyClaim, IdempotencyLease, MetadataStore, NewFocalPoint};
use paks_server::pg_store::PostgresMetadataStore;
use paks_server::s3_store::S3UploadStore;
use paks_server::sqlite_store::SqliteMetadataStore;
use paks_server::upload_store::UploadStore;
use uuid::Uuid;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const BUCKET: &str = "paks-bucket";
const ACCESS_KEY: &str = "paks-test-access";
const SECRET_KEY: &str = "paks-test-secret-key";
const MIB: usize = 1024 * 1024;

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on port {port} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A PostgreSQL 15 cluster of its own, on a free port, stopped when dropped.
struct Postgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
}

impl Postgres {
    fn start() -> Postgres {
        assert!(
            Path::new(PG_BIN).join("initdb").exists(),
            "PostgreSQL 15 is missing: scripts/setup-debian.sh test installs it (apt postgresql)"
        );
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        run(Command::new("chown").args(["postgres:postgres"]).arg(dir.path()));
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Path::new(PG_BIN).join("initdb"))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data));
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.path().display()
        );
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Path::new(PG_BIN).join("pg_ctl"))
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(dir.path().join("log"))
            .arg("-D")
            .arg(&data)
            .arg("start"));
        Postgres { _dir: dir, data, port }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Path::new(PG_BIN).join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(&self.data)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// s3s-fs serving a folder as S3 on a free port, with one bucket.
struct S3 {
    root: tempfile::TempDir,
    port: u16,
    child: Child,
}

fn s3s_fs_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PAKS_S3S_FS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap();
    let path = home.join("bin/s3s-fs");
    assert!(
        path.exists(),
        "s3s-fs is missing: scripts/setup-debian.sh test installs it (cargo install s3s-fs)"
    );
    path
}

impl S3 {
    fn start() -> S3 {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = free_port();
        let child = Command::new(s3s_fs_binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "s3s-fs");
        S3 { root, port, child }
    }

    /// The settings every S3 client here gets, as AWS tools read them from the environment.
    fn settings(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", self.port)),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Where s3s-fs keeps the object `key` of the bucket.
    fn object_file(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }

    fn objects_under(&self, prefix: &str) -> Vec<String> {
        let dir = self.root.path().join(BUCKET).join(prefix);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// The `UploadStore` contract, the same for every implementation: committed offsets only, a
/// rolled-back or dropped writer keeps nothing, wrong offsets refused, parts across S3's 5 MiB
/// minimum, the SHA-256 at completion, kept uploads, deletion.
fn upload_store_contract(store: &dyn UploadStore) {
    store.check_ready().expect("ready for /readyz");
    let length = 12 * MIB + 123;
    let data = bytes_of(length, 7);
    let info = new_upload_info(1, length as u64);
    let id = info.id;
    store.create(&info).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().offset, 0);

    let mut w = store.writer(id, 0).unwrap();
    w.write(&data[..MIB]).unwrap();
    assert_eq!(w.commit().unwrap(), MIB as u64);
    assert_eq!(store.get(id).unwrap().unwrap().offset, MIB as u64, "held bytes count");

    assert!(matches!(store.writer(id, 5), Err(Error::Conflict(_))), "a wrong offset is refused");

    let mut w = store.writer(id, MIB as u64).unwrap();
    for chunk in data[MIB..7 * MIB].chunks(MIB) {
        w.write(chunk).unwrap();
    }
    w.rollback().unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().offset, MIB as u64, "a rollback keeps nothing");

    let mut w = store.writer(id, MIB as u64).unwrap();
    w.write(&data[MIB..2 * MIB]).unwrap();
    drop(w);
    assert_eq!(
        store.get(id).unwrap().unwrap().offset,
        MIB as u64,
        "a dropped writer keeps nothing"
    );

    // 1 MiB held + 6 MiB: one part of at least 5 MiB goes, 2 MiB are held.
    let mut w = store.writer(id, MIB as u64).unwrap();
    for chunk in data[MIB..7 * MIB].chunks(MIB) {
        w.write(chunk).unwrap();
    }
    assert_eq!(w.written(), 6 * MIB as u64);
    assert_eq!(w.commit().unwrap(), 7 * MIB as u64);
    assert_eq!(store.get(id).unwrap().unwrap().offset, 7 * MIB as u64);

    let mut w = store.writer(id, 7 * MIB as u64).unwrap();
    w.write(&data[7 * MIB..]).unwrap();
    assert_eq!(w.commit().unwrap(), length as u64);
    let sha = store.complete(id).unwrap();
    assert_eq!(sha, sha256_hex(&data));
    assert_eq!(store.get(id).unwrap().unwrap().info.sha256.as_deref(), Some(sha.as_str()));
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut store.reader(id).unwrap(), &mut read).unwrap();
    assert!(read == data, "the stored bytes are the uploaded ones");

    store.keep(id).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().info.expires_at, None);
    assert!(store.expired(i64::MAX).unwrap().is_empty(), "a kept upload never expires");

    let empty = new_upload_info(2, 0);
    store.create(&empty).unwrap();
    assert_eq!(store.complete(empty.id).unwrap(), sha256_hex(b""));
    assert_eq!(store.usage(2, 0).unwrap().open_uploads, 1);

    let mut ids = store.ids().unwrap();
    ids.sort();
    let mut expected = vec![id, empty.id];
    expected.sort();
    assert_eq!(ids, expected);
    store.delete(id).unwrap();
    store.delete(empty.id).unwrap();
    assert!(store.get(id).unwrap().is_none());
    assert!(store.ids().unwrap().is_empty());
}

#[test]
fn the_upload_store_contract_holds_on_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    upload_store_contract(&DiskUploadStore::open(dir.path()).unwrap());
}

#[test]
fn the_upload_store_contract_holds_on_s3_and_nothing_is_left_in_the_bucket() {
    let s3 = S3::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let store = S3UploadStore::open_with(&format!("s3://{BUCKET}/uploads"), s3.settings()).unwrap();
    upload_store_contract(&store);
    assert_eq!(s3.objects_under("uploads"), Vec::<String>::new(), "deletion leaves nothing");
}

#[test]
fn s3_holds_bytes_under_the_part_minimum_in_the_bucket_and_another_instance_resumes_them() {
    let s3 = S3::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let url = format!("s3://{BUCKET}/p");
    let a = S3UploadStore::open_with(&url, s3.settings()).unwrap();
    let b = S3UploadStore::open_with(&url, s3.settings()).unwrap();
    let data = bytes_of(6 * MIB + 5, 3);
    let info = new_upload_info(1, data.len() as u64);
    a.create(&info).unwrap();
    let mut w = a.writer(info.id, 0).unwrap();
    w.write(&data[..100_000]).unwrap();
    w.commit().unwrap();
    let held = s3.objects_under("p");
    assert!(
        held.contains(&format!("{}.part-0", info.id)),
        "the 100 kB under the part minimum wait in the bucket: {held:?}"
    );
    // Another instance (another store on the same bucket) sees the offset and finishes.
    assert_eq!(b.get(info.id).unwrap().unwrap().offset, 100_000);
    let mut w = b.writer(info.id, 100_000).unwrap();
    w.write(&data[100_000..]).unwrap();
    w.commit().unwrap();
    assert_eq!(b.complete(info.id).unwrap(), sha256_hex(&data));
    assert_eq!(std::fs::read(s3.object_file(&format!("p/{}", info.id))).unwrap(), data);
    let left = s3.objects_under("p");
    assert!(!left.iter().any(|n| n.contains(".part-")), "no held bytes remain: {left:?}");
}

fn focal_point(store: &dyn MetadataStore, token: &str) -> i64 {
    let new = NewFocalPoint {
        country: "LAO".into(),
        name: "T".into(),
        email: "t@example.org".into(),
        expires_at: None,
    };
    store.add_focal_point(&new, token).unwrap().id
}

fn lease_of(claim: IdempotencyClaim) -> IdempotencyLease {
    match claim {
        IdempotencyClaim::Claimed(lease) => lease,
        other => panic!("expected a claim, got {other:?}"),
    }
}

/// The idempotency lease contract, the same for SQLite and PostgreSQL.
fn idempotency_contract(store: &dyn MetadataStore) {
    store.ping().expect("answers /readyz's ping");
    let fp = focal_point(store, "token-hash");
    assert_eq!(store.focal_point_by_token("token-hash").unwrap().unwrap().id, fp);
    let t0 = 1_800_000_000;
    let first = lease_of(store.claim_idempotency_key(fp, "k", "a", t0, t0 + 30).unwrap());
    assert!(store.idempotency_key_exists(fp, "k").unwrap());
    assert_eq!(
        store.claim_idempotency_key(fp, "k", "a", t0 + 10, t0 + 40).unwrap(),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        store.claim_idempotency_key(fp, "k", "b", t0 + 10, t0 + 40).unwrap(),
        IdempotencyClaim::BodyMismatch
    );
    assert!(store.renew_idempotency_lease(&first, t0 + 60).unwrap());
    let second = lease_of(store.claim_idempotency_key(fp, "k", "b", t0 + 60, t0 + 90).unwrap());
    assert_ne!(first.token, second.token);
    assert!(!store.renew_idempotency_lease(&first, t0 + 120).unwrap());
    store.release_idempotency_key(&first).unwrap();
    assert_eq!(
        store.claim_idempotency_key(fp, "k", "b", t0 + 61, t0 + 91).unwrap(),
        IdempotencyClaim::InProgress,
        "the old worker cannot free the new claim"
    );
    store.release_idempotency_key(&second).unwrap();
    assert!(!store.idempotency_key_exists(fp, "k").unwrap());
    let upload = Uuid::new_v4();
    assert!(store.claim_upload_deletion(upload, t0).unwrap());
    assert!(!store.upload_is_attached(upload).unwrap());
}

#[test]
fn the_idempotency_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    idempotency_contract(&SqliteMetadataStore::open(&dir.path().join("paks.sqlite3")).unwrap());
}

#[test]
fn the_idempotency_contract_holds_on_postgres_and_its_migrations_apply_once() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let store = PostgresMetadataStore::connect(&pg.url()).unwrap();
    idempotency_contract(&store);
    // A second instance starting on the same database migrates nothing and sees the same rows.
    let again = PostgresMetadataStore::connect(&pg.url()).unwrap();
    assert_eq!(again.focal_points().unwrap().len(), 1);
}

/// A received submission of `case_uid`, version `version`, for the feed contract.
fn submission(
    fp: i64,
    case_uid: Uuid,
    version: u32,
    at: &str,
) -> paks_server::metadata::SubmissionRecord {
    let id = Uuid::new_v4();
    let receipt = paks_protocol::Receipt {
        receipt_version: 1,
        server_name: "test".into(),
        submission_id: id,
        case_uid,
        version,
        replaces: None,
        country: "LAO".into(),
        received_at: at.into(),
        case_sha256: "0".repeat(64),
        files: Vec::new(),
        key_id: "k".into(),
        signature: String::new(),
    };
    paks_server::metadata::SubmissionRecord {
        id,
        case_uid,
        version,
        replaces: None,
        replaced_by: None,
        focal_point_id: fp,
        country: "LAO".into(),
        title: format!("Case v{version}"),
        case_json: r#"{"sdg_links":[{"target":"16.6"}]}"#.into(),
        case_sha256: "0".repeat(64),
        received_at: at.into(),
        state: paks_protocol::SubmissionState::Received,
        reviewer_comment: None,
        updated_at: at.into(),
        published_at: None,
        withdrawn_at: None,
        receipt,
        mdg_targets: vec!["1.A".into()],
        files: Vec::new(),
    }
}

/// The public feed and the desk releases, the same for SQLite and PostgreSQL: publishing enters
/// the feed, a new version moves the case forward, withdrawing leaves a tombstone later still.
fn feed_and_release_contract(store: &dyn MetadataStore) {
    use paks_protocol::SubmissionState::Published;
    use paks_server::metadata::{DeskRelease, FeedQuery};
    let fp = focal_point(store, "feed-token");
    let case_uid = Uuid::new_v4();
    let t0 = 1_800_000_000;
    let publish = |version: u32, key: &str, at: &str| {
        let lease = lease_of(store.claim_idempotency_key(fp, key, key, t0, t0 + 30).unwrap());
        let record = submission(fp, case_uid, version, at);
        store.insert_submission(&record, &lease, 201, "{}").unwrap();
        assert!(store.set_state(record.id, Published, None, at, "cli").unwrap());
        record.id
    };
    let all = |after_seq: u64| FeedQuery { after_seq, limit: 10, ..FeedQuery::default() };
    let first = publish(1, "a", "2027-01-01T00:00:00Z");
    let page = store.public_feed(&all(0)).unwrap();
    assert_eq!((page.head, page.remaining, page.entries.len()), (1, 1, 1));
    assert_eq!(page.entries[0].submission.id, first);
    let by_sdg = FeedQuery { sdg_goal: Some(16), ..all(0) };
    assert_eq!(store.public_feed(&by_sdg).unwrap().entries.len(), 1, "SDG 16 set");
    let by_other_sdg = FeedQuery { sdg_goal: Some(1), ..all(0) };
    assert!(store.public_feed(&by_other_sdg).unwrap().entries.is_empty());

    let second = publish(2, "b", "2027-01-02T00:00:00Z");
    let page = store.public_feed(&all(1)).unwrap();
    assert_eq!(page.entries.len(), 1, "the case moved forward once");
    assert_eq!((page.entries[0].seq, page.entries[0].submission.id), (2, second));
    assert_eq!(store.public_feed_countries().unwrap(), vec!["LAO".to_owned()]);

    assert!(store.withdraw_case(case_uid, "2027-01-03T00:00:00Z").unwrap());
    assert!(!store.withdraw_case(case_uid, "2027-01-03T00:00:01Z").unwrap(), "already withdrawn");
    let entry = store.public_feed_entry(case_uid).unwrap().unwrap();
    assert!(entry.withdrawn && entry.seq == 3, "{entry:?}");
    let (total, _) = store
        .published(&paks_server::metadata::CaseQuery { limit: 10, ..Default::default() })
        .unwrap();
    assert_eq!(total, 0, "a withdrawn case is not public");

    let release = DeskRelease {
        target: "linux".into(),
        arch: "x86_64".into(),
        version: "0.2.0".into(),
        file_name: "paks-desk_0.2.0_amd64.deb".into(),
        size: 12,
        sha256: "1".repeat(64),
        signature: "sig".into(),
        notes: String::new(),
        published_at: "2027-01-04T00:00:00Z".into(),
    };
    assert!(store.add_desk_release(&release).unwrap());
    assert!(!store.add_desk_release(&release).unwrap(), "a version is published once");
    assert_eq!(store.desk_releases("linux", "x86_64").unwrap(), vec![release]);
}

#[test]
fn the_feed_and_release_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    feed_and_release_contract(
        &SqliteMetadataStore::open(&dir.path().join("paks.sqlite3")).unwrap(),
    );
}

#[test]
fn the_feed_and_release_contract_holds_on_postgres() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    feed_and_release_contract(&PostgresMetadataStore::connect(&pg.url()).unwrap());
}

/// The events cases belong to (for the proceedings), the same for SQLite and PostgreSQL.
fn case_event_contract(store: &dyn MetadataStore) {
    let fp = focal_point(store, "event-token");
    let t0 = 1_800_000_000;
    let unknown = Uuid::new_v4();
    let refused = store.set_case_event(unknown, Some("Workshop"), "2027-01-01T00:00:00Z", "cli");
    assert!(matches!(refused, Err(Error::NotFound(_))), "{refused:?}");

    let mut cases = Vec::new();
    for key in ["e1", "e2"] {
        let lease = lease_of(store.claim_idempotency_key(fp, key, key, t0, t0 + 30).unwrap());
        let record = submission(fp, Uuid::new_v4(), 1, "2027-01-01T00:00:00Z");
        store.insert_submission(&record, &lease, 201, "{}").unwrap();
        cases.push(record.case_uid);
    }
    let at = "2027-01-02T00:00:00Z";
    store.set_case_event(cases[0], Some("Bangkok 2009"), at, "cli").unwrap();
    store.set_case_event(cases[1], Some("Almaty 2010"), at, "cli").unwrap();
    let mut expected =
        vec![(cases[1], "Almaty 2010".to_owned()), (cases[0], "Bangkok 2009".to_owned())];
    assert_eq!(store.case_events().unwrap(), expected, "by event");

    store.set_case_event(cases[1], Some("Bangkok 2009"), at, "cli").unwrap();
    expected = vec![(cases[0], "Bangkok 2009".to_owned()), (cases[1], "Bangkok 2009".to_owned())];
    expected.sort();
    let mut events = store.case_events().unwrap();
    events.sort();
    assert_eq!(events, expected, "set again, a case moves to the other event");

    store.set_case_event(cases[0], None, at, "cli").unwrap();
    assert_eq!(store.case_events().unwrap(), vec![(cases[1], "Bangkok 2009".to_owned())]);
}

#[test]
fn the_case_event_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    case_event_contract(&SqliteMetadataStore::open(&dir.path().join("paks.sqlite3")).unwrap());
}

#[test]
fn the_case_event_contract_holds_on_postgres() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    case_event_contract(&PostgresMetadataStore::connect(&pg.url()).unwrap());
}

#[test]
fn two_instances_on_postgres_share_one_rate_limit() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let a = PostgresMetadataStore::connect(&pg.url()).unwrap();
    let b = PostgresMetadataStore::connect(&pg.url()).unwrap();
    let fp = focal_point(&a, "t");
    let mut granted = 0;
    for i in 0..6 {
        let store: &dyn MetadataStore = if i % 2 == 0 { &a } else { &b };
        if store.take_rate_token(fp, 4, 0.001).unwrap().unwrap().is_ok() {
            granted += 1;
        }
    }
    assert_eq!(granted, 4, "a burst of 4 across both instances, not 4 each");
    let wait = a.take_rate_token(fp, 4, 0.001).unwrap().unwrap().unwrap_err();
    assert!(wait > Duration::from_secs(100), "{wait:?}");
}

// ---------------------------------------------------------------------------------------------
// Two `paks-server` processes over PostgreSQL and S3, behind nginx terminating TLS.

type Instance = common::ServerProcess;

fn start_instance(pg: &Postgres, s3: &S3, data: &Path, key: &Path) -> Instance {
    let storage = format!("s3://{BUCKET}/paks");
    let key = key.to_str().unwrap();
    let extra = ["--database", &pg.url(), "--storage", &storage, "--key-file", key];
    let delays = ["--test-processing-delay-ms", "1500", "--rate-burst", "1000"];
    common::ServerProcess::start_with_env(data, &[&extra[..], &delays[..]].concat(), s3.settings())
}

struct Nginx {
    child: Child,
    port: u16,
    ca_pem: Vec<u8>,
}

impl Nginx {
    /// nginx on a free port with a certificate made here for 127.0.0.1 (its own CA), proxying
    /// to `upstreams` with the configuration docs/server.md shows.
    fn start(dir: &Path, upstreams: &[&str]) -> Nginx {
        assert!(
            Path::new("/usr/sbin/nginx").exists(),
            "nginx is missing: scripts/setup-debian.sh test installs it (apt nginx-light)"
        );
        let tls = dir.join("tls");
        std::fs::create_dir_all(&tls).unwrap();
        let ca_key = tls.join("ca.key");
        let ca = tls.join("ca.pem");
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
            .args(["-nodes", "-days", "2", "-subj", "/CN=PAKS test CA", "-keyout"])
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca));
        let key = tls.join("server.key");
        let csr = tls.join("server.csr");
        run(Command::new("openssl")
            .args(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&csr));
        let ext = tls.join("ext.cnf");
        std::fs::write(&ext, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
        let cert = tls.join("server.pem");
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&ca)
            .arg("-CAkey")
            .arg(&ca_key)
            .args(["-CAcreateserial", "-extfile"])
            .arg(&ext)
            .arg("-out")
            .arg(&cert));
        let port = free_port();
        let servers: String = upstreams
            .iter()
            .map(|u| format!("        server {} max_fails=0;\n", u.trim_start_matches("http://")))
            .collect();
        let template = include_str!("../../../docs/deploy/nginx-paks.conf");
        let site = template
            .replace("        server 127.0.0.1:8641 max_fails=0;\n        server 127.0.0.1:8642 max_fails=0;\n", &servers)
            .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;"))
            .replace("/etc/ssl/paks/server.pem", cert.to_str().unwrap())
            .replace("/etc/ssl/paks/server.key", key.to_str().unwrap());
        assert!(site.contains(&format!("127.0.0.1:{port}")), "the template's listen line moved");
        let temp = dir.join("nginx-temp");
        std::fs::create_dir_all(&temp).unwrap();
        let conf = format!(
            "daemon off;\nworker_processes 1;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n    access_log off;\n    client_body_temp_path {t}/body;\n    proxy_temp_path {t}/proxy;\n\
             fastcgi_temp_path {t}/fastcgi;\n    uwsgi_temp_path {t}/uwsgi;\n    scgi_temp_path {t}/scgi;\n{site}\n}}\n",
            d = dir.display(),
            t = temp.display(),
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("/usr/sbin/nginx")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "nginx");
        Nginx { child, port, ca_pem: std::fs::read(&ca).unwrap() }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A client that trusts only the test CA: what reaches the instances went through TLS.
    fn client(&self) -> reqwest::Client {
        let _ = test_client();
        let cert = reqwest::Certificate::from_pem(&self.ca_pem).unwrap();
        reqwest::Client::builder().tls_certs_only([cert]).build().unwrap()
    }
}

impl Drop for Nginx {
    /// SIGTERM, so that the master stops its workers (a SIGKILLed master leaves them running).
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    dir: tempfile::TempDir,
    s3: S3,
    pg: Postgres,
    a: Instance,
    b: Instance,
    token: String,
}

impl Cluster {
    fn start() -> Cluster {
        let pg = Postgres::start();
        let s3 = S3::start();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("server-key.ed25519");
        // A makes the key and migrates the database; B starts on both.
        let a = start_instance(&pg, &s3, &dir.path().join("a"), &key);
        let b = start_instance(&pg, &s3, &dir.path().join("b"), &key);
        let out = run(Command::new(env!("CARGO_BIN_EXE_paks-server"))
            .args(["focal-point", "add", "--database", &pg.url(), "--country", "LAO"])
            .args(["--name", "Test Focal Point", "--email", "fp@example.org"])
            .arg("--data")
            .arg(dir.path().join("operator")));
        let token = out.lines().last().unwrap().trim().to_owned();
        Cluster { dir, s3, pg, a, b, token }
    }

    fn object(&self, id: Uuid) -> PathBuf {
        self.s3.object_file(&format!("paks/{id}"))
    }
}

async fn create_upload(client: &reqwest::Client, base: &str, token: &str, length: u64) -> String {
    let res = client
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", format!("filename {}", b64(b"report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn offset_of(client: &reqwest::Client, base: &str, token: &str, location: &str) -> u64 {
    let res = client
        .head(format!("{base}{location}"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_begun_on_one_instance_is_finished_on_the_other_and_lands_in_the_bucket() {
    let c = Cluster::start();
    let client = test_client();
    let data = bytes_of(9 * MIB + 17, 11);
    let location = create_upload(&client, &c.a.url, &c.token, data.len() as u64).await;
    let res = patch(&client, &c.a.url, &c.token, &location, 0, data[..6 * MIB].to_vec()).await;
    assert_eq!(res.status(), 204);
    assert_eq!(offset_of(&client, &c.b.url, &c.token, &location).await, 6 * MIB as u64);
    let res =
        patch(&client, &c.b.url, &c.token, &location, 6 * MIB as u64, data[6 * MIB..].to_vec())
            .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let id = upload_id(&location);
    let stored = std::fs::read(c.object(id)).unwrap();
    assert_eq!(sha256_hex(&stored), sha256_hex(&data), "the bucket holds the uploaded bytes");
    assert_eq!(offset_of(&client, &c.a.url, &c.token, &location).await, data.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_submission_sent_through_nginx_to_both_instances_at_once_is_stored_once() {
    let c = Cluster::start();
    let nginx = Nginx::start(c.dir.path(), &[&c.a.url, &c.b.url]);
    let client = nginx.client();
    let base = nginx.url();
    // Through nginx (round robin): the upload's requests land on both instances.
    let data = bytes_of(300_000, 5);
    let location = create_upload(&client, &base, &c.token, data.len() as u64).await;
    let res = patch(&client, &base, &c.token, &location, 0, data[..100_000].to_vec()).await;
    assert_eq!(res.status(), 204);
    let res = patch(&client, &base, &c.token, &location, 100_000, data[100_000..].to_vec()).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let attachment = AttachmentDescriptor {
        upload_id: upload_id(&location),
        sha256: sha256_hex(&data),
        size: data.len() as u64,
        name: "report.pdf".into(),
        media_type: "application/pdf".into(),
    };
    let body = request_json(&sample_case("LAO"), &[attachment]);
    let send = |base: String| {
        let (client, token, body) = (client.clone(), c.token.clone(), body.clone());
        async move {
            client
                .post(format!("{base}/api/v1/submissions"))
                .bearer_auth(token)
                .header("Idempotency-Key", "\"same-case-twice\"")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // Each instance holds its claim 1.5 s (--test-processing-delay-ms): the two overlap.
    let (first, second) = tokio::join!(send(c.a.url.clone()), send(c.b.url.clone()));
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one stored, the other told it is in progress");
    let replay = common::until_not_in_progress(|| send(base.clone())).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let listed = run(Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .args(["review", "list", "--database", &c.pg.url(), "--data"])
        .arg(c.dir.path().join("operator")));
    assert_eq!(listed.lines().count(), 1, "one submission: {listed}");
    // Both instances sign with the one key.
    let plain = test_client();
    let (key_a, key_b) = (public_key(&plain, &c.a.url).await, public_key(&plain, &c.b.url).await);
    assert_eq!(key_a, key_b);
    assert_eq!(public_key(&client, &base).await, key_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_upload_leaves_what_it_committed_and_the_other_finishes() {
    let mut c = Cluster::start();
    let client = test_client();
    let data = bytes_of(8 * MIB + 3, 9);
    let location = create_upload(&client, &c.a.url, &c.token, data.len() as u64).await;
    assert_eq!(
        patch(&client, &c.a.url, &c.token, &location, 0, data[..2 * MIB].to_vec()).await.status(),
        204
    );
    // A PATCH in flight on A when A dies: its connection stalls, then A is killed.
    let stalled = {
        let url = format!("{}{location}", c.a.url);
        let (token, rest) = (c.token.clone(), data[2 * MIB..4 * MIB].to_vec());
        tokio::spawn(async move {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
            let body = reqwest::Body::wrap_stream(tokio_stream_of(rx));
            let _ = tx.send(Ok(rest[..MIB].to_vec())).await;
            let sent = test_client()
                .patch(url)
                .bearer_auth(token)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", (2 * MIB).to_string())
                .header("Content-Type", "application/offset+octet-stream")
                .header("Content-Length", (2 * MIB).to_string())
                .body(body)
                .send();
            let _ = tokio::time::timeout(Duration::from_secs(20), sent).await;
            drop(tx);
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    c.a.kill9();
    stalled.abort();
    // B finds the upload where A last committed and the lock free (A's session ended).
    let offset = offset_of(&client, &c.b.url, &c.token, &location).await;
    assert_eq!(offset, 2 * MIB as u64, "what A had not committed is not counted");
    let res =
        patch(&client, &c.b.url, &c.token, &location, offset, data[offset as usize..].to_vec())
            .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let stored = std::fs::read(c.object(upload_id(&location))).unwrap();
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_on_one_instance_is_taken_over_from_the_other() {
    let c = Cluster::start();
    let client = test_client();
    let data = bytes_of(3 * MIB, 21);
    let location = create_upload(&client, &c.a.url, &c.token, data.len() as u64).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let stalled = {
        let url = format!("{}{location}", c.a.url);
        let token = c.token.clone();
        tokio::spawn(async move {
            test_client()
                .patch(url)
                .bearer_auth(token)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", "0")
                .header("Content-Type", "application/offset+octet-stream")
                .header("Content-Length", (3 * MIB).to_string())
                .body(reqwest::Body::wrap_stream(tokio_stream_of(rx)))
                .send()
                .await
        })
    };
    tx.send(Ok(data[..MIB].to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The client on A went quiet holding the upload; B asks A (through PostgreSQL) to let go.
    let started = Instant::now();
    let offset = offset_of(&client, &c.b.url, &c.token, &location).await;
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(offset, MIB as u64, "A kept what arrived and let go");
    let res = patch(&client, &c.b.url, &c.token, &location, offset, data[MIB..].to_vec()).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    drop(tx);
    let _ = stalled.await;
    let stored = std::fs::read(c.object(upload_id(&location))).unwrap();
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
}

/// A stream of what arrives on `rx`, for request bodies sent piece by piece.
fn tokio_stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// The reviewers' console in the store, the same for SQLite and PostgreSQL: accounts, the
/// lock-out count, sessions, and decisions with their audit rows (a `rejected` state included).
fn review_console_contract(store: &dyn MetadataStore) {
    use paks_protocol::SubmissionState::{ChangesRequested, Rejected};
    use paks_server::metadata::ReviewerSession;
    let at = "2027-02-01T00:00:00Z";
    let ana = store.add_reviewer("ana@example.org", "$argon2id$hash", at).unwrap();
    assert!(matches!(
        store.add_reviewer("ana@example.org", "$argon2id$other", at),
        Err(paks_server::Error::Conflict(_))
    ));
    for _ in 0..4 {
        store.record_failed_sign_in(ana.id, 5, 1_900_000_000).unwrap();
    }
    let creds = store.reviewer_credentials("ana@example.org").unwrap().unwrap();
    assert_eq!((creds.reviewer.failed_sign_ins, creds.reviewer.locked_until), (4, None));
    assert_eq!(creds.password_hash, "$argon2id$hash");
    store.record_failed_sign_in(ana.id, 5, 1_900_000_000).unwrap();
    let locked = store.reviewer_credentials("ana@example.org").unwrap().unwrap().reviewer;
    assert_eq!((locked.failed_sign_ins, locked.locked_until), (0, Some(1_900_000_000)));

    let session = ReviewerSession {
        token_sha256: "session-hash".into(),
        reviewer_id: ana.id,
        reviewer_email: ana.email.clone(),
        csrf_token: "csrf".into(),
        created_at: 1_800_000_000,
        last_seen_at: 1_800_000_000,
    };
    store.open_reviewer_session(&session).unwrap();
    let opened = store.reviewer_credentials("ana@example.org").unwrap().unwrap().reviewer;
    assert_eq!((opened.failed_sign_ins, opened.locked_until), (0, None), "sign-in unlocks");
    store.touch_reviewer_session("session-hash", 1_800_000_060).unwrap();
    let found = store.reviewer_session("session-hash").unwrap().unwrap();
    assert_eq!(found, ReviewerSession { last_seen_at: 1_800_000_060, ..session.clone() });

    let fp = focal_point(store, "console-token");
    let lease = lease_of(store.claim_idempotency_key(fp, "c", "c", 1, 1_900_000_000).unwrap());
    let record = submission(fp, Uuid::new_v4(), 1, at);
    store.insert_submission(&record, &lease, 201, "{}").unwrap();
    assert!(store.set_state(record.id, ChangesRequested, Some("More"), at, &ana.email).unwrap());
    assert!(store.set_state(record.id, Rejected, Some("No"), at, "cli").unwrap());
    assert!(!store.set_state(Uuid::new_v4(), Rejected, Some("No"), at, "cli").unwrap());
    assert_eq!(store.submission(record.id).unwrap().unwrap().state, Rejected);
    let audit = store.review_audit(Some(record.id)).unwrap();
    let rows: Vec<(&str, &str, Option<&str>)> =
        audit.iter().map(|a| (a.actor.as_str(), a.action.as_str(), a.comment.as_deref())).collect();
    assert_eq!(
        rows,
        [("ana@example.org", "changes_requested", Some("More")), ("cli", "rejected", Some("No"))]
    );
    assert_eq!(store.review_audit(Some(Uuid::new_v4())).unwrap(), []);

    assert!(store.remove_reviewer("ana@example.org").unwrap());
    assert!(store.reviewer_session("session-hash").unwrap().is_none(), "its sessions go too");
    assert!(!store.remove_reviewer("ana@example.org").unwrap());
    assert_eq!(store.review_audit(None).unwrap().len(), 2, "decisions stay in the log");
}

#[test]
fn the_review_console_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    review_console_contract(&SqliteMetadataStore::open(&dir.path().join("paks.sqlite3")).unwrap());
}

#[test]
fn the_review_console_contract_holds_on_postgres() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    review_console_contract(&PostgresMetadataStore::connect(&pg.url()).unwrap());
}
