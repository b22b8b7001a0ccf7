//! Operations: the probes, Prometheus metrics on their own address, JSON logs with request ids,
//! and backup/restore of the embedded default while it serves. Real `paks-server` processes.

#![allow(clippy::unwrap_used)] // Test support: panicking is how a test fails.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{
    TestServer, add_focal_point_cli, create_upload_at, patch_at, raw_patch_head, request_json,
    sample_case, sha256_hex, submit_at, test_client,
};
use paks_protocol::{AttachmentDescriptor, Receipt};
use reqwest::Client;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paks-server"))
}

fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("run paks-server")
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `paks-server serve` with its stderr (the logs) in a file; stdout is read for the addresses
/// and kept open.
struct Served {
    child: Child,
    url: String,
    metrics_url: Option<String>,
    log: PathBuf,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Served {
    fn start(data: &Path, extra: &[&str]) -> Self {
        let log = data.with_extension("log");
        let stderr = std::fs::File::create(&log).unwrap();
        let mut child = bin()
            .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("PAKS server listening on ").unwrap().to_owned();
        let metrics_url = extra.contains(&"--metrics-listen").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            line.trim().strip_prefix("PAKS metrics on ").unwrap().to_owned()
        });
        Served { child, url, metrics_url, log, _stdout: stdout }
    }

    fn u(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap().lines().map(str::to_owned).collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Uploads `bytes` in two PATCHes.
async fn upload(
    c: &Client,
    base: &str,
    token: &str,
    name: &str,
    bytes: &[u8],
) -> AttachmentDescriptor {
    let location = create_upload_at(c, base, token, bytes.len() as u64, name).await;
    let half = bytes.len() / 2;
    for (offset, part) in [(0, &bytes[..half]), (half, &bytes[half..])] {
        let res = patch_at(c, base, token, &location, offset as u64, part.to_vec()).await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    }
    AttachmentDescriptor {
        upload_id: common::upload_id(&location),
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
        name: name.into(),
        media_type: "application/pdf".into(),
    }
}

/// Uploads two files; returns the submission of a new case with them.
async fn case_with_files(c: &Client, base: &str, token: &str, seed: usize) -> serde_json::Value {
    let first = format!("first file of case {seed}: ").repeat(200 + seed).into_bytes();
    let second = vec![u8::try_from(seed % 251).unwrap(); 70_000 + seed];
    let files = [
        upload(c, base, token, "a.pdf", &first).await,
        upload(c, base, token, "b.pdf", &second).await,
    ];
    request_json(&sample_case("LAO"), &files)
}

/// Submits a new case with two files; returns the receipt.
async fn submit_case(c: &Client, base: &str, token: &str, seed: usize) -> Receipt {
    let body = case_with_files(c, base, token, seed).await;
    let res = submit_at(c, base, token, &format!("case-{seed}"), &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn get_json(c: &Client, url: &str) -> (u16, serde_json::Value) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn healthz_is_up_and_readyz_fails_while_the_database_or_the_storage_is_gone() {
    let s = TestServer::start().await;
    let (c, dir) = (&s.client, s.dir.path());
    let (status, body) = get_json(c, &s.u("/healthz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("up")));
    let (status, body) = get_json(c, &s.u("/readyz")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"], "ok");

    let (db, db_aside) = (dir.join("paks.sqlite3"), dir.join("paks.sqlite3.aside"));
    std::fs::rename(&db, &db_aside).unwrap();
    let (status, body) = get_json(c, &s.u("/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        (body["database"].as_str(), body["storage"].as_str()),
        (Some("unreachable"), Some("ok"))
    );
    assert_eq!(get_json(c, &s.u("/healthz")).await.0, 200, "liveness asks nothing of the stores");
    std::fs::rename(&db_aside, &db).unwrap();
    assert_eq!(get_json(c, &s.u("/readyz")).await.0, 200);

    // A folder where the file was (a volume mounted wrong): nothing there to open.
    std::fs::rename(&db, &db_aside).unwrap();
    std::fs::create_dir(&db).unwrap();
    let (status, body) = get_json(c, &s.u("/readyz")).await;
    assert_eq!((status, body["database"].as_str()), (503, Some("unreachable")), "{body}");
    std::fs::remove_dir(&db).unwrap();
    std::fs::rename(&db_aside, &db).unwrap();
    assert_eq!(get_json(c, &s.u("/readyz")).await.0, 200);

    let (uploads, aside) = (dir.join("uploads"), dir.join("uploads.aside"));
    std::fs::rename(&uploads, &aside).unwrap();
    let (status, body) = get_json(c, &s.u("/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        (body["database"].as_str(), body["storage"].as_str()),
        (Some("ok"), Some("unreachable"))
    );
    std::fs::rename(&aside, &uploads).unwrap();
    assert_eq!(get_json(c, &s.u("/readyz")).await.0, 200);
    s.stop().await;
}

/// The value of the sample `series` (name and labels as exposed), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.split(' ').next().unwrap().parse().unwrap())
}

async fn scrape(c: &Client, url: &str) -> String {
    let res = c.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_are_only_on_their_own_address_and_move_with_uploads_and_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = add_focal_point_cli(&data, "LAO");
    let s = Served::start(&data, &["--metrics-listen", "127.0.0.1:0"]);
    let metrics = s.metrics_url.clone().unwrap();
    assert_ne!(metrics.split('/').nth(2), s.url.split('/').nth(2), "a port of its own");
    let c = test_client();
    assert_eq!(
        c.get(s.u("/metrics")).send().await.unwrap().status(),
        404,
        "not on the public port"
    );

    let before = scrape(&c, &metrics).await;
    assert_eq!(sample(&before, "paks_upload_bytes_received_total"), 0.0);
    assert_eq!(sample(&before, "paks_uploads_open"), 0.0);

    let case = case_with_files(&c, &s.url, &token, 1).await;
    let res = submit_at(&c, &s.url, &token, "case-1", &case).await;
    assert_eq!(res.status(), 201);
    let receipt: Receipt = res.json().await.unwrap();
    let uploaded: u64 = receipt.files.iter().map(|f| f.size).sum();
    let body = {
        let text = scrape(&c, &metrics).await;
        assert_eq!(sample(&text, "paks_upload_bytes_received_total"), uploaded as f64);
        assert_eq!(sample(&text, "paks_submissions_total{outcome=\"received\"}"), 1.0);
        let patch = "paks_http_request_duration_seconds_count{method=\"PATCH\",route=\"/api/v1/uploads/{id}\"}";
        assert_eq!(
            sample(&text, patch),
            4.0,
            "two PATCHes of each file, under the route's template"
        );
        for f in &receipt.files {
            assert!(!text.contains(&f.upload_id.to_string()), "a raw path became a label");
        }
        text
    };
    assert_eq!(sample(&body, "paks_http_errors_total{class=\"4xx\"}"), 1.0, "the public /metrics");

    // The same submission again is replayed; another body under the same key, or no case at
    // all, is refused.
    let res = submit_at(&c, &s.url, &token, "case-1", &case).await;
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let mut other = case.clone();
    other["case"]["title"] = "Another title".into();
    let res = submit_at(&c, &s.url, &token, "case-1", &other).await;
    assert_eq!(res.status(), 422);
    let res = submit_at(&c, &s.url, &token, "bad", &serde_json::json!({"case": 1})).await;
    assert!(res.status().is_client_error());
    let text = scrape(&c, &metrics).await;
    assert_eq!(sample(&text, "paks_submissions_total{outcome=\"received\"}"), 1.0);
    assert_eq!(sample(&text, "paks_submissions_total{outcome=\"replayed\"}"), 1.0);
    assert_eq!(sample(&text, "paks_submissions_total{outcome=\"refused\"}"), 2.0);
    assert_eq!(sample(&text, "paks_http_errors_total{class=\"4xx\"}"), 3.0);

    // An upload body being received counts as open until it ends.
    let location = create_upload_at(&c, &s.url, &token, 1000, "open.pdf").await;
    use tokio::io::AsyncWriteExt;
    let addr = s.url.strip_prefix("http://").unwrap();
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(raw_patch_head(&location, &token, 0, 1000, "").as_bytes()).await.unwrap();
    sock.write_all(&[7u8; 400]).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sample(&scrape(&c, &metrics).await, "paks_uploads_open") != 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "the PATCH never counted as open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sock.write_all(&[7u8; 600]).await.unwrap();
    let mut answer = [0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut sock, &mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 204");
    let text = scrape(&c, &metrics).await;
    assert_eq!(sample(&text, "paks_uploads_open"), 0.0);
    assert_eq!(sample(&text, "paks_upload_bytes_received_total"), (uploaded + 1000) as f64);
}

fn json_lines(s: &Served) -> Vec<serde_json::Value> {
    s.log_lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

#[tokio::test]
async fn json_log_lines_carry_the_request_id_that_the_answer_echoes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = add_focal_point_cli(&data, "LAO");
    let s = Served::start(&data, &["--log-format", "json"]);
    let c = test_client();
    // A submission is stored by a task of its own: its line carries the id too.
    let res = c
        .post(s.u("/api/v1/submissions"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "\"json-logs\"")
        .header("X-Request-Id", "desk-submit-1")
        .json(&request_json(&sample_case("LAO"), &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = c
        .get(s.u("/api/v1/identity"))
        .header("X-Request-Id", "desk-42.sync:7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "desk-42.sync:7");

    // Not a plain token: replaced, not quoted into the logs.
    let res = c.get(s.u("/api/v1/identity")).header("X-Request-Id", "a b\"c").send().await.unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(made.len() == 32 && made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    let res = c.get(s.u("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let unmatched = res.headers()["x-request-id"].to_str().unwrap().to_owned();

    // What a handler logs carries the id too: readyz says why it is not ready.
    std::fs::rename(data.join("uploads"), data.join("uploads.aside")).unwrap();
    let res = c.get(s.u("/readyz")).header("X-Request-Id", "probe-1").send().await.unwrap();
    assert_eq!(res.status(), 503);

    let wanted = |id: &str, message: &str| {
        let lines = json_lines(&s);
        lines
            .into_iter()
            .find(|l| l["span"]["request_id"] == id && l["fields"]["message"] == message)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while wanted("probe-1", "not ready").is_none() {
        assert!(std::time::Instant::now() < deadline, "{:#?}", s.log_lines());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = wanted("desk-42.sync:7", "request").expect("the request's line");
    assert_eq!(line["fields"]["route"], "/api/v1/identity");
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["level"], "INFO");
    assert!(wanted(&made, "request").is_some());
    let line = wanted(&unmatched, "request").expect("the 404's line");
    assert_eq!(line["fields"]["route"], "unmatched");
    assert_eq!(line["fields"]["path"], "/no/such/page");
    assert_eq!(wanted("probe-1", "not ready").unwrap()["fields"]["store"], "storage");
    let stored = wanted("desk-submit-1", "submission received").expect("the submission's line");
    assert_eq!(stored["fields"]["country"], "LAO");
}

/// Every file of `dir`, relative path → SHA-256.
fn hashes_under(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let mut bytes = Vec::new();
                std::fs::File::open(&p).unwrap().read_to_end(&mut bytes).unwrap();
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, sha256_hex(&bytes));
            }
        }
    }
    out
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_an_empty_folder_with_every_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = add_focal_point_cli(&data, "LAO");
    // Desks submit as fast as they can below: no rate limit in the way.
    let s = Served::start(&data, &["--rate-burst", "1000000", "--rate-per-second", "1000000"]);
    let c = test_client();
    let (_, identity) = get_json(&c, &s.u("/api/v1/identity")).await;
    let public_key = identity["public_key"].as_str().unwrap().to_owned();

    let mut before = Vec::new();
    for seed in 0..4 {
        before.push(submit_case(&c, &s.url, &token, seed).await);
    }
    // An upload left half-way: restored as far as it had got.
    let partial = create_upload_at(&c, &s.url, &token, 5000, "half.pdf").await;
    let res = patch_at(&c, &s.url, &token, &partial, 0, vec![3u8; 2000]).await;
    assert_eq!(res.status(), 204);

    // Desks keep uploading and submitting while the backup is taken.
    let busy = Arc::new(AtomicBool::new(true));
    let writer = {
        let (c, url, token, busy) = (c.clone(), s.url.clone(), token.clone(), busy.clone());
        tokio::spawn(async move {
            let mut during = Vec::new();
            let mut seed = 100;
            while busy.load(Ordering::Relaxed) || during.len() < 2 {
                during.push(submit_case(&c, &url, &token, seed).await);
                seed += 1;
            }
            during
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let archive = dir.path().join("paks-backup.tar");
    let args: Vec<String> = ["backup", "--data", data.to_str().unwrap()]
        .into_iter()
        .chain(["--out", archive.to_str().unwrap()])
        .map(str::to_owned)
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    assert!(out.contains("backup written"), "{out}");
    busy.store(false, Ordering::Relaxed);
    let during = writer.await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the archive holds the signing key");
    }
    let key_file = std::fs::read(data.join("server-key.ed25519")).unwrap();
    let backup_out =
        run(&["backup", "--data", data.to_str().unwrap(), "--out", archive.to_str().unwrap()]);
    assert!(!backup_out.status.success(), "an existing archive is not overwritten");
    drop(s);

    // Only into an empty folder.
    let occupied = dir.path().join("occupied");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), b"mine").unwrap();
    let out = run(&[
        "restore",
        "--from",
        archive.to_str().unwrap(),
        "--data",
        occupied.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(std::fs::read(occupied.join("keep.txt")).unwrap(), b"mine");

    // A damaged archive is refused and leaves nothing behind: one byte flipped inside the first
    // entry's data (the database, right after its 512-byte tar header).
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[512 + 3000] ^= 0x55;
    let damaged = dir.path().join("damaged.tar");
    std::fs::write(&damaged, &bytes).unwrap();
    let refused = dir.path().join("refused");
    let out =
        run(&["restore", "--from", damaged.to_str().unwrap(), "--data", refused.to_str().unwrap()]);
    assert!(!out.status.success(), "a flipped byte went unnoticed");
    assert_eq!(std::fs::read_dir(&refused).unwrap().count(), 0);

    let restored = dir.path().join("restored");
    let out = run_ok(&[
        "restore",
        "--from",
        archive.to_str().unwrap(),
        "--data",
        restored.to_str().unwrap(),
    ]);
    assert!(out.contains("each checked"), "{out}");
    assert_eq!(std::fs::read(restored.join("server-key.ed25519")).unwrap(), key_file);

    // Every file of a complete upload holds the bytes its info says it does.
    let files = hashes_under(&restored);
    for (path, hash) in &files {
        if let Some(stem) = path.strip_prefix("uploads/").and_then(|p| p.strip_suffix(".bin")) {
            let info: serde_json::Value = serde_json::from_slice(
                &std::fs::read(restored.join(format!("uploads/{stem}.info"))).unwrap(),
            )
            .unwrap();
            if let Some(sha) = info["sha256"].as_str() {
                assert_eq!(hash, sha, "{path}");
            }
        }
    }

    let r = Served::start(&restored, &[]);
    let (_, identity) = get_json(&c, &r.u("/api/v1/identity")).await;
    assert_eq!(identity["public_key"], public_key.as_str(), "the same signing key");
    let listed = run_ok(&["review", "list", "--data", restored.to_str().unwrap()]);
    let mut restored_count = 0;
    for (receipt, must) in before.iter().map(|r| (r, true)).chain(during.iter().map(|r| (r, false)))
    {
        let url = r.u(&format!("/api/v1/receipts/{}/{}", receipt.case_uid, receipt.version));
        let res = c.get(url).bearer_auth(&token).send().await.unwrap();
        if !must && res.status() == 404 {
            assert!(!listed.contains(&receipt.submission_id.to_string()));
            continue;
        }
        assert_eq!(res.status(), 200, "submission {} missing", receipt.submission_id);
        restored_count += 1;
        let served: Receipt = res.json().await.unwrap();
        assert_eq!(&served, receipt);
        paks_protocol::verify_receipt(&public_key, &served).unwrap();
        let status = c
            .get(r.u(&format!("/api/v1/submissions/{}", receipt.submission_id)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(status.status(), 200);
        for f in &receipt.files {
            assert_eq!(files[&format!("uploads/{}.bin", f.upload_id)], f.sha256, "{}", f.name);
        }
    }
    assert!(restored_count >= before.len());
    eprintln!(
        "restored {restored_count} submissions: {} before the backup, {} of {} sent during it",
        before.len(),
        restored_count - before.len(),
        during.len()
    );
    let res = c
        .head(r.u(&partial))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["upload-offset"], "2000");
}
