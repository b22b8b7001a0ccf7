//! Test support: the real paks-server in-process on 127.0.0.1, a fault proxy (cut after N
//! bytes, stall, reset), fault injection in front of the real router, and a ready data folder.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use desk_core::{Framework, LinkInput, Profile, Store};
use desk_sync::backoff::Backoff;
use desk_sync::tus::ChunkSizer;
use desk_sync::{EngineOptions, Outbox, SyncSettings, TokenStore};
use paks_server::http::SharedState;
use paks_server::{Config, open_state, operator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: SharedState,
    pub dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Wraps the real router (e.g. to inject faults in front of it).
pub type Wrap = Arc<dyn Fn(axum::Router) -> axum::Router + Send + Sync>;

impl TestServer {
    pub async fn start(dir: &Path) -> Self {
        Self::start_at(dir, "127.0.0.1:0".parse().unwrap(), None).await
    }

    /// Starts on `addr` (port 0 for any) over the data in `dir`; `wrap` decorates the router.
    pub async fn start_at(dir: &Path, addr: SocketAddr, wrap: Option<Wrap>) -> Self {
        let mut config = Config::new(dir);
        config.name = "PAKS test server".into();
        let state: SharedState = Arc::new(open_state(config).unwrap());
        let listener = bind_retrying(addr).await;
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut app = paks_server::http::router(state.clone());
        if let Some(wrap) = wrap {
            app = wrap(app);
        }
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        TestServer { addr, state, dir: dir.to_owned(), shutdown: Some(tx), task: Some(task) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops abruptly: open connections are dropped mid-request.
    pub async fn kill(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.shutdown.take();
    }

    pub fn focal_point(&self, country: &str) -> String {
        let (_, token) = operator::add_focal_point(
            &*self.state.meta,
            country,
            "Test FP",
            "fp@example.org",
            Some(30),
        )
        .unwrap();
        token
    }

    pub fn submission_count(&self) -> usize {
        let conn = rusqlite::Connection::open(self.dir.join("paks.sqlite3")).unwrap();
        conn.query_row("SELECT count(*) FROM submissions", [], |r| r.get::<_, i64>(0)).unwrap()
            as usize
    }

    /// The server's offset and SHA-256 (once complete) of every upload.
    pub fn uploads(&self) -> Vec<(u64, u64, Option<String>)> {
        let mut out = Vec::new();
        for id in self.state.uploads.ids().unwrap() {
            if let Some(u) = self.state.uploads.get(id).unwrap() {
                out.push((u.offset, u.info.length, u.info.sha256.clone()));
            }
        }
        out
    }
}

async fn bind_retrying(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr}");
}

/// A fault applied to one proxied connection, counted in client-to-server bytes.
#[derive(Debug, Clone, Copy)]
#[allow(clippy::enum_variant_names)] // Reads as it acts: cut after N bytes.
pub enum Fault {
    /// Close both directions after N bytes.
    CutAfter(u64),
    /// Stop forwarding for a while after N bytes, then go on.
    StallAfter(u64, Duration),
    /// Send a TCP reset after N bytes.
    ResetAfter(u64),
    /// Close both directions after the server sent N bytes (a download cut).
    CutDownAfter(u64),
}

/// A TCP proxy between the client and the server that applies queued faults, one per new
/// connection, and counts the bytes the client sent.
pub struct FaultProxy {
    pub addr: SocketAddr,
    pub up_bytes: Arc<AtomicU64>,
    /// Bytes the server sent to the client, over all connections.
    pub down_bytes: Arc<AtomicU64>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    cut_at_total: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up_bytes = Arc::new(AtomicU64::new(0));
        let down_bytes = Arc::new(AtomicU64::new(0));
        let faults: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let cut_at_total = Arc::new(AtomicU64::new(0));
        let (up, down, f, cut) =
            (up_bytes.clone(), down_bytes.clone(), faults.clone(), cut_at_total.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let fault = f.lock().unwrap().pop_front();
                let counters = (up.clone(), down.clone());
                tokio::spawn(proxy_one(client, target, fault, counters, cut.clone()));
            }
        });
        FaultProxy { addr, up_bytes, down_bytes, faults, cut_at_total, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push(&self, fault: Fault) {
        self.faults.lock().unwrap().push_back(fault);
    }

    /// Cuts whichever connection carries the client past `n` bytes in total (once).
    pub fn cut_at_total(&self, n: u64) {
        self.cut_at_total.store(n, Ordering::SeqCst);
    }

    pub fn pending_faults(&self) -> usize {
        self.faults.lock().unwrap().len()
    }
}

async fn proxy_one(
    client: TcpStream,
    target: SocketAddr,
    fault: Option<Fault>,
    (up, down_total): (Arc<AtomicU64>, Arc<AtomicU64>),
    cut_at_total: Arc<AtomicU64>,
) {
    let Ok(server) = TcpStream::connect(target).await else { return };
    if matches!(fault, Some(Fault::ResetAfter(_))) {
        // Closing a socket with a zero linger sends RST instead of FIN.
        let _ = client.set_zero_linger();
    }
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let down_limit = match fault {
        Some(Fault::CutDownAfter(n)) => n,
        _ => u64::MAX,
    };
    let down = tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        let mut sent = 0u64;
        while sent < down_limit {
            let room = (down_limit - sent).min(buf.len() as u64) as usize;
            let n = match sr.read(&mut buf[..room]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            sent += n as u64;
            down_total.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = cw.shutdown().await;
        cw
    });
    let mut sent = 0u64;
    let mut fault = fault;
    let mut buf = vec![0u8; 8192];
    loop {
        let limit = match fault {
            Some(Fault::CutAfter(n) | Fault::StallAfter(n, _) | Fault::ResetAfter(n)) => {
                (n.saturating_sub(sent) as usize).clamp(1, buf.len())
            }
            Some(Fault::CutDownAfter(_)) | None => buf.len(),
        };
        let n = match cr.read(&mut buf[..limit]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if sw.write_all(&buf[..n]).await.is_err() {
            break;
        }
        sent += n as u64;
        let total = up.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        let at = cut_at_total.load(Ordering::SeqCst);
        if at != 0
            && total >= at
            && cut_at_total.compare_exchange(at, 0, Ordering::SeqCst, Ordering::SeqCst).is_ok()
        {
            down.abort();
            return;
        }
        match fault {
            Some(Fault::CutAfter(at) | Fault::ResetAfter(at)) if sent >= at => {
                down.abort();
                return;
            }
            Some(Fault::StallAfter(at, pause)) if sent >= at => {
                tokio::time::sleep(pause).await;
                fault = None;
            }
            _ => {}
        }
    }
    let _ = sw.shutdown().await;
    let _ = down.await;
}

/// Fast backoffs and small chunks, so that faults show within seconds.
pub fn fast_options() -> EngineOptions {
    let quick = Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(400) };
    EngineOptions {
        jobs: quick,
        network: quick,
        review: Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(400) },
        stall_timeout: Duration::from_secs(2),
        chunks: {
            let mut c = ChunkSizer::default();
            (c.initial, c.min, c.max) = (64 * 1024, 16 * 1024, 256 * 1024);
            c
        },
        checksum: true,
    }
}

/// A data folder with a profile, connected to `url` with `token` and the server's key.
pub fn desk(dir: &Path, url: &str, token: &str, public_key: &str) -> Arc<Store> {
    let store = Arc::new(Store::open(dir).unwrap());
    store
        .set_profile(&Profile {
            name: "Phoxay Vongsa".into(),
            title: "Director".into(),
            institution: "Ministry of Technology and Communications".into(),
            email: "phoxay@mtc.gov.la".into(),
            country: "LAO".into(),
        })
        .unwrap();
    let settings = SyncSettings {
        paks_url: Some(format!("{url}/")),
        server_key: Some(public_key.into()),
        server_name: None,
        proxy: None,
        bandwidth_kbps: None,
        auto_send: true,
    };
    settings.save(&store).unwrap();
    TokenStore::file_only(dir).save(token).unwrap();
    store
}

/// A complete case, ready to submit; returns its id.
pub fn complete_case(store: &Store, title: &str) -> i64 {
    let case = store.create_case(title, Some("LAO")).unwrap();
    for (field, value) in [
        (desk_core::CaseField::Summary, "Business registration online in one day."),
        (desk_core::CaseField::Problem, "Ninety days and eight offices."),
        (desk_core::CaseField::Solution, "One online window."),
        (desk_core::CaseField::Results, "One day."),
    ] {
        store.set_field(case.id, field, value).unwrap();
    }
    store
        .link_goal(
            case.id,
            &LinkInput {
                framework: Framework::Mdg,
                target: "8.F".into(),
                indicator: Some("8.16".into()),
                note: "More people reach services online.".into(),
            },
        )
        .unwrap();
    case.id
}

/// A file of `len` pseudo-random bytes; returns its path and SHA-256.
pub fn make_file(dir: &Path, name: &str, len: usize) -> (PathBuf, String) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ len as u64;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, paks_protocol::sha256_hex(&data))
}

pub async fn public_key(url: &str) -> String {
    desk_sync::client::ensure_crypto_provider();
    let body = reqwest::get(format!("{url}/api/v1/identity")).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["public_key"].as_str().unwrap().to_owned()
}

/// A running PAKS and a data folder connected to it (token and pinned key saved), with its
/// outbox. Keep `server_dir` bound: dropping it deletes the server's files.
pub struct ConnectedDesk {
    pub server: TestServer,
    pub server_dir: tempfile::TempDir,
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub outbox: Arc<Outbox>,
    pub token: String,
    pub key: String,
}

/// [`ConnectedDesk`] with a fresh server, its router wrapped by `wrap` if given.
pub async fn connected_desk(wrap: Option<Wrap>) -> ConnectedDesk {
    let server_dir = tempfile::tempdir().unwrap();
    let any_port = "127.0.0.1:0".parse().unwrap();
    let server = TestServer::start_at(server_dir.path(), any_port, wrap).await;
    let token = server.focal_point("LAO");
    let key = public_key(&server.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), &server.url(), &token, &key);
    let outbox = Arc::new(Outbox::open(dir.path()).unwrap());
    ConnectedDesk { server, server_dir, dir, store, outbox, token, key }
}

/// A throwaway key pair: (public key as tauri.conf.json holds it, secret key).
pub fn throwaway_key() -> (String, minisign::SecretKey) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let public = pair.pk.to_box().unwrap().to_string();
    (STANDARD.encode(public), pair.sk)
}

/// The .sig file `tauri signer sign` writes: base64 of the minisign signature.
pub fn sign(secret: &minisign::SecretKey, file: &Path) -> String {
    let data = std::fs::read(file).unwrap();
    let signature = minisign::sign(None, secret, std::io::Cursor::new(data), None, None).unwrap();
    STANDARD.encode(signature.to_string())
}

/// Publishes `len` bytes as release `version` for this platform, signed with `secret`.
pub fn publish_release(
    server: &TestServer,
    version: &str,
    len: usize,
    secret: &minisign::SecretKey,
) {
    let (file, _) = make_file(&server.dir, &format!("paks-desk-{version}.deb"), len);
    let sig = server.dir.join(format!("paks-desk-{version}.deb.sig"));
    std::fs::write(&sig, sign(secret, &file)).unwrap();
    let (target, arch) = desk_sync::update::this_platform().unwrap();
    paks_server::desk_releases::add(
        &server.state.config,
        &*server.state.meta,
        version,
        &format!("{target}-{arch}"),
        &file,
        &sig,
        "Faster sending",
    )
    .unwrap();
}
