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

use common::{TestServer, assert_problem, request_json, sample_case};
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
    assert_problem(lookup(&bhutan, uid.clone(), "1").await.unwrap(), 403, "wrong-country").await;

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
        .set("data/attachments/deck.pdf", b"changed".to_vec())
        .zip(&dir.path().join("bad.zip"));
    let out = import(&bad);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(stderr.contains("checksum does not match"), "{stderr}");
    let tmp: Vec<_> = std::fs::read_dir(data.join("tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "the work folders are removed: {tmp:?}");
}
