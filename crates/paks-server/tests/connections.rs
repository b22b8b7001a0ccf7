#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Connection limits against the real server over real sockets: the connection cap and its 503,
//! header and idle-body timeouts, TCP keepalive, a stalled PATCH taken over by the resuming
//! client, and shutdown within its deadline (the `paks-server` binary, SIGTERM).

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: the machine is shared and noisy; the timeouts under test are 1–2 s.
const DEADLINE: Duration = Duration::from_secs(20);

/// A connection that sent `bytes` (a request's start) and then nothing.
async fn half_sent(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(bytes).await.unwrap();
    sock
}

/// What the server sends until it closes the connection; `None` if it is still open at the
/// deadline.
async fn read_until_closed(sock: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(DEADLINE, sock.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

/// HEAD until it answers `expected` (a PATCH still finishing may hold the upload for a moment).
async fn wait_for_offset(s: &TestServer, token: &str, loc: &str, expected: &str) {
    let started = Instant::now();
    loop {
        let res = s.head(token, loc).await;
        let offset = res.headers().get("upload-offset").map(|v| v.to_str().unwrap().to_owned());
        if offset.as_deref() == Some(expected) {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "offset {offset:?}, status {}", res.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn past_the_connection_cap_a_clear_503_and_half_sent_requests_are_closed_in_time() {
    let s = TestServer::start_with(|c| {
        c.max_connections = 8;
        c.header_read_timeout = Duration::from_secs(3);
    })
    .await;
    let mut holding = Vec::new();
    for _ in 0..8 {
        holding.push(half_sent(s.addr, b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\n").await);
    }
    // Let the server take all eight before the ninth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..4 {
        let mut extra = half_sent(s.addr, b"GET /api/v1/identity HTTP/1.1\r\nHost: x\r\n").await;
        let answer = read_until_closed(&mut extra).await.expect("a refused connection is closed");
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("Retry-After: 2"), "{answer}");
        assert!(answer.contains("urn:paks:problem:server-busy"), "{answer}");
    }
    // A normal request is answered at once, whatever the half-sent ones do.
    let res = tokio::time::timeout(DEADLINE, s.client.get(s.u("/api/v1/identity")).send())
        .await
        .expect("a normal request is answered")
        .unwrap();
    assert!(res.status() == 200 || res.status() == 503, "{}", res.status());
    if res.status() == 503 {
        assert!(res.headers().contains_key("retry-after"));
    }
    // The header timeout closes the half-sent requests, which frees their slots.
    for sock in &mut holding {
        read_until_closed(sock).await.expect("a header that never ends is closed");
    }
    let started = Instant::now();
    loop {
        let res = s.client.get(s.u("/api/v1/identity")).send().await.unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "still {}", res.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_header_that_never_finishes_and_an_idle_connection_are_closed_after_the_timeout() {
    let s = TestServer::start_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let started = Instant::now();
    let mut sock = half_sent(s.addr, b"GET /api/v1/identity HTTP/1.1\r\nHost: x\r\nAccept: ").await;
    let answer = read_until_closed(&mut sock).await;
    assert!(answer.is_some(), "the connection is still open after {DEADLINE:?}");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before the timeout");
    // A keep-alive connection that sends nothing after its answer is closed too.
    let mut sock = half_sent(s.addr, b"GET /api/v1/identity HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answer = read_until_closed(&mut sock).await.expect("an idle connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn accepted_connections_have_tcp_keepalive() {
    let s = TestServer::start_with(|c| c.tcp_keepalive = Duration::from_secs(45)).await;
    let mut sock = TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(b"GET /api/v1/identity HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    sock.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // The server's end of this connection, as the kernel shows it.
    let client_port = sock.local_addr().unwrap().port();
    let out = Command::new("ss")
        .args(["-tnoH", "state", "established"])
        .arg(format!("( sport = :{} and dport = :{client_port} )", s.addr.port()))
        .output()
        .expect("run ss (iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("timer:(keepalive"), "no keepalive timer on the server socket: {text}");
}

#[tokio::test]
async fn a_body_that_goes_quiet_is_cut_and_its_bytes_kept() {
    let s = TestServer::start_with(|c| c.body_idle_timeout = Duration::from_secs(1)).await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 1000, "quiet.bin").await;
    let mut req = raw_patch_head(&loc, &t, 0, 1000, "").into_bytes();
    req.extend([5u8; 400]);
    let mut sock = half_sent(s.addr, &req).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(DEADLINE, sock.read(&mut answer))
        .await
        .expect("the server answers a body that went quiet")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("400 bytes are kept"), "{answer}");
    wait_for_offset(&s, &t, &loc, "400").await;
}

#[tokio::test]
async fn a_resuming_client_takes_over_the_upload_of_a_stalled_patch() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 1000, "stalled.bin").await;
    let mut req = raw_patch_head(&loc, &t, 0, 1000, "").into_bytes();
    req.extend([7u8; 400]);
    // The first client sends 400 bytes and vanishes without closing (a dead link).
    let stalled = half_sent(s.addr, &req).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The resuming client asks where to go on: the stalled PATCH stops and keeps its bytes.
    let res = tokio::time::timeout(DEADLINE, s.head(&t, &loc)).await.expect("HEAD answers");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["upload-offset"], "400");
    let res = s.patch(&t, &loc, 400, vec![8u8; 600]).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    assert_upload_holds(&s, &loc, &[[7u8; 400].as_slice(), &[8u8; 600]].concat());
    drop(stalled);
}

#[tokio::test]
async fn a_patch_that_stalls_is_taken_over_by_the_next_patch_too() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 10, "again.bin").await;
    let mut req = raw_patch_head(&loc, &t, 0, 10, "").into_bytes();
    req.extend(b"0123");
    let stalled = half_sent(s.addr, &req).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A PATCH at the offset the client last knew: the stalled one commits 4 bytes first.
    let res = s.patch(&t, &loc, 0, b"0123456789".to_vec()).await;
    assert_problem(res, 409, "offset-mismatch").await;
    let res = s.patch(&t, &loc, 4, b"456789".to_vec()).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    drop(stalled);
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paks-server"))
}

fn add_focal_point(data: &str) -> String {
    let out = bin()
        .args(["focal-point", "add", "--data", data, "--country", "LAO"])
        .args(["--name", "Souk", "--email", "souk@example.la"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim().to_owned()
}

/// A `paks-server serve` process, killed if the test ends without stopping it.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sh -c "<prefix> exec paks-server serve --data DATA <args>"`; returns it and its
/// address.
fn start_binary(prefix: &str, data: &str, args: &[&str]) -> (Served, SocketAddr) {
    let bin = env!("CARGO_BIN_EXE_paks-server");
    let script = format!(
        r#"{prefix} bin="$0"; data="$1"; shift; exec "$bin" serve --data "$data" --listen 127.0.0.1:0 "$@""#
    );
    let mut child = Command::new("sh")
        .args(["-c", &script, bin, data])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let served = Served(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("PAKS server listening on http://").unwrap().to_owned();
    (served, url.parse().unwrap())
}

/// Sends SIGTERM; the exit status if the process ends `within`.
fn terminate(served: &mut Served, within: Duration) -> Option<std::process::ExitStatus> {
    let pid = served.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    while started.elapsed() < within {
        if let Some(status) = served.0.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn past_the_open_file_limit_a_normal_request_is_still_answered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // 256 descriptors: the cap is lowered to fit, and the rest are answered 503.
    let (mut child, addr) = start_binary("ulimit -n 256 &&", data, &["--header-timeout-secs", "3"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut holding = Vec::new();
        for _ in 0..600 {
            if let Ok(sock) = tokio::time::timeout(Duration::from_secs(5), async {
                let mut sock = TcpStream::connect(addr).await?;
                sock.write_all(b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\n").await?;
                std::io::Result::Ok(sock)
            })
            .await
            {
                holding.extend(sock.ok());
            }
        }
        let client = test_client();
        let res = tokio::time::timeout(
            DEADLINE,
            client.get(format!("http://{addr}/api/v1/identity")).send(),
        )
        .await
        .expect("a normal request is answered while 600 half-sent ones are open")
        .unwrap();
        assert!(res.status() == 200 || res.status() == 503, "{}", res.status());
        drop(holding);
        let started = Instant::now();
        loop {
            let res = client.get(format!("http://{addr}/api/v1/identity")).send().await;
            if res.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(started.elapsed() < DEADLINE, "the server did not recover");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert!(terminate(&mut child, DEADLINE).is_some());
}

#[test]
fn sigterm_with_stalled_requests_exits_within_the_deadline_keeping_upload_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let token = add_focal_point(data);
    let args = ["--shutdown-timeout-secs", "2", "--body-idle-timeout-secs", "600"];
    let (mut child, addr) = start_binary("", data, &args);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (loc, stalled) = rt.block_on(async {
        let client = test_client();
        let res = client
            .post(format!("http://{addr}/api/v1/uploads"))
            .bearer_auth(&token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "1000")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let loc = res.headers()["location"].to_str().unwrap().to_owned();
        let mut patch = raw_patch_head(&loc, &token, 0, 1000, "").into_bytes();
        patch.extend([3u8; 400]);
        let submission = format!(
            "POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Idempotency-Key: \"k1\"\r\nContent-Type: application/json\r\n\
             Content-Length: 5000\r\n\r\n{{\"case\":"
        );
        let stalled =
            vec![half_sent(addr, &patch).await, half_sent(addr, submission.as_bytes()).await];
        tokio::time::sleep(Duration::from_millis(500)).await;
        (loc, stalled)
    });
    let started = Instant::now();
    let status = terminate(&mut child, DEADLINE).expect("the server exits after SIGTERM");
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < DEADLINE);
    drop(stalled);
    // The stalled PATCH was stopped at shutdown and kept what it had received.
    let (mut child, addr) = start_binary("", data, &[]);
    rt.block_on(async {
        let res = test_client()
            .head(format!("http://{addr}{loc}"))
            .bearer_auth(&token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["upload-offset"], "400");
    });
    assert!(terminate(&mut child, DEADLINE).is_some());
}
