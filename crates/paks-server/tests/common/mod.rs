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
        let res = self
            .client
            .post(self.u("/api/v1/uploads"))
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

    pub async fn patch(&self, token: &str, location: &str, offset: u64, body: Vec<u8>) -> Response {
        self.client
            .patch(self.u(location))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
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
        self.client
            .post(self.u("/api/v1/submissions"))
            .bearer_auth(token)
            .header("Idempotency-Key", format!("\"{key}\""))
            .json(body)
            .send()
            .await
            .unwrap()
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

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
