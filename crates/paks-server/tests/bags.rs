#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Hand-carried bags on the real server over 127.0.0.1: `POST /api/v1/bags` and
//! `paks-server import-bag` turn a valid bag into a submission with a signed receipt, once; bad
//! bags are refused with a clear problem and leave nothing behind.

#[path = "../../paks-bag/tests/support/bagit_py.rs"]
mod bagit_py;
mod common;
#[path = "../../paks-bag/tests/support/draft_bag.rs"]
mod draft_bag;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{
    ServerProcess, TestServer, add_focal_point_cli, assert_problem, cut_points, eventually,
    post_and_hang_up, request_json, sample_case, stored_submissions, unanswered_claims,
    until_not_in_progress,
};
use draft_bag::Draft;
use paks_bag::{BagContents, ExportFile, Tags, write_bag_file};
use paks_protocol::{CaseDocument, Receipt, verify_receipt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A bag of `case` with two attachments, as PAKS Desk writes it.
fn desk_bag(dir: &Path, case: &CaseDocument, key: Option<&str>, root: &str) -> PathBuf {
    let a = dir.join("a.bin");
    let b = dir.join("b.bin");
    std::fs::write(&a, b"%PDF-1.4 census report").unwrap();
    std::fs::write(&b, vec![42u8; 300_000]).unwrap();
    let files = [
        ExportFile { name: "census.pdf".into(), path: a },
        ExportFile { name: "ສະໄລ.pptx".into(), path: b },
    ];
    let json = paks_protocol::canonical_case_json(case).unwrap();
    let mut info = Tags(vec![("Contact-Email".into(), "fp@example.org".into())]);
    if let Some(key) = key {
        info.0.push(("PAKS-Idempotency-Key".into(), key.into()));
    }
    let out = dir.join(format!("{root}.zip"));
    let contents = BagContents { root, case_json: &json, files: &files, info };
    write_bag_file(&out, &contents, &mut |_, _| {}).unwrap();
    out
}

fn spoiled(f: impl FnOnce(&mut Draft) -> &mut Draft) -> Draft {
    let mut d = Draft::valid();
    f(&mut d);
    d
}

async fn post_bag(s: &TestServer, token: &str, bag: &Path) -> reqwest::Response {
    s.client
        .post(s.u("/api/v1/bags"))
        .bearer_auth(token)
        .header("Content-Type", "application/zip")
        .body(std::fs::read(bag).unwrap())
        .send()
        .await
        .unwrap()
}

/// Files in the server's data folder besides its database and key, recursively.
fn leftovers(s: &TestServer) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    for sub in ["uploads", "tmp"] {
        let d = s.dir.path().join(sub);
        if d.exists() {
            walk(&d, &mut out);
        }
    }
    out
}

#[tokio::test]
async fn a_bag_becomes_one_submission_with_a_signed_receipt_however_often_it_is_sent() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case("LAO");
    let bag = desk_bag(dir.path(), &case, Some("case-7-v1-key"), "paks-case-v1");

    let res = post_bag(&s, &token, &bag).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    verify_receipt(&s.public_key().await, &receipt).unwrap();
    assert_eq!(receipt.case_uid, case.case_uid);
    assert_eq!(receipt.case_sha256, paks_protocol::case_sha256(&case).unwrap());
    let files: Vec<(&str, u64, &str)> =
        receipt.files.iter().map(|f| (f.name.as_str(), f.size, f.media_type.as_str())).collect();
    assert_eq!(
        files,
        [
            ("census.pdf", 22, "application/pdf"),
            (
                "ສະໄລ.pptx",
                300_000,
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            )
        ]
    );
    let stored = s.state.meta.submission(receipt.submission_id).unwrap().unwrap();
    assert_eq!(stored.receipt, receipt);
    for f in &receipt.files {
        let upload = s.state.uploads.get(f.upload_id).unwrap().unwrap();
        assert_eq!(upload.info.expires_at, None, "a submitted file is kept");
        assert_eq!(upload.info.sha256.as_deref(), Some(f.sha256.as_str()));
    }

    // The same bag again, and the same version bagged again into other zip bytes: one receipt.
    let again = post_bag(&s, &token, &bag).await;
    assert_eq!(again.status(), 201, "the first answer, replayed");
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Receipt>().await.unwrap(), receipt);
    let rebagged = desk_bag(dir.path(), &case, Some("case-7-v1-key"), "renamed-folder");
    let again = post_bag(&s, &token, &rebagged).await;
    assert_eq!(again.json::<Receipt>().await.unwrap(), receipt);
    assert_eq!(s.state.meta.submissions(None).unwrap().len(), 1, "one submission only");
    let uploads = s.state.uploads.ids().unwrap().len();
    assert_eq!(uploads, 2, "replays store no second copy of the files");
    assert!(!s.dir.path().join("tmp").read_dir().unwrap().any(|_| true), "tmp is emptied");

    // Same key, other text: refused, not merged.
    let mut changed = case.clone();
    changed.title = "Another title".into();
    let other = desk_bag(dir.path(), &changed, Some("case-7-v1-key"), "changed");
    assert_problem(post_bag(&s, &token, &other).await, 422, "idempotency-key-reused").await;
}

#[tokio::test]
async fn an_online_submission_then_its_bag_gives_the_same_receipt() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let case = sample_case("LAO");
    let a = s.upload(&token, "census.pdf", b"%PDF-1.4 census report").await;
    let mut b = s.upload(&token, "ສະໄລ.pptx", &vec![42u8; 300_000]).await;
    b.media_type =
        "application/vnd.openxmlformats-officedocument.presentationml.presentation".into();
    let res = s.submit(&token, "outbox-key-1", &request_json(&case, &[a, b])).await;
    assert_eq!(res.status(), 201);
    let online: Receipt = res.json().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    for key in [Some("outbox-key-1"), None] {
        let bag = desk_bag(dir.path(), &case, key, "paks-case-v1");
        let res = post_bag(&s, &token, &bag).await;
        assert_eq!(res.status(), 201, "{key:?}");
        assert_eq!(res.headers()["idempotent-replayed"], "true");
        assert_eq!(res.json::<Receipt>().await.unwrap(), online, "{key:?}");
    }
    assert_eq!(s.state.meta.submissions(None).unwrap().len(), 1);
    assert_eq!(s.state.uploads.ids().unwrap().len(), 2, "the bag's copies are not kept");
}

#[tokio::test]
async fn a_bag_then_the_same_version_online_gives_the_bags_receipt_and_it_can_be_looked_up() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let case = sample_case("LAO");
    let lookup = |token: &str, uid: String, version: &str| {
        let url = s.u(&format!("/api/v1/receipts/{uid}/{version}"));
        s.client.get(url).bearer_auth(token).send()
    };
    let uid = case.case_uid.to_string();
    assert_problem(lookup(&token, uid.clone(), "1").await.unwrap(), 404, "not-found").await;

    let dir = tempfile::tempdir().unwrap();
    let bag = desk_bag(dir.path(), &case, Some("outbox-key-9"), "paks-case-v1");
    let res = post_bag(&s, &token, &bag).await;
    assert_eq!(res.status(), 201);
    let carried: Receipt = res.json().await.unwrap();

    let found = lookup(&token, uid.clone(), "1").await.unwrap();
    assert_eq!(found.status(), 200);
    let found: Receipt = found.json().await.unwrap();
    assert_eq!(found, carried, "the lookup gives the bag's signed receipt");
    verify_receipt(&s.public_key().await, &found).unwrap();
    assert_problem(lookup(&token, uid.clone(), "2").await.unwrap(), 404, "not-found").await;
    assert_problem(lookup(&token, "not-a-uuid".into(), "1").await.unwrap(), 404, "not-found").await;
    let bhutan = s.focal_point("BTN");
    assert_problem(lookup(&bhutan, uid.clone(), "1").await.unwrap(), 404, "not-found").await;

    // The app sends the same version online with the key the bag carried: one submission.
    let a = s.upload(&token, "census.pdf", b"%PDF-1.4 census report").await;
    let mut b = s.upload(&token, "ສະໄລ.pptx", &vec![42u8; 300_000]).await;
    b.media_type =
        "application/vnd.openxmlformats-officedocument.presentationml.presentation".into();
    let res = s.submit(&token, "outbox-key-9", &request_json(&case, &[a.clone(), b.clone()])).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.json::<Receipt>().await.unwrap(), carried);
    assert_eq!(s.state.meta.submissions(None).unwrap().len(), 1);

    // The same key with other content is still refused.
    let mut changed = case.clone();
    changed.title = "Another title".into();
    let res = s.submit(&token, "outbox-key-9", &request_json(&changed, &[a, b])).await;
    assert_problem(res, 422, "idempotency-key-reused").await;
}

#[tokio::test]
async fn a_bag_made_by_bagit_py_is_ingested() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("lao-census");
    std::fs::create_dir_all(folder.join("attachments")).unwrap();
    let case = sample_case("LAO");
    std::fs::write(folder.join("case.json"), serde_json::to_vec_pretty(&case).unwrap()).unwrap();
    std::fs::write(folder.join("attachments/report.pdf"), b"%PDF-1.4 report").unwrap();
    bagit_py::make_bag(&folder);
    let zip = dir.path().join("lao-census.zip");
    bagit_py::zip_dir(&folder, &zip);

    let res = post_bag(&s, &token, &zip).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    assert_eq!(receipt.case_uid, case.case_uid);
    assert_eq!(receipt.files.len(), 1);
    assert_eq!(receipt.files[0].sha256, draft_bag::sha256(b"%PDF-1.4 report"));
    let again = post_bag(&s, &token, &zip).await;
    assert_eq!(again.json::<Receipt>().await.unwrap(), receipt, "keyed by case uid and version");
}

#[tokio::test]
async fn token_and_country_rules_are_those_of_submissions() {
    let s = TestServer::start().await;
    let bhutan = s.focal_point("BTN");
    let dir = tempfile::tempdir().unwrap();
    let bag = desk_bag(dir.path(), &sample_case("LAO"), None, "lao");
    let res = s.client.post(s.u("/api/v1/bags")).body(std::fs::read(&bag).unwrap()).send();
    assert_problem(res.await.unwrap(), 401, "unauthorized").await;
    assert_problem(post_bag(&s, &bhutan, &bag).await, 403, "wrong-country").await;
    assert!(s.state.meta.submissions(None).unwrap().is_empty());
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
}

#[tokio::test]
async fn bad_bags_are_refused_with_the_fault_named_and_nothing_left_behind() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let mut schema: serde_json::Value = serde_json::from_slice(&draft_bag::case_json()).unwrap();
    schema["schema_version"] = 2.into();
    let schema = serde_json::to_vec(&schema).unwrap();
    let cases: Vec<(&str, Draft, &str)> = vec![
        (
            "checksum",
            spoiled(|d| d.set("data/attachments/deck.pdf", b"changed".to_vec())),
            "checksum does not match",
        ),
        ("no-manifest", spoiled(|d| d.remove("manifest-sha256.txt")), "manifest-sha256.txt"),
        ("unlisted", spoiled(|d| d.set("data/attachments/x.pdf", b"x".to_vec())), "not listed"),
        ("slip", spoiled(|d| d.push("../../escaped.txt", b"owned".to_vec())), "outside the bag"),
        (
            "bomb",
            spoiled(|d| d.set("data/attachments/z.bin", vec![0; 32 << 20]).manifest()),
            "zip bomb",
        ),
        (
            "schema",
            spoiled(|d| d.set("data/case.json", schema.clone()).manifest()),
            "schema_version is 2",
        ),
    ];
    for (name, draft, says) in cases {
        let zip = draft.zip(&dir.path().join(format!("{name}.zip")));
        let body = assert_problem(post_bag(&s, &token, &zip).await, 422, "invalid-bag").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(leftovers(&s).is_empty(), "{name} left {:?}", leftovers(&s));
    }
    assert!(!dir.path().join("escaped.txt").exists() && !s.dir.path().join("escaped.txt").exists());
    assert!(s.state.meta.submissions(None).unwrap().is_empty());

    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"this is not a zip").unwrap();
    let body = assert_problem(post_bag(&s, &token, &junk).await, 422, "invalid-bag").await;
    assert!(body["detail"].as_str().unwrap().contains("zip"), "{body}");
}

#[tokio::test]
async fn a_bag_larger_than_an_upload_may_be_is_refused_while_it_streams() {
    let s = TestServer::start_with(|c| c.max_upload_size = 100_000).await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let bag = desk_bag(dir.path(), &sample_case("LAO"), None, "big");
    assert_problem(post_bag(&s, &token, &bag).await, 413, "too-large").await;
    // Without Content-Length (chunked) the cap is applied to the bytes as they arrive.
    let bytes = std::fs::read(&bag).unwrap();
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/bags HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.addr
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    for chunk in bytes.chunks(16 * 1024) {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if tcp.write_all(&frame).await.is_err() {
            break; // The server may answer and close before the whole body is sent.
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("urn:paks:problem:too-large"), "{answer}");
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
}

fn paks_server(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_paks-server")).args(args).output().unwrap()
}

#[test]
fn import_bag_submits_a_bag_from_the_operators_disk_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let os = |s: &str| std::ffi::OsString::from(s);
    for (name, email) in [("Other", "other@example.la"), ("Souk", "fp@example.org")] {
        let add = ["focal-point", "add", "--data"].map(os);
        let rest = ["--country", "LAO", "--name", name, "--email", email].map(os);
        let args: Vec<&std::ffi::OsStr> = add
            .iter()
            .map(|a| a.as_os_str())
            .chain([data.as_os_str()])
            .chain(rest.iter().map(|a| a.as_os_str()))
            .collect();
        assert!(paks_server(&args).status.success());
    }
    let case = sample_case("LAO");
    let bag = desk_bag(dir.path(), &case, None, "by-hand");
    let import = |bag: &Path| {
        paks_server(&["import-bag".as_ref(), "--data".as_ref(), data.as_os_str(), bag.as_os_str()])
    };

    let out = import(&bag);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let receipt: Receipt = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt.case_uid, case.case_uid);
    assert!(stderr.contains(&format!("submission {} received", receipt.submission_id)), "{stderr}");
    let key = paks_server(&["key".as_ref(), "--data".as_ref(), data.as_os_str()]);
    verify_receipt(String::from_utf8_lossy(&key.stdout).trim(), &receipt).unwrap();
    let list =
        paks_server(&["review".as_ref(), "list".as_ref(), "--data".as_ref(), data.as_os_str()]);
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains(&receipt.submission_id.to_string()), "{list}");

    let again = import(&bag);
    let stderr = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(stderr.contains("was already received"), "{stderr}");
    assert_eq!(serde_json::from_slice::<Receipt>(&again.stdout).unwrap(), receipt);

    let bad = Draft::valid()
        .set("bag-info.txt", b"Contact-Email: fp@example.org\n".to_vec())
        .set("data/attachments/deck.pdf", b"changed".to_vec())
        .zip(&dir.path().join("bad.zip"));
    let out = import(&bad);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(stderr.contains("checksum does not match"), "{stderr}");
    let tmp: Vec<_> = std::fs::read_dir(data.join("tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "the work folders are removed: {tmp:?}");
}

/// The bag work folders in `DATA/tmp/`.
fn work_dirs(data: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(data.join("tmp")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn a_bag_cut_at_any_point_is_stored_once_and_its_retry_gets_the_receipt() {
    let s = TestServer::start_with(|c| c.submission_processing_delay = Duration::from_millis(1500))
        .await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/zip")];
    for (point, whole, hang_up_when) in cut_points(s.dir.path()) {
        let case = sample_case("LAO");
        let name = point.replace(' ', "-");
        let bag = desk_bag(dir.path(), &case, Some(&name), &name);
        let body = std::fs::read(&bag).unwrap();
        let send = (!whole).then_some(body.len() / 2);
        post_and_hang_up(s.addr, "/api/v1/bags", &headers, &body, send, hang_up_when).await;
        let res = until_not_in_progress(|| post_bag(&s, &token, &bag)).await;
        assert_eq!(res.status(), 201, "{point}");
        if point == "while processing" {
            assert_eq!(res.headers()["idempotent-replayed"], "true", "the cut bag's work finished");
        }
        let receipt: Receipt = res.json().await.unwrap();
        let stored = s.state.meta.submission_of_version(case.case_uid, 1).unwrap().unwrap();
        assert_eq!(stored.receipt, receipt, "{point}");
        for f in &receipt.files {
            let upload = s.state.uploads.get(f.upload_id).unwrap().unwrap();
            assert_eq!(upload.info.sha256.as_deref(), Some(f.sha256.as_str()), "{point}");
        }
    }
    assert_eq!(s.state.meta.submissions(None).unwrap().len(), 3, "one submission per bag");
    assert_eq!(s.state.uploads.ids().unwrap().len(), 6, "the cut bags left no other uploads");
    assert_eq!(unanswered_claims(s.dir.path()), 0);
    eventually("the work folders are removed", || work_dirs(s.dir.path()).is_empty()).await;
}

#[test]
fn a_server_killed_while_it_ingests_a_bag_takes_its_retry_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = add_focal_point_cli(&data, "LAO");
    let case = sample_case("LAO");
    let bag = desk_bag(dir.path(), &case, Some("killed-bag"), "killed");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = common::test_client();
    let send = |url: String| {
        let req = client.post(format!("{url}/api/v1/bags")).bearer_auth(&token);
        req.header("Content-Type", "application/zip").body(std::fs::read(&bag).unwrap()).send()
    };

    let mut server = ServerProcess::start(&data, &["--test-processing-delay-ms", "60000"]);
    let pending = rt.spawn(send(server.url.clone()));
    rt.block_on(eventually("the bag's key is claimed", || unanswered_claims(&data) > 0));
    server.kill9();
    assert!(rt.block_on(pending).unwrap().is_err(), "the killed server sent no answer");
    assert_eq!(unanswered_claims(&data), 1, "the killed server left its claim");
    assert_eq!(work_dirs(&data).len(), 1, "and its work folder");

    let server = ServerProcess::start(&data, &[]);
    let res = rt.block_on(send(server.url.clone())).unwrap();
    assert_eq!(res.status(), 201, "the retry after a restart is taken");
    let receipt: Receipt = rt.block_on(res.json()).unwrap();
    assert_eq!(receipt.case_uid, case.case_uid);
    assert_eq!(stored_submissions(&data), 1, "exactly one submission");
    assert!(work_dirs(&data).is_empty(), "{:?}", work_dirs(&data));
    let again = rt.block_on(send(server.url.clone())).unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(rt.block_on(again.json::<Receipt>()).unwrap(), receipt);
}

#[tokio::test]
async fn a_bag_is_refused_for_its_country_or_version_before_its_payload_is_read() {
    let s = TestServer::start().await;
    let lao = s.focal_point("LAO");
    let bhutan = s.focal_point("BTN");
    let dir = tempfile::tempdir().unwrap();
    // A payload that fails its checksum: only extracting it finds that out.
    let bag = spoiled(|d| d.set("data/attachments/deck.pdf", b"changed".to_vec()))
        .zip(&dir.path().join("spoiled.zip"));
    assert_problem(post_bag(&s, &bhutan, &bag).await, 403, "wrong-country").await;
    let mut held: CaseDocument = serde_json::from_slice(&draft_bag::case_json()).unwrap();
    held.title = "The version PAKS holds".into();
    let res = s.submit(&lao, "held", &request_json(&held, &[])).await;
    assert_eq!(res.status(), 201);
    let body = assert_problem(post_bag(&s, &lao, &bag).await, 409, "version-conflict").await;
    assert!(body["detail"].as_str().unwrap().contains("other content"), "{body}");
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
}

/// The disk store, counting the bytes written into it through upload writers.
struct CountingStore {
    inner: paks_server::disk_store::DiskUploadStore,
    writers: Arc<AtomicUsize>,
}

impl paks_server::upload_store::UploadStore for CountingStore {
    fn check_ready(&self) -> paks_server::Result<()> {
        self.inner.check_ready()
    }
    fn create(&self, info: &paks_server::upload_store::UploadInfo) -> paks_server::Result<()> {
        self.inner.create(info)
    }
    fn get(
        &self,
        id: uuid::Uuid,
    ) -> paks_server::Result<Option<paks_server::upload_store::UploadState>> {
        self.inner.get(id)
    }
    fn writer(
        &self,
        id: uuid::Uuid,
        offset: u64,
    ) -> paks_server::Result<Box<dyn paks_server::upload_store::UploadWriter>> {
        self.writers.fetch_add(1, Ordering::SeqCst);
        self.inner.writer(id, offset)
    }
    fn complete(&self, id: uuid::Uuid) -> paks_server::Result<String> {
        self.inner.complete(id)
    }
    fn keep(&self, id: uuid::Uuid) -> paks_server::Result<()> {
        self.inner.keep(id)
    }
    fn delete(&self, id: uuid::Uuid) -> paks_server::Result<()> {
        self.inner.delete(id)
    }
    fn reader(&self, id: uuid::Uuid) -> paks_server::Result<Box<dyn std::io::Read + Send>> {
        self.inner.reader(id)
    }
    fn ids(&self) -> paks_server::Result<Vec<uuid::Uuid>> {
        self.inner.ids()
    }
    fn adopt_file(
        &self,
        info: &paks_server::upload_store::UploadInfo,
        path: &Path,
        sha256: &str,
    ) -> paks_server::Result<()> {
        self.inner.adopt_file(info, path, sha256)
    }
}

#[tokio::test]
async fn a_bags_files_are_moved_into_the_uploads_not_copied() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let config = paks_server::Config::new(dir.path());
    let writers = Arc::new(AtomicUsize::new(0));
    let store = CountingStore {
        inner: paks_server::disk_store::DiskUploadStore::open(&config.uploads_dir()).unwrap(),
        writers: writers.clone(),
    };
    let meta =
        paks_server::sqlite_store::SqliteMetadataStore::open(&config.database_path()).unwrap();
    let key = paks_server::signing_key::ServerKey::load_or_create(&config.key_path()).unwrap();
    let state = paks_server::with_stores(config, Arc::new(meta), Arc::new(store), key);
    let s = TestServer::serve(dir, Arc::new(state)).await;
    let token = s.focal_point("LAO");
    let bags = tempfile::tempdir().unwrap();
    let bag = desk_bag(bags.path(), &sample_case("LAO"), None, "moved");
    let res = post_bag(&s, &token, &bag).await;
    assert_eq!(res.status(), 201);
    let receipt: Receipt = res.json().await.unwrap();
    assert_eq!(writers.load(Ordering::SeqCst), 0, "no byte of the payload was written again");
    for f in &receipt.files {
        let mut bytes = Vec::new();
        let mut reader = s.state.uploads.reader(f.upload_id).unwrap();
        std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
        assert_eq!(draft_bag::sha256(&bytes), f.sha256);
        assert_eq!(bytes.len() as u64, f.size);
    }
}

#[test]
fn the_disk_store_adopts_a_file_by_renaming_it() {
    use paks_server::upload_store::{UploadInfo, UploadStore};
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let store =
        paks_server::disk_store::DiskUploadStore::open(&dir.path().join("uploads")).unwrap();
    let file = dir.path().join("payload-0");
    let bytes = vec![5u8; 70_000];
    std::fs::write(&file, &bytes).unwrap();
    let inode = std::fs::metadata(&file).unwrap().ino();
    let info = UploadInfo {
        id: uuid::Uuid::new_v4(),
        length: bytes.len() as u64,
        raw_metadata: None,
        metadata: Default::default(),
        owner: 1,
        created_at: 0,
        expires_at: Some(i64::MAX / 2),
        sha256: None,
    };
    let sha = draft_bag::sha256(&bytes);
    store.adopt_file(&info, &file, &sha).unwrap();
    assert!(!file.exists(), "the file was moved");
    let data = dir.path().join("uploads").join(format!("{}.bin", info.id));
    assert_eq!(std::fs::metadata(&data).unwrap().ino(), inode, "the same file, not a copy");
    let upload = store.get(info.id).unwrap().unwrap();
    assert!(upload.is_complete());
    assert_eq!(upload.info.sha256.as_deref(), Some(sha.as_str()));
}

#[tokio::test]
async fn bag_work_folders_left_by_a_crash_are_removed_at_start_up() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let left = dir.path().join("tmp").join(format!("bag-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(left.join("payload")).unwrap();
    std::fs::write(left.join("bag.zip"), vec![7u8; 100_000]).unwrap();
    std::fs::write(left.join("payload").join("payload-0"), vec![7u8; 100_000]).unwrap();
    let other = dir.path().join("tmp").join("not-a-bag.txt");
    std::fs::write(&other, b"kept").unwrap();
    let s = TestServer::start_in(dir, |_| {}).await;
    assert!(s.client.get(s.u("/api/v1/identity")).send().await.unwrap().status().is_success());
    assert!(!left.exists(), "the work folder of a bag a crash interrupted is removed");
    assert!(other.exists(), "nothing else in tmp/ is touched");
}
