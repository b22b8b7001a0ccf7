//! Ingest figures on loopback: one 1 GiB tus upload, 100 concurrent 10 MiB uploads, and the
//! latency of the submission POST. Prints figures; asserts nothing about time.
//! Run: cargo bench -p paks-server --bench ingest   (PAKS_BENCH_GIB=1, PAKS_BENCH_POSTS=500)

use std::sync::Arc;
use std::time::{Duration, Instant};

use paks_server::{Config, open_state, operator, serve_state};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: u64 = 1024 * 1024;

async fn create(addr: std::net::SocketAddr, token: &str, len: u64) -> String {
    let c = reqwest::Client::new();
    let res = c
        .post(format!("http://{addr}/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", len.to_string())
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    res.headers()["location"].to_str().expect("location").to_owned()
}

/// One PATCH of `len` bytes over a raw socket, streamed from a reused buffer.
async fn patch(addr: std::net::SocketAddr, token: &str, location: &str, len: u64) {
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    sock.set_nodelay(true).expect("nodelay");
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n\
         Content-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.expect("head");
    let buf: Vec<u8> = (0..4 * MIB).map(|i| (i * 31 % 251) as u8).collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        sock.write_all(&buf[..n]).await.expect("body");
        left -= n as u64;
    }
    let mut answer = Vec::new();
    sock.read_to_end(&mut answer).await.expect("answer");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 204"), "{text}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let gib: u64 = std::env::var("PAKS_BENCH_GIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let posts: usize =
        std::env::var("PAKS_BENCH_POSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let dir =
            tempfile::tempdir_in(std::env::var("PAKS_BENCH_DIR").unwrap_or_else(|_| ".".into()))
                .expect("tempdir");
        let mut config = Config::new(dir.path());
        config.rate_limit_burst = 100_000;
        config.rate_limit_per_second = 100_000.0;
        config.max_upload_size = 4 << 30;
        let state = Arc::new(open_state(config).expect("state"));
        let (_, token) =
            operator::add_focal_point(&*state.meta, "LAO", "Bench", "b@example.org", None)
                .expect("fp");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(serve_state(listener, state.clone(), std::future::pending()));

        // 1. One big upload.
        let len = gib * 1024 * MIB;
        let loc = create(addr, &token, len).await;
        let t = Instant::now();
        patch(addr, &token, &loc, len).await;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "single upload: {} MiB in {secs:.2} s = {:.0} MB/s (incl. fsync and SHA-256)",
            len / MIB,
            len as f64 / secs / 1e6
        );

        // 2. 100 concurrent uploads of 10 MiB.
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                let loc = create(addr, &token, 10 * MIB).await;
                patch(addr, &token, &loc, 10 * MIB).await;
            }));
        }
        for task in tasks {
            task.await.expect("upload task");
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "100 concurrent 10 MiB uploads: {secs:.2} s = {:.0} MB/s aggregate",
            100.0 * 10.0 * MIB as f64 / secs / 1e6
        );

        // 3. Submission POST latency (one attachment each, sequential).
        let loc = create(addr, &token, MIB).await;
        patch(addr, &token, &loc, MIB).await;
        let upload_id = loc.rsplit('/').next().expect("id").to_owned();
        let sha = state
            .uploads
            .get(upload_id.parse().expect("uuid"))
            .expect("get")
            .expect("upload")
            .info
            .sha256
            .expect("sha");
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/submission.json"))
                .expect("fixture");
        let client = reqwest::Client::new();
        let mut latencies = Vec::with_capacity(posts);
        for i in 0..posts {
            let mut body = fixture.clone();
            body["case"]["case_uid"] = serde_json::json!(uuid::Uuid::new_v4());
            body["attachments"] = serde_json::json!([{
                "upload_id": upload_id, "sha256": sha, "size": MIB, "name": "a.pdf",
                "media_type": "application/pdf"
            }]);
            let t = Instant::now();
            let res = client
                .post(format!("http://{addr}/api/v1/submissions"))
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("\"bench-{i}\""))
                .json(&body)
                .send()
                .await
                .expect("post");
            assert_eq!(res.status(), 201);
            res.bytes().await.expect("body");
            latencies.push(t.elapsed());
        }
        latencies.sort();
        println!(
            "submission POST ({posts} sequential, 1 attachment): p50 {:.2} ms, p99 {:.2} ms",
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0
        );
    });
}
