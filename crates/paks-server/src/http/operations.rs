//! What operators and their load balancers look at: `/healthz`, `/readyz`, and around every
//! request its id (`X-Request-Id`), log line and metrics.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, http::HeaderName};
use tracing::Instrument;

use super::route_table::RouteTable;
use super::{SharedState, paths};
use crate::metrics::SubmissionOutcome;

pub const REQUEST_ID: &str = "x-request-id";

/// Longest `X-Request-Id` taken from a client or proxy (nginx's `$request_id` is 32).
const MAX_REQUEST_ID: usize = 128;

/// How long `/readyz` waits for each store before it counts as unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::HEALTHZ, healthz).get(paths::READYZ, readyz)
}

/// The process is up and answering: nothing else is asked.
async fn healthz() -> Response {
    Json(serde_json::json!({ "status": "up" })).into_response()
}

/// Why a store counts as not ready, or `None` when it answered in time.
async fn probe(
    what: &'static str,
    check: impl FnOnce() -> crate::Result<()> + Send + 'static,
) -> Option<&'static str> {
    let outcome = tokio::time::timeout(READY_TIMEOUT, super::blocking(check)).await;
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(store = what, error = %e, "not ready");
            Some("unreachable")
        }
        Err(_) => {
            tracing::warn!(store = what, timeout_secs = READY_TIMEOUT.as_secs(), "not ready");
            Some("timed out")
        }
    }
}

/// The database answers a query and the upload storage takes files: 200, else 503. What failed
/// is logged, not answered (the probe is public).
async fn readyz(State(state): State<SharedState>) -> Response {
    let meta = state.meta.clone();
    let uploads = state.uploads.clone();
    let (database, storage) = tokio::join!(
        probe("database", move || meta.ping()),
        probe("storage", move || uploads.check_ready())
    );
    let status = if database.is_none() && storage.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ready" } else { "not ready" },
        "database": database.unwrap_or("ok"),
        "storage": storage.unwrap_or("ok"),
    });
    (status, Json(body)).into_response()
}

/// A request id from outside is kept when it is a plain token, so that it can be quoted in logs
/// without escaping; anything else is replaced by a new one.
fn is_sane_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane_request_id(id))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}

/// The routed template equal to `matched`, as a `'static` label: the set of labels stays the
/// router's.
fn route_template(matched: &str) -> Option<&'static str> {
    static ROUTES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| super::endpoints().into_iter().map(|(_, p)| p).collect());
    routes.iter().copied().find(|p| *p == matched)
}

fn submission_outcome(res: &Response) -> SubmissionOutcome {
    match res.status().as_u16() {
        _ if res.headers().contains_key("idempotent-replayed") => SubmissionOutcome::replayed,
        200..=299 => SubmissionOutcome::received,
        400..=499 => SubmissionOutcome::refused,
        _ => SubmissionOutcome::failed,
    }
}

/// Gives the request its id (a tracing span around everything it logs, and the answer's
/// `X-Request-Id`), then logs it and records its metrics.
pub async fn observe(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let route = route.and_then(route_template).unwrap_or(UNMATCHED);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    async move {
        let started = Instant::now();
        let mut res = next.run(req).await;
        let seconds = started.elapsed().as_secs_f64();
        let status = res.status().as_u16();
        let metrics = &state.metrics;
        metrics.observe_request(method.as_str(), route, status, seconds);
        if method == axum::http::Method::POST
            && (route == paths::SUBMISSIONS || route == paths::BAGS)
        {
            metrics.count_submission(submission_outcome(&res));
        }
        let ms = seconds * 1000.0;
        if route == paths::HEALTHZ || route == paths::READYZ {
            tracing::debug!(%method, route, status, ms, "request");
        } else {
            tracing::info!(%method, route, path, status, ms, "request");
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(HeaderName::from_static(REQUEST_ID), value);
        }
        res
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_from_outside_is_kept_only_when_it_is_a_plain_token() {
        assert!(is_sane_request_id("3f2a9c1d5e6b47a8b9c0d1e2f3a4b5c6"));
        assert!(is_sane_request_id("desk-42.sync:7_a"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("has space"));
        assert!(!is_sane_request_id("quote\"injection"));
        assert!(!is_sane_request_id("line\nbreak"));
        assert!(!is_sane_request_id("é"));
        assert!(!is_sane_request_id(&"a".repeat(MAX_REQUEST_ID + 1)));
        assert!(is_sane_request_id(&"a".repeat(MAX_REQUEST_ID)));
    }
}
