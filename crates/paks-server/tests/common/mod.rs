#![allow(dead_code, clippy::unwrap_used)] // Test support: panicking is how a test fails.

use std::sync::Arc;
use std::time::Duration;

use paks_protocol::{AttachmentDescriptor, CaseDocument, FocalPointContact, MdgLink, SdgLink};
use paks_server::http::{AppState, SharedState};
use paks_server::{Config, open_state, operator, serve_state};
use reqwest::{Client, Response};
use sha2::Digest;
use uuid::Uuid;

pub struct TestServer {
    pub url: String,
    pub addr: std::net::SocketAddr,
    pub state: SharedState,
    pub client: Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<paks_server::Result<()>>>,
    pub dir: Arc<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(dir: Arc<tempfile::TempDir>, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path());
        config.name = "PAKS test server".into();
        tweak(&mut config);
        let state: SharedState = Arc::new(open_state(config).unwrap());
        Self::serve(dir, state).await
    }

    /// Serves `state`, whose data folder is `dir`.
    pub async fn serve(dir: Arc<tempfile::TempDir>, state: SharedState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_state(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        TestServer {
            url: format!("http://{addr}"),
            addr,
            state,
            client: test_client(),
            shutdown: Some(tx),
            task: Some(task),
            dir,
        }
    }

    /// Stops the server and waits for it (graceful shutdown).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap().unwrap();
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Registers a focal point and returns its token.
    pub fn focal_point(&self, country: &str) -> String {
        let (_, token) = operator::add_focal_point(
            &*self.state.meta,
            country,
            "Test Focal Point",
            "fp@example.org",
            Some(30),
        )
        .unwrap();
        token
    }

    pub fn u(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// tus creation; returns the upload URL path.
    pub async fn create_upload(&self, token: &str, length: u64, name: &str) -> String {
        create_upload_at(&self.client, &self.url, token, length, name).await
    }

    pub async fn patch(&self, token: &str, location: &str, offset: u64, body: Vec<u8>) -> Response {
        patch_at(&self.client, &self.url, token, location, offset, body).await
    }

    pub async fn head(&self, token: &str, location: &str) -> Response {
        self.client
            .head(self.u(location))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap()
    }

    /// Uploads `bytes` whole; returns the attachment descriptor.
    pub async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> AttachmentDescriptor {
        let location = self.create_upload(token, bytes.len() as u64, name).await;
        let res = self.patch(token, &location, 0, bytes.to_vec()).await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
        AttachmentDescriptor {
            upload_id: upload_id(&location),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            name: name.into(),
            media_type: "application/pdf".into(),
        }
    }

    pub async fn submit(&self, token: &str, key: &str, body: &serde_json::Value) -> Response {
        submit_at(&self.client, &self.url, token, key, body).await
    }

    pub async fn submit_raw(&self, token: &str, key: &str, body: Vec<u8>) -> Response {
        self.client
            .post(self.u("/api/v1/submissions"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn public_key(&self) -> String {
        let id: serde_json::Value =
            self.client.get(self.u("/api/v1/identity")).send().await.unwrap().json().await.unwrap();
        id["public_key"].as_str().unwrap().to_owned()
    }
}

/// tus creation at the PAKS at `base`; returns the upload URL path.
pub async fn create_upload_at(
    client: &Client,
    base: &str,
    token: &str,
    length: u64,
    name: &str,
) -> String {
    let res = client
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", format!("filename {}", b64(name.as_bytes())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// A tus PATCH of `body` at `offset` to the PAKS at `base`.
pub async fn patch_at(
    client: &Client,
    base: &str,
    token: &str,
    location: &str,
    offset: u64,
    body: Vec<u8>,
) -> Response {
    client
        .patch(format!("{base}{location}"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// `POST /api/v1/submissions` with `key` to the PAKS at `base`.
pub async fn submit_at(
    client: &Client,
    base: &str,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> Response {
    client
        .post(format!("{base}/api/v1/submissions"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("\"{key}\""))
        .json(body)
        .send()
        .await
        .unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A new upload of `length` bytes held by focal point `owner`, never expiring.
pub fn new_upload_info(owner: i64, length: u64) -> paks_server::upload_store::UploadInfo {
    paks_server::upload_store::UploadInfo {
        id: Uuid::new_v4(),
        length,
        raw_metadata: None,
        metadata: Default::default(),
        owner,
        created_at: 0,
        expires_at: Some(i64::MAX),
        sha256: None,
    }
}

/// The public key a PAKS at `base` says it signs with (`/api/v1/identity`).
pub async fn public_key(client: &Client, base: &str) -> String {
    let id: serde_json::Value =
        client.get(format!("{base}/api/v1/identity")).send().await.unwrap().json().await.unwrap();
    id["public_key"].as_str().unwrap().to_owned()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn upload_id(location: &str) -> Uuid {
    Uuid::parse_str(location.rsplit('/').next().unwrap()).unwrap()
}

pub fn sample_case(country: &str) -> CaseDocument {
    CaseDocument {
        schema_version: 1,
        case_uid: Uuid::new_v4(),
        version: 1,
        replaces: None,
        language: "en".into(),
        title: "One-stop e-service portal for business registration".into(),
        country: country.into(),
        government_level: "national".into(),
        institutions: vec!["Ministry of Technology and Communications".into()],
        partners: vec!["UNDP".into()],
        start_year: Some(2009),
        stage: "implemented".into(),
        themes: vec!["e-government".into(), "business registration".into()],
        summary: "Citizens and firms register a business online in one day.".into(),
        problem: "Registration took 90 days and eight offices.".into(),
        solution: "A single online window.".into(),
        innovation: "Back-office integration.".into(),
        objectives: "Cut time and cost.".into(),
        stakeholders: "Firms, ministries.".into(),
        implementation: "Three phases.".into(),
        resources: "National budget.".into(),
        ict_components: "Web portal, shared registry.".into(),
        results: "Registration time down to one day.".into(),
        obstacles: "Legacy systems.".into(),
        sustainability: "Fees fund operations.".into(),
        transferability: "Applicable to neighbours.".into(),
        lessons_learned: "Start with the law.".into(),
        related_policy: "E-government strategy 2006-2010.".into(),
        links: "https://example.org/portal".into(),
        mdg_links: vec![MdgLink {
            target: "8.F".into(),
            indicator: Some("8.16".into()),
            note: "Internet users".into(),
        }],
        sdg_links: vec![SdgLink { target: "16.6".into(), note: None }],
        focal_point: FocalPointContact {
            name: "Test Focal Point".into(),
            title: "Director".into(),
            institution: "Ministry".into(),
            email: "fp@example.org".into(),
        },
    }
}

pub fn request_json(
    case: &CaseDocument,
    attachments: &[AttachmentDescriptor],
) -> serde_json::Value {
    serde_json::json!({ "case": case, "attachments": attachments })
}

/// Asserts a problem+json answer with this status and problem type slug; returns the body.
pub async fn assert_problem(res: Response, status: u16, slug: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status for expected {slug}");
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:paks:problem:{slug}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

/// A reqwest client that works whatever TLS features the workspace unifies into reqwest (desk-sync
/// builds it with `rustls-no-provider`, which needs a process-wide crypto provider).
pub fn test_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

/// Sends a request over a raw TCP connection and hangs up without reading the answer: after
/// `send` bytes of the body (all of it when `None`), as soon as `hang_up_when` holds.
pub async fn post_and_hang_up(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    send: Option<usize>,
    hang_up_when: impl FnMut() -> bool,
) {
    use tokio::io::AsyncWriteExt;
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&body[..send.unwrap_or(body.len())]).await.unwrap();
    sock.flush().await.unwrap();
    eventually("the moment to hang up comes", hang_up_when).await;
    drop(sock);
}

/// Calls `attempt` until it answers something other than 409 (a request with the same key still
/// being processed), for at most 60 s.
pub async fn until_not_in_progress<F, Fut>(mut attempt: F) -> Response
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let res = attempt().await;
        if res.status() != 409 {
            return res;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the key is still claimed after 60 s: {}",
            res.text().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `check` every 50 ms until it holds, for at most 60 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "after 60 s, still not: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A count read from the database file directly, beside a running server.
fn count_in_database(data_dir: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("paks.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Claims on Idempotency-Keys not yet answered.
pub fn unanswered_claims(data_dir: &std::path::Path) -> i64 {
    count_in_database(
        data_dir,
        "SELECT COUNT(*) FROM idempotency_keys WHERE response_status IS NULL",
    )
}

/// Submissions stored.
pub fn stored_submissions(data_dir: &std::path::Path) -> i64 {
    count_in_database(data_dir, "SELECT COUNT(*) FROM submissions")
}

impl TestServer {
    /// The owner's tus termination of an upload.
    pub async fn delete_upload(&self, token: &str, id: Uuid) -> Response {
        self.client
            .delete(self.u(&format!("/api/v1/uploads/{id}")))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap()
    }
}

/// The real `paks-server serve` binary on 127.0.0.1, port 0. Its stderr is kept beside its data
/// folder and printed when a test fails, so that a failure says why an instance stopped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
    stderr_log: std::path::PathBuf,
}

impl ServerProcess {
    pub fn start(data_dir: &std::path::Path, extra: &[&str]) -> Self {
        Self::start_with_env(data_dir, extra, std::iter::empty::<(String, String)>())
    }

    pub fn start_with_env(
        data_dir: &std::path::Path,
        extra: &[&str],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        use std::io::BufRead;
        let stderr_log = data_dir.with_extension("stderr.log");
        let stderr = std::fs::File::create(&stderr_log).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_paks-server"))
            .args(["serve", "--data", data_dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env)
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("PAKS server listening on ")
            .unwrap_or_else(|| panic!("paks-server did not start: {line:?}"))
            .to_owned();
        ServerProcess { child, url, stderr_log }
    }

    pub fn kill9(&mut self) {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let exited = self.child.try_wait().ok().flatten();
            let log = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
            eprintln!("paks-server at {} (exited: {exited:?}) wrote to stderr:\n{log}", self.url);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers a focal point with the operator CLI; returns its token.
pub fn add_focal_point_cli(data_dir: &std::path::Path, country: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .args(["focal-point", "add", "--data", data_dir.to_str().unwrap(), "--country", country])
        .args(["--name", "Test Focal Point", "--email", "fp@example.org"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim().to_owned()
}

/// Where a test client hangs up: a name, whether the whole request was sent, and the moment.
pub type CutPoint = (&'static str, bool, Box<dyn Fn() -> bool>);

/// Half-way through the body, right after the whole request, and while the server processes
/// it (its key claimed, nothing stored yet).
pub fn cut_points(data_dir: &std::path::Path) -> [CutPoint; 3] {
    let data_dir = data_dir.to_owned();
    [
        ("mid-body", false, Box::new(|| true)),
        ("after the request", true, Box::new(|| true)),
        ("while processing", true, Box::new(move || unanswered_claims(&data_dir) > 0)),
    ]
}

/// The JSON body and the raw-TCP headers of a submission sent with `key`.
pub fn raw_submission(
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> (Vec<u8>, Vec<(String, String)>) {
    let headers = vec![
        ("Authorization".to_owned(), format!("Bearer {token}")),
        ("Idempotency-Key".to_owned(), format!("\"{key}\"")),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    (serde_json::to_vec(body).unwrap(), headers)
}

/// The head of a raw tus PATCH of `length` bytes at `offset`; `extra` holds more header lines,
/// each ending in CRLF.
pub fn raw_patch_head(loc: &str, token: &str, offset: u64, length: u64, extra: &str) -> String {
    format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n\
         Content-Type: application/offset+octet-stream\r\n{extra}Content-Length: {length}\r\n\r\n"
    )
}

/// The head of a raw creation-with-upload whose body is the whole upload of `length` bytes.
pub fn raw_creation_head(token: &str, length: u64) -> String {
    format!(
        "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Length: {length}\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Asserts that the upload at `location` is complete and holds `expected`.
pub fn assert_upload_holds(s: &TestServer, location: &str, expected: &[u8]) {
    let up = s.state().uploads.get(upload_id(location)).unwrap().unwrap();
    assert_eq!(up.info.sha256.as_deref(), Some(sha256_hex(expected).as_str()));
}
