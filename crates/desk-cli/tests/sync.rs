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
    let Setup { rt, server, token, dir, id, .. } = setup();
    let (proxy, up_bytes) = rt.block_on(counting_proxy(server.addr));
    let data = dir.path();

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
    // At 4,000 kbit/s the first chunk (64 KiB) measures the rate and the second aims at 2 s,
    // some 1 MB from 64 KiB on: killing once the client has sent 500 kB lands inside it. (The
    // bytes through the proxy, not the server's offset: the server writes in 1 MiB blocks, so
    // its offset does not move until such a chunk is whole.)
    let deadline = Instant::now() + Duration::from_secs(60);
    while up_bytes.load(Ordering::SeqCst) < 500_000 {
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
    assert!(
        err.contains("does not answer as PAKS (the identity address answered with a web page)"),
        "{err}"
    );
    assert!(!err.contains("<html>") && !err.contains("resumes by itself"), "{err}");

    let server = rt.block_on(start_server());
    // The API's own address pasted instead of PAKS's: PAKS answers "no such endpoint".
    let api = format!("http://{}/api/v1", server.addr);
    let out = cli(dir.path(), &["connect", &api, "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not answer as PAKS") && err.contains("without /api/v1"), "{err}");
    assert!(!err.contains("refused this case"), "{err}");

    let out = cli(dir.path(), &["connect", &format!("http://{}", server.addr), "--token", " "]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("The token is empty or has control characters")
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = cli(dir.path(), &["connect", &format!("http://{closed}"), "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing answers at that address and port"), "{err}");
    assert!(err.contains("then connect again") && !err.contains("os error"), "{err}");

    let out = cli(dir.path(), &["connect", &format!("http://{}", server.addr), "--token", "wrong"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the access token"), "{err}");
    assert!(!dir.path().join("paks-token").exists(), "a refused token is not kept");

    // Plain http:// to another computer would carry the token in clear: refused, in words.
    let out = cli(dir.path(), &["connect", "http://paks.example.org", "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unencrypted") && err.contains("Use the https:// address"), "{err}");
    assert!(!dir.path().join("paks-token").exists());
}

/// Forwards each new connection to whatever `target` holds at that moment.
async fn switchable_forwarder(target: Arc<std::sync::Mutex<SocketAddr>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let to = *target.lock().unwrap();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(to).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    addr
}

fn token_for(server: &Server) -> String {
    let (_, token) = paks_server::operator::add_focal_point(
        &*server.state.meta,
        "LAO",
        "Phoxay",
        "phoxay@mtc.gov.la",
        Some(30),
    )
    .unwrap();
    token
}

/// The key id `connect` printed: "… (server key 0123456789abcdef)."
fn key_id_in(out: &str) -> String {
    let start = out.find("(server key ").unwrap() + "(server key ".len();
    out[start..start + 16].to_owned()
}

#[test]
fn a_changed_server_key_is_refused_until_the_person_accepts_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let first = rt.block_on(start_server());
    let second = rt.block_on(start_server());
    let target = Arc::new(std::sync::Mutex::new(first.addr));
    let address = rt.block_on(switchable_forwarder(target.clone()));
    let url = format!("http://{address}");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let first_token = token_for(&first);
    let old_key = key_id_in(&ok(data, &["connect", &url, "--token", &first_token]));

    // Same address, another server (another key): refused, nothing kept, the token not sent.
    *target.lock().unwrap() = second.addr;
    let second_token = token_for(&second);
    let out = cli(data, &["connect", &url, "--token", &second_token]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("now signs with another key") && err.contains(&old_key), "{err}");
    assert!(err.contains("--accept-new-key"), "says how to accept: {err}");
    let kept = std::fs::read_to_string(data.join("paks-token")).unwrap();
    assert_eq!(kept.trim(), first_token, "the old token stays");

    // The person accepted: the new key is pinned and said so.
    let out = ok(data, &["connect", &url, "--token", &second_token, "--accept-new-key"]);
    let new_key = key_id_in(&out);
    assert_ne!(new_key, old_key);
    assert!(err.contains(&new_key), "the refusal named the new key too: {err}");
    assert!(out.contains("new key") && out.contains(&new_key), "{out}");
    // From now on the new key is the pinned one: connecting again asks nothing.
    ok(data, &["connect", &url, "--token", &second_token]);
}

/// A running server with a focal point, and a data folder with a complete case.
struct Setup {
    rt: tokio::runtime::Runtime,
    server: Server,
    token: String,
    dir: tempfile::TempDir,
    id: String,
    url: String,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start_server());
    let token = token_for(&server);
    let dir = tempfile::tempdir().unwrap();
    let id = ready_case(dir.path());
    let url = format!("http://{}", server.addr);
    Setup { rt, server, token, dir, id, url }
}

fn spawn_sync(data: &Path, log: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .arg("--data")
        .arg(data)
        .args(["sync", "--until-idle"])
        .env("PAKS_DESK_KEYRING", "off")
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn progress_lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" bytes ("))
        .count()
}

#[test]
fn two_processes_on_one_data_folder_send_one_at_a_time_and_the_survivor_takes_over() {
    let Setup { rt: _rt, server, token, dir, id, url } = setup();
    let data = dir.path();
    ok(data, &["connect", &url, "--token", &token, "--bandwidth-kbps", "2000"]);
    let size = 3_000_000usize;
    let bytes: Vec<u8> = (0..size).map(|i| (i * 13 % 251) as u8).collect();
    let file = data.join("deck.pptx");
    std::fs::write(&file, &bytes).unwrap();
    ok(data, &["submit", &id, "--file", file.to_str().unwrap()]);

    let (log_a, log_b) = (data.join("a.log"), data.join("b.log"));
    let mut a = spawn_sync(data, &log_a);
    let deadline = Instant::now() + Duration::from_secs(60);
    while upload_offset(&server) < 300_000 {
        assert!(Instant::now() < deadline, "the first sync did not start sending");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut b = spawn_sync(data, &log_b);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log_b).unwrap().contains("Another PAKS Desk") {
        assert!(Instant::now() < deadline, "the second sync did not say another one is sending");
        assert!(b.try_wait().unwrap().is_none(), "the second sync gave up instead of waiting");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(b.try_wait().unwrap().is_none(), "the second sync waits while the first sends");
    assert_eq!(
        progress_lines(&log_b),
        0,
        "the second sync sent nothing while the first held the lock"
    );
    assert!(progress_lines(&log_a) > 0, "the first sync was sending");
    let at_kill = upload_offset(&server);
    assert!(at_kill < size as u64, "the first sync is still mid-upload at the kill");

    a.kill().unwrap(); // SIGKILL: the OS drops the lock with the process.
    a.wait().unwrap();
    let killed_at = Instant::now();
    while progress_lines(&log_b) == 0 {
        assert!(
            killed_at.elapsed() < Duration::from_secs(20),
            "the second sync did not take over after the first was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = b.wait().unwrap();
    let out_b = std::fs::read_to_string(&log_b).unwrap();
    assert!(status.success(), "{out_b}");
    assert!(out_b.contains("Everything is sent"), "{out_b}");

    let uploads = server.state.uploads.ids().unwrap();
    assert_eq!(uploads.len(), 1, "one upload on the server, resumed by the second process");
    let upload = server.state.uploads.get(uploads[0]).unwrap().unwrap();
    assert_eq!(upload.info.sha256.as_deref(), Some(paks_protocol::sha256_hex(&bytes).as_str()));
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted");
    let outbox: serde_json::Value = serde_json::from_str(&ok(data, &["outbox", "--json"])).unwrap();
    assert_eq!(outbox.as_array().unwrap().len(), 1, "one job");
}

/// What a forward proxy saw: the first request line of each connection, and the bytes clients
/// sent through it (counted when a connection closes).
#[derive(Default)]
struct ProxyLog {
    first_lines: std::sync::Mutex<Vec<String>>,
    client_bytes: AtomicU64,
}

/// A forward HTTP proxy: reads the request head to learn the origin from its absolute-form
/// target, then relays both ways.
async fn forward_proxy() -> (SocketAddr, Arc<ProxyLog>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(ProxyLog::default());
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or_default().to_owned();
                log.first_lines.lock().unwrap().push(line.clone());
                let target = line.split_whitespace().nth(1).unwrap_or_default();
                let Some(host) = target.strip_prefix("http://").and_then(|t| t.split('/').next())
                else {
                    let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                    return;
                };
                let Ok(mut origin) = tokio::net::TcpStream::connect(host).await else { return };
                if origin.write_all(&head).await.is_err() {
                    return;
                }
                let sent = tokio::io::copy_bidirectional(&mut client, &mut origin)
                    .await
                    .map_or(0, |(up, _)| up);
                log.client_bytes.fetch_add(head.len() as u64 + sent, Ordering::SeqCst);
            });
        }
    });
    (addr, seen)
}

#[test]
fn the_proxy_from_the_environment_and_from_the_setting_is_used() {
    let Setup { rt, server, token, dir, id, url } = setup();
    let (env_proxy, env_seen) = rt.block_on(forward_proxy());
    let (set_proxy, set_seen) = rt.block_on(forward_proxy());
    let data = dir.path();
    let cli_with = |args: &[&str], proxy_env: Option<String>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"));
        cmd.arg("--data").arg(data).args(args).env("PAKS_DESK_KEYRING", "off");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            cmd.env_remove(var);
        }
        if let Some(p) = proxy_env {
            cmd.env("HTTP_PROXY", p);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };

    cli_with(&["connect", &url, "--token", &token], Some(format!("http://{env_proxy}")));
    let through_env = env_seen.first_lines.lock().unwrap().clone();
    assert!(
        through_env.iter().any(|l| l.contains("/api/v1/identity")),
        "HTTP_PROXY from the environment carried the identity check: {through_env:?}"
    );

    cli_with(
        &["connect", &url, "--token", &token, "--proxy", &format!("http://{set_proxy}")],
        None,
    );
    let file = data.join("note.pdf");
    std::fs::write(&file, vec![7u8; 300_000]).unwrap();
    ok(data, &["submit", &id, "--file", file.to_str().unwrap()]);
    let out = cli_with(&["sync", "--until-idle"], None);
    assert!(out.contains("Everything is sent"), "{out}");
    let through_setting = set_seen.first_lines.lock().unwrap().clone();
    assert!(
        through_setting.iter().all(|l| l.contains(&format!("http://{}/", server.addr))),
        "absolute-form requests to PAKS: {through_setting:?}"
    );
    assert!(through_setting.iter().any(|l| l.contains("/api/v1/identity")), "{through_setting:?}");
    // The sync process has exited, so its connections close and their bytes are counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    while set_seen.client_bytes.load(Ordering::SeqCst) < 300_000 {
        assert!(
            Instant::now() < deadline,
            "the file went through the proxy of the setting: {} bytes",
            set_seen.client_bytes.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        env_seen.first_lines.lock().unwrap().len(),
        through_env.len(),
        "the env proxy was not used without the variable"
    );
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the CLI in its own D-Bus session with a real Secret Service (gnome-keyring-daemon),
/// whose login keyring lives in `home` and is unlocked with a known password. The keyring
/// file persists in `home`, so a later session reads what an earlier one stored.
fn cli_in_keyring_session(home: &Path, data: &Path, args: &[&str]) -> Output {
    assert!(
        have("dbus-run-session") && have("gnome-keyring-daemon"),
        "the keyring tests need dbus and gnome-keyring: run scripts/setup-debian.sh test"
    );
    let run = home.join("run");
    std::fs::create_dir_all(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let script = "printf %s test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"";
    Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script, "sh", env!("CARGO_BIN_EXE_paks-desk-cli"), "--data"])
        .arg(data)
        .args(args)
        .env_remove("PAKS_DESK_KEYRING")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", &run)
        .output()
        .unwrap()
}

fn stdout_of(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_token_goes_to_a_real_secret_service_and_is_read_back_by_another_process() {
    let Setup { rt: _rt, server: _server, token, dir, id, url } = setup();
    let home = tempfile::tempdir().unwrap();
    let data = dir.path();

    let out =
        stdout_of(cli_in_keyring_session(home.path(), data, &["connect", &url, "--token", &token]));
    assert!(out.contains("kept in the system keyring"), "{out}");
    assert!(!data.join("paks-token").exists(), "no token file when the keyring holds it");
    for entry in walk(data).into_iter().chain(walk(home.path())) {
        let content = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !content.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is in plain text in {}",
            entry.display()
        );
    }
    assert!(
        walk(&home.path().join("data/keyrings"))
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".keyring")),
        "gnome-keyring stored its (encrypted) keyring in the test home"
    );

    let status: serde_json::Value = serde_json::from_str(&stdout_of(cli_in_keyring_session(
        home.path(),
        data,
        &["status", &id, "--json"],
    )))
    .unwrap();
    assert_eq!(status["token"]["kind"], "keyring", "{status}");

    // A new process in a new session reads the token from the keyring and uses it.
    let file = data.join("brief.pdf");
    std::fs::write(&file, vec![3u8; 100_000]).unwrap();
    ok(data, &["submit", &id, "--file", file.to_str().unwrap()]);
    let out = stdout_of(cli_in_keyring_session(home.path(), data, &["sync", "--until-idle"]));
    assert!(out.contains("Everything is sent"), "{out}");
}

#[test]
fn without_a_session_bus_the_token_falls_back_to_a_private_file_and_says_why() {
    let Setup { rt: _rt, server: _server, token, dir, id, url } = setup();
    let data = dir.path();
    let headless = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
            .arg("--data")
            .arg(data)
            .args(args)
            .env_remove("PAKS_DESK_KEYRING")
            .env_remove("DISPLAY")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/paks-desk-test-bus")
            .output()
            .unwrap()
    };
    let out = stdout_of(headless(&["connect", &url, "--token", &token]));
    assert!(out.contains("not in the system keyring"), "says the keyring was not used: {out}");
    let path = data.join("paks-token");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), token);
    let db = std::fs::read(data.join("paks-desk.sqlite3")).unwrap();
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "no token in SQLite");

    let status: serde_json::Value =
        serde_json::from_str(&stdout_of(headless(&["status", &id, "--json"]))).unwrap();
    assert_eq!(status["token"]["kind"], "file", "{status}");
    assert!(!status["token"]["reason"].as_str().unwrap().is_empty(), "{status}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A queued case comes back as a draft with `cancel`; once PAKS has it, `status` shows the
/// signed receipt, `cancel` is refused, and `retry` makes the next review check due now.
#[test]
fn cancel_a_queued_case_show_the_receipt_and_check_the_review_now() {
    let Setup { rt: _server_runtime, server, token, dir, id, url } = setup();
    let data = dir.path();
    ok(data, &["connect", &url, "--token", &token]);

    let out = cli(data, &["cancel", &id]);
    assert_eq!(out.status.code(), Some(2), "nothing to cancel yet");
    assert!(String::from_utf8_lossy(&out.stderr).contains("has not been submitted"));

    ok(data, &["submit", &id]);
    let out = cli(data, &["case", "set", &id, "summary", "Changed while queued."]);
    assert_eq!(out.status.code(), Some(2), "a queued case is frozen");
    let out = ok(data, &["cancel", &id]);
    assert!(out.contains("is draft again"), "{out}");
    ok(data, &["case", "set", &id, "summary", "Changed after cancelling."]);
    let outbox: serde_json::Value = serde_json::from_str(&ok(data, &["outbox", "--json"])).unwrap();
    assert_eq!(outbox.as_array().unwrap().len(), 0, "the outbox is empty: {outbox}");

    ok(data, &["submit", &id]);
    let out = ok(data, &["sync", "--until-idle"]);
    assert!(out.contains("Everything is sent"), "{out}");
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted");
    let receipt = &status["receipt"];
    assert_eq!(receipt["submission_id"], status["submission_id"], "{status}");
    assert_eq!(receipt["country"], "LAO");
    assert_eq!(receipt["version"], 1);
    assert!(receipt["signature"].as_str().is_some_and(|s| !s.is_empty()), "{receipt}");
    let text = ok(data, &["status", &id]);
    assert!(text.contains("Receipt from PAKS reference server: version 1 received"), "{text}");

    let out = cli(data, &["cancel", &id]);
    assert_eq!(out.status.code(), Some(2), "PAKS has it: nothing to cancel");

    let submission: uuid::Uuid = status["submission_id"].as_str().unwrap().parse().unwrap();
    paks_server::operator::set_state(
        &*server.state.meta,
        submission,
        paks_protocol::SubmissionState::Published,
        None,
    )
    .unwrap();
    // The next review check is minutes away; `retry` makes it due now.
    let out = ok(data, &["sync", "--until-idle"]);
    assert!(out.contains("PAKS reviewers have the rest"), "{out}");
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted", "not asked yet: {status}");
    let out = ok(data, &["retry", &id]);
    assert!(out.contains("due now"), "{out}");
    ok(data, &["sync", "--until-idle"]);
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "published", "{status}");
    let out = ok(data, &["retry", &id]);
    assert!(out.contains("Nothing of case"), "{out}");
}

/// PAKS refuses a case (its country is not the token's): the refusal says to correct it, and
/// `cancel` makes that possible (PAKS holds nothing of a refused case), then it goes through.
#[test]
fn a_case_paks_refused_can_be_cancelled_corrected_and_sent() {
    let Setup { rt: _server_runtime, token, dir, id, url, .. } = setup();
    let data = dir.path();
    ok(data, &["connect", &url, "--token", &token]);
    ok(data, &["case", "set", &id, "country", "NPL"]);
    ok(data, &["submit", &id]);
    let out = ok(data, &["sync", "--until-idle"]);
    assert!(out.contains("Some cases need you"), "{out}");
    let outbox: serde_json::Value = serde_json::from_str(&ok(data, &["outbox", "--json"])).unwrap();
    assert_eq!(outbox[0]["state"], "needs_attention", "{outbox}");
    assert_eq!(outbox[0]["last_error_code"], "refused", "{outbox}");

    let out = ok(data, &["cancel", &id]);
    assert!(out.contains("is draft again"), "{out}");
    ok(data, &["case", "set", &id, "country", "LAO"]);
    ok(data, &["submit", &id]);
    let out = ok(data, &["sync", "--until-idle"]);
    assert!(out.contains("Everything is sent"), "{out}");
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted", "{status}");
}

/// Forwards to `target`, but once a client sends `POST /api/v1/submissions` on a connection,
/// PAKS's answer on that connection never reaches the client: the request arrives, the answer is
/// lost, as on a link cut at the worst moment.
async fn answer_losing_proxy(target: SocketAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let posted = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let seen = posted.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(_) if seen.load(Ordering::SeqCst) => break,
                            Ok(n) => {
                                if cw.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = cw.shutdown().await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if buf[..n].windows(24).any(|w| w == b"POST /api/v1/submissions") {
                                posted.store(true, Ordering::SeqCst);
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A POST whose answer is lost may have made the submission: `cancel` refuses from then on,
/// and sending again gets PAKS's stored receipt, not a second submission.
#[test]
fn a_case_whose_answer_was_lost_cannot_be_cancelled_and_is_not_sent_twice() {
    let Setup { rt, server, token, dir, id, url } = setup();
    let data = dir.path();
    let lossy = rt.block_on(answer_losing_proxy(server.addr));
    ok(data, &["connect", &format!("http://{lossy}"), "--token", &token]);
    ok(data, &["submit", &id]);
    let mut sync = spawn_sync(data, &data.join("sync.log"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.state.meta.submissions(None).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the POST never reached PAKS");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = sync.kill();
    sync.wait().unwrap();

    let outbox: serde_json::Value = serde_json::from_str(&ok(data, &["outbox", "--json"])).unwrap();
    assert_eq!(outbox[0]["post_unanswered"], true, "{outbox}");
    let out = cli(data, &["cancel", &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("may already have reached PAKS"));

    ok(data, &["connect", &url, "--token", &token]);
    ok(data, &["sync", "--until-idle"]);
    let status: serde_json::Value =
        serde_json::from_str(&ok(data, &["status", &id, "--json"])).unwrap();
    assert_eq!(status["status"], "submitted", "{status}");
    assert_eq!(server.state.meta.submissions(None).unwrap().len(), 1, "sent once");
}
