//! The PAKS API over HTTP: reachability (identity with a fresh challenge), submission with an
//! Idempotency-Key, review status. Every answer that is not what PAKS would say is classified
//! here, once: offline, not PAKS (a captive portal or proxy page), server trouble, rate
//! limiting, refusal.

use std::time::{Duration, SystemTime};

use paks_protocol::{
    CaseDocument, PROBLEM_CONTENT_TYPE, Problem, ProblemType, Receipt, ServerIdentity,
    SubmissionRequest, SubmissionStatus, case_sha256, verify_identity, verify_receipt,
};
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Response, StatusCode, Url};
use uuid::Uuid;

use crate::backoff::parse_retry_after;
use crate::error::{Result, SyncError};

/// The most of an answer's body that is read: PAKS's JSON answers (a receipt, a status, an
/// identity) are a few KiB; anything larger is not PAKS and must not fill the memory.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The most of an error answer's body that is read: only its first words are shown.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Same-origin redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// How the HTTP client is built.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// An explicit HTTP(S) proxy URL; without it the environment's proxy variables apply.
    pub proxy: Option<String>,
    /// Upload bandwidth cap in kbit/s (so an upload does not choke a shared office link).
    pub bandwidth_kbps: Option<u32>,
    pub connect_timeout: Duration,
    /// How long a request may go without progress before it is given up and resumed.
    pub stall_timeout: Duration,
    /// How long a reachability probe (identity, an upload's offset) may take in all.
    pub probe_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            proxy: None,
            bandwidth_kbps: None,
            connect_timeout: Duration::from_secs(20),
            stall_timeout: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(10),
        }
    }
}

/// One PAKS server, as the app knows it: address, token and (once connected) pinned key.
#[derive(Clone)]
pub struct PaksClient {
    pub(crate) http: reqwest::Client,
    base: reqwest::Url,
    token: String,
    pub(crate) options: ClientOptions,
}

impl std::fmt::Debug for PaksClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaksClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// A few words on a body that is not PAKS's answer: a web page by its title, not its markup.
pub(crate) fn body_summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    if text.trim().is_empty() {
        return "an empty answer".to_owned();
    }
    if !text.trim_start().starts_with('<') {
        return short(&text.chars().take(200).collect::<String>());
    }
    let lower = text.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|start| {
        let open_end = start + lower[start..].find('>')? + 1;
        let close = open_end + lower[open_end..].find("</title")?;
        Some(short(&text[open_end..close]))
    });
    match title {
        Some(title) if !title.is_empty() => format!("a web page titled \"{title}\""),
        _ => "a web page".to_owned(),
    }
}

pub(crate) fn short(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 160 {
        format!("{}…", one_line.chars().take(160).collect::<String>())
    } else {
        one_line
    }
}

/// reqwest is built without a bundled TLS crypto provider; ring is ours. Call before building
/// any other reqwest client in the process. Installing twice (another part did it first) is fine.
pub fn ensure_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl PaksClient {
    pub fn new(base_url: &str, token: &str, options: ClientOptions) -> Result<Self> {
        ensure_crypto_provider();
        let mut base = reqwest::Url::parse(base_url.trim())
            .map_err(|_| SyncError::NotAnAddress { url: base_url.to_owned() })?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => return Err(SyncError::InsecureAddress { url: base.to_string() }),
            _ => return Err(SyncError::NotAnAddress { url: base_url.to_owned() }),
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.stall_timeout)
            // A connection whose peer vanished without a reset (a cut that lost the RST, a
            // dropped link) is found in seconds instead of at the read timeout.
            .tcp_keepalive(Duration::from_secs(3))
            .tcp_keepalive_interval(Duration::from_secs(2))
            .tcp_keepalive_retries(3)
            .user_agent(concat!("paks-desk/", env!("CARGO_PKG_VERSION")))
            // Every request carries the token (or a case): a redirect to another origin is
            // answered as an error, never followed.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if !same_origin {
                    attempt.stop()
                } else if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }));
        if let Some(proxy) = options.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
            let proxy = reqwest::Proxy::all(proxy.trim())
                .map_err(|_| SyncError::ProxyInvalid { proxy: proxy.to_owned() })?;
            builder = builder.proxy(proxy);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // Sent bytes unacknowledged this long mean the link is gone, even mid-upload.
            builder = builder.tcp_user_timeout(Duration::from_secs(20));
        }
        let http = builder
            .build()
            .map_err(|e| SyncError::Invalid(format!("The HTTP client could not start: {e}")))?;
        Ok(Self { http, base, token: token.trim().to_owned(), options })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// An absolute URL for `path` (relative to the PAKS address) or an absolute URL as is.
    pub(crate) fn url(&self, path: &str) -> Result<reqwest::Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| SyncError::Garbled(format!("bad URL {path:?}: {e}")))
    }

    /// `url` if it is on PAKS's own origin (scheme, host and port): the token goes nowhere else.
    pub(crate) fn same_origin(&self, url: Url) -> Result<Url> {
        if url.origin() == self.base.origin() {
            Ok(url)
        } else {
            Err(SyncError::NotPaks(format!(
                "PAKS named another address, {}, which is not sent the token",
                url.origin().ascii_serialization()
            )))
        }
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Asks the identity endpoint with a fresh challenge. With `pinned_key`, the answer must be
    /// signed by that key; without (first connection), by the key it presents, which the caller
    /// then pins. A 200 that is not a signed PAKS identity (captive portal, proxy login page)
    /// is `NotPaks`, never success.
    pub async fn identity(&self, pinned_key: Option<&str>) -> Result<ServerIdentity> {
        let challenge = Uuid::new_v4().to_string();
        let mut url = self.url("api/v1/identity")?;
        url.query_pairs_mut().append_pair("challenge", &challenge);
        let res = self.http.get(url).timeout(self.options.probe_timeout).send().await?;
        if !res.status().is_success() {
            return Err(classify(res).await);
        }
        let is_json = is_json(&res);
        let body = read_answer(res, MAX_ANSWER_BYTES).await?;
        if !is_json {
            return Err(SyncError::NotPaks(format!(
                "the identity address answered with {}",
                body_summary(&body)
            )));
        }
        let identity: ServerIdentity = serde_json::from_slice(&body)
            .map_err(|e| SyncError::NotPaks(format!("the identity answer is not PAKS's: {e}")))?;
        let key = pinned_key.unwrap_or(&identity.public_key).to_owned();
        verify_identity(&key, &challenge, &identity)
            .map_err(|e| SyncError::NotPaks(e.to_string()))?;
        Ok(identity)
    }

    /// Checks that PAKS accepts the token: asks for a submission that cannot exist; "not found"
    /// means the token was accepted.
    pub async fn check_token(&self) -> Result<()> {
        let url = self.url(&format!("api/v1/submissions/{}", Uuid::nil()))?;
        let res = self.http.get(url).bearer_auth(&self.token).send().await?;
        match res.status() {
            StatusCode::NOT_FOUND | StatusCode::OK => Ok(()),
            _ => Err(classify(res).await),
        }
    }

    /// `POST /api/v1/submissions` with the stored Idempotency-Key; returns the receipt once its
    /// signature verifies with `pinned_key` and it covers exactly what was sent.
    pub async fn submit(
        &self,
        idempotency_key: &str,
        request: &SubmissionRequest,
        pinned_key: &str,
    ) -> Result<Receipt> {
        let body = serde_json::to_vec(request)
            .map_err(|e| SyncError::Invalid(format!("the case could not be encoded: {e}")))?;
        let res = self
            .http
            .post(self.url("api/v1/submissions")?)
            .bearer_auth(&self.token)
            .header("Idempotency-Key", format!("\"{idempotency_key}\""))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        if !res.status().is_success() {
            return Err(classify(res).await);
        }
        let bytes = read_answer(res, MAX_ANSWER_BYTES).await?;
        let receipt: Receipt = serde_json::from_slice(&bytes).map_err(|e| {
            SyncError::Garbled(format!(
                "not a receipt ({e}): {}",
                short(&String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
            ))
        })?;
        check_receipt(&receipt, request, pinned_key)?;
        Ok(receipt)
    }

    /// `GET /api/v1/receipts/{case_uid}/{version}`: PAKS's receipt for this case version however
    /// it arrived (a hand-carried bag, say), once its signature verifies with `pinned_key`;
    /// `None` while PAKS holds no such version. Returns the receipt and its JSON as received.
    pub async fn receipt_of_version(
        &self,
        case_uid: &str,
        version: i64,
        pinned_key: &str,
    ) -> Result<Option<(Receipt, String)>> {
        let url = self.url(&format!("api/v1/receipts/{case_uid}/{version}"))?;
        let res = self.http.get(url).bearer_auth(&self.token).send().await?;
        if res.status() == StatusCode::NOT_FOUND && is_problem(&res) {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(classify(res).await);
        }
        let bytes = read_answer(res, MAX_ANSWER_BYTES).await?;
        let receipt: Receipt = serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Garbled(format!("not a receipt: {e}")))?;
        verify_receipt(pinned_key, &receipt).map_err(|e| SyncError::BadReceipt(e.to_string()))?;
        if receipt.case_uid.to_string() != case_uid || i64::from(receipt.version) != version {
            return Err(SyncError::BadReceipt("it is for another case version".into()));
        }
        Ok(Some((receipt, String::from_utf8_lossy(&bytes).into_owned())))
    }

    /// `GET /api/v1/submissions/{id}`.
    pub async fn status(&self, submission_id: &str) -> Result<SubmissionStatus> {
        let url = self.url(&format!("api/v1/submissions/{submission_id}"))?;
        let res = self.http.get(url).bearer_auth(&self.token).send().await?;
        if !res.status().is_success() {
            return Err(classify(res).await);
        }
        let bytes = read_answer(res, MAX_ANSWER_BYTES).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Garbled(format!("not a submission status: {e}")))
    }
}

/// The receipt must verify with the pinned key and name this case version, document and files.
/// Files are compared by content, not upload: PAKS may hold this version from a hand-carried
/// bag (same Idempotency-Key, same bytes, other uploads).
pub fn check_receipt(
    receipt: &Receipt,
    request: &SubmissionRequest,
    pinned_key: &str,
) -> Result<()> {
    verify_receipt(pinned_key, receipt).map_err(|e| SyncError::BadReceipt(e.to_string()))?;
    if !receipt_covers(
        receipt,
        &request.case,
        request.attachments.iter().map(|a| (a.sha256.as_str(), a.size)),
    )? {
        return Err(SyncError::BadReceipt(
            "it is for another case, another text or other files".into(),
        ));
    }
    Ok(())
}

/// Whether a (verified) receipt is for exactly this case document and these files' bytes.
pub fn receipt_covers<'a>(
    receipt: &Receipt,
    case: &CaseDocument,
    files: impl Iterator<Item = (&'a str, u64)>,
) -> Result<bool> {
    let sha = case_sha256(case).map_err(|e| SyncError::Invalid(e.to_string()))?;
    let mut ours: Vec<(&str, u64)> = files.collect();
    let mut theirs: Vec<(&str, u64)> =
        receipt.files.iter().map(|f| (f.sha256.as_str(), f.size)).collect();
    ours.sort_unstable();
    theirs.sort_unstable();
    Ok(receipt.case_uid == case.case_uid
        && receipt.version == case.version
        && receipt.case_sha256 == sha
        && ours == theirs)
}

fn is_problem(res: &Response) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE))
}

/// Turns an unsuccessful answer into the error that says what to do about it, and logs it with
/// the answer's `X-Request-Id`, which PAKS's own log lines of that request carry.
pub(crate) async fn classify(res: Response) -> SyncError {
    let status = res.status();
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect::<String>());
    let retry_after = res
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let is_problem = is_problem(&res);
    let redirected_to = status
        .is_redirection()
        .then(|| res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned))
        .flatten();
    let body = read_prefix(res, MAX_ERROR_BODY_BYTES).await;
    let problem: Option<Problem> =
        if is_problem { serde_json::from_slice(&body).ok() } else { None };
    let detail = problem.as_ref().map(|p| p.detail.clone()).unwrap_or_else(|| body_summary(&body));
    let kind = problem.as_ref().and_then(Problem::kind);
    let retry_after = retry_after
        .or_else(|| problem.as_ref().and_then(|p| p.retry_after).map(Duration::from_secs));
    let error = match (status.as_u16(), kind) {
        (300..=399, _) => SyncError::NotPaks(match redirected_to {
            Some(to) => format!("HTTP {status}: it sends us to another address, {}", short(&to)),
            None => format!("HTTP {status}: it sends us elsewhere"),
        }),
        (429, _) | (503, _) if retry_after.is_some() => {
            SyncError::RateLimited { retry_after: retry_after.unwrap_or(Duration::from_secs(1)) }
        }
        (_, Some(ProblemType::IdempotencyInProgress | ProblemType::UploadLocked)) => {
            SyncError::StillWorking { retry_after: retry_after.unwrap_or(Duration::from_secs(1)) }
        }
        (429, _) => SyncError::RateLimited { retry_after: Duration::from_secs(5) },
        (401, _) => SyncError::Unauthorized(detail),
        (_, Some(ProblemType::UploadExpired)) => SyncError::UploadExpired(detail),
        (s, _) if s >= 500 => SyncError::Server { status: s, detail },
        // A 4xx that is not problem+json did not come from PAKS (a proxy's page, say).
        (s, None) => SyncError::NotPaks(format!("HTTP {s}: {detail}")),
        (_, Some(_)) => {
            let mut text = detail;
            if let Some(p) = &problem {
                for e in &p.errors {
                    text.push_str(&format!("; {} {}", e.pointer, e.message));
                }
            }
            SyncError::Refused(text)
        }
    };
    tracing::warn!(
        status = status.as_u16(),
        request_id = request_id.as_deref().unwrap_or("-"),
        error = %error,
        "PAKS answered with an error"
    );
    error
}

/// Whether plain HTTP to this address stays on this computer: 127.0.0.0/8, ::1, localhost.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Whether the answer says it is JSON, as PAKS's answers do (a captive portal's page does not).
pub(crate) fn is_json(res: &Response) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The whole body, or `Garbled` as soon as it grows past `limit` bytes.
pub(crate) async fn read_answer(res: Response, limit: usize) -> Result<Vec<u8>> {
    read_at_most(res, limit).await?.ok_or_else(|| {
        SyncError::Garbled(format!(
            "the answer is larger than {} KiB, which no PAKS answer is",
            limit / 1024
        ))
    })
}

/// The whole body, or `None` as soon as it grows past `limit` bytes (the rest is not read).
pub(crate) async fn read_at_most(mut res: Response, limit: usize) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// At most the first `limit` bytes of the body (what arrived before a cut, if it broke).
async fn read_prefix(mut res: Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())])
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log output kept for the test to read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_error_answer_is_logged_with_the_request_id_paks_gave_it() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let answer = axum::http::Response::builder()
            .status(500)
            .header("x-request-id", "3f2a9c1d5e6b47a8")
            .body("the server failed")
            .unwrap();
        let error = classify(Response::from(answer)).await;
        assert!(matches!(error, SyncError::Server { status: 500, .. }), "{error:?}");
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("request_id=\"3f2a9c1d5e6b47a8\"")
                || text.contains("request_id=3f2a9c1d5e6b47a8"),
            "{text}"
        );
        assert!(text.contains("status=500"), "{text}");
    }
}
