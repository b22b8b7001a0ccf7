#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! `paks-desk-cli` against the real paks-server on 127.0.0.1: connect, submit, sync, a SIGKILL
//! mid-upload and the resume from the server's offset.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("PAKS_DESK_DATA_DIR")
        .env_remove("PAKS_TOKEN")
        .env("PAKS_DESK_KEYRING", "off")
        .output()
        .expect("run paks-desk-cli")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = cli(data, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Server {
    addr: SocketAddr,
    state: paks_server::http::SharedState,
    _dir: tempfile::TempDir,
}

async fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = paks_server::Config::new(dir.path());
    let state: paks_server::http::SharedState = Arc::new(paks_server::open_state(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(paks_server::serve_state(listener, state.clone(), std::future::pending()));
    Server { addr, state, _dir: dir }
}

/// Forwards to `target` and counts the bytes clients send.
async fn counting_proxy(target: SocketAddr) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let up = Arc::new(AtomicU64::new(0));
    let count = up.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            count.fetch_add(n as u64, Ordering::SeqCst);
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = sw.shutdown().await;
            });
        }
    });
    (addr, up)
}

fn ready_case(data: &Path) -> String {
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Phoxay Vongsa",
            "--institution",
            "MTC",
            "--email",
            "phoxay@mtc.gov.la",
            "--country",
            "LAO",
        ],
    );
    let id =
        ok(data, &["case", "new", "--title", "Lao e-tax", "--country", "LAO"]).trim().to_owned();
    for (field, value) in [
        ("summary", "Taxes online."),
        ("problem", "Queues."),
        ("solution", "A portal."),
        ("results", "Shorter queues."),
    ] {
        ok(data, &["case", "set", &id, field, value]);
    }
    ok(data, &["case", "link", &id, "--mdg", "8.F", "--note", "Online services"]);
    id
}

fn upload_offset(server: &Server) -> u64 {
    let ids = server.state.uploads.ids().unwrap();
    ids.into_iter()
        .filter_map(|id| server.state.uploads.get(id).unwrap())
        .map(|u| u.offset)
        .max()
        .unwrap_or(0)
}

#[test]
fn a_killed_sync_resumes_from_the_servers_offset_and_submits_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start_server());
    let (proxy, up_bytes) = rt.block_on(counting_proxy(server.addr));
    let (_, token) = paks_server::operator::add_focal_point(
        &*server.state.meta,
        "LAO",
        "Phoxay",
        "phoxay@mtc.gov.la",
        Some(30),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ready_case(data);

    let url = format!("http://{proxy}");
    let out = ok(data, &["connect", &url, "--token", &token, "--bandwidth-kbps", "4000"]);
    assert!(out.contains("Connected to PAKS reference server"), "{out}");
    assert!(out.contains("readable only by you"), "says where the token is: {out}");
    let db = std::fs::read(data.join("paks-desk.sqlite3")).unwrap();
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "no token in SQLite");

    let size = 2_500_000usize;
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let file = data.join("slides.pptx");
    std::fs::write(&file, &bytes).unwrap();
    ok(data, &["submit", &id, "--file", file.to_str().unwrap()]);
    let again = ok(data, &["submit", &id, "--file", file.to_str().unwrap()]);
    assert!(again.contains("job 1"), "a second submit is the same job: {again}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .arg("--data")
        .arg(data)
        .args(["sync", "--until-idle"])
        .env("PAKS_DESK_KEYRING", "off")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while upload_offset(&server) < 800_000 {
        assert!(Instant::now() < deadline, "the upload did not start");
        assert!(child.try_wait().unwrap().is_none(), "sync ended before the kill");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let at_kill = upload_offset(&server);
    assert!(at_kill < size as u64, "killed mid-upload");

    let out = ok(data, &["sync", "--until-idle"]);
    assert!(out.contains("Everything is sent"), "{out}");
    let total_up = up_bytes.load(Ordering::SeqCst);

    let outbox: serde_json::Value = serde_json::from_str(&ok(data, &["outbox", "--json"])).unwrap();
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    let entry = &outbox[0];
    assert_eq!(entry["phase"], "review");
    assert_eq!(entry["bytes_confirmed"], size);
    let chunk = entry["uploads"][0]["chunk_size"].as_u64().unwrap();
    let resent = total_up.saturating_sub(size as u64);
    // Everything sent beyond the file itself: headers, the case document, and the chunk that
    // was in flight at the kill (the server drops a broken chunk whose checksum it cannot
    // check). Under one chunk: the second run resumed from the server's offset, not from zero.
    assert!(at_kill > 0, "chunks were confirmed before the kill");
    assert!(
        resent < chunk,
        "re-sent {resent} bytes beyond the file (chunk {chunk}, server offset at kill {at_kill})"
    );
    let uploads = server.state.uploads.ids().unwrap();
    assert_eq!(uploads.len(), 1, "one upload, resumed");
    let upload = server.state.uploads.get(uploads[0]).unwrap().unwrap();
    assert_eq!(upload.info.sha256.as_deref(), Some(paks_protocol::sha256_hex(&bytes).as_str()));

    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted");
    assert!(status["submission_id"].is_string());
}

#[test]
fn connect_refuses_a_captive_portal_and_a_bad_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let portal = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let body = "<html><body>Please log in to the hotel Wi-Fi</body></html>";
                    let res = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(res.as_bytes()).await;
                });
            }
        });
        addr
    });
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["connect", &format!("http://{portal}"), "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not as PAKS"), "{err}");

    let server = rt.block_on(start_server());
    let out = cli(dir.path(), &["connect", &format!("http://{}", server.addr), "--token", "wrong"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the access token"), "{err}");
    assert!(!dir.path().join("paks-token").exists(), "a refused token is not kept");
}
