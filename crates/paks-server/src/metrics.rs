//! Prometheus metrics of one instance, served on an address of their own (`serve
//! --metrics-listen`), never on the public one. See docs/server.md, "Operations".

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// The path the metrics are served at, on the metrics address.
pub const METRICS_PATH: &str = "/metrics";

const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// One of the methods HTTP defines, else `other`: a client cannot add series.
    pub method: &'static str,
    /// The route's template (`/api/v1/uploads/{id}`), never the raw path: one series per route.
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: SubmissionOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusClassLabels {
    /// `4xx` or `5xx`.
    pub class: &'static str,
}

/// What became of a submission request (online or a hand-carried bag).
#[derive(
    Clone, Copy, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelValue,
)]
#[allow(non_camel_case_types)] // The label values as Prometheus shows them.
pub enum SubmissionOutcome {
    /// Stored, a receipt signed (201).
    received,
    /// The same Idempotency-Key and body again: the stored answer replayed.
    replayed,
    /// Refused by the rules (a 4xx answer: invalid, key reused or in progress, rate limited…).
    refused,
    /// The server failed (5xx).
    failed,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~33 s: a submission answers in milliseconds, a PATCH of a large file in seconds.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The instance's metrics; each handle shares its value with the registry.
pub struct Metrics {
    registry: Registry,
    /// tus PATCH (and creation-with-upload) bodies being received now.
    pub uploads_open: Gauge,
    /// Upload bytes received and kept.
    pub upload_bytes_received: Counter,
    pub submissions: Family<OutcomeLabels, Counter>,
    pub request_duration: LatencyFamily,
    pub errors: Family<StatusClassLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("paks");
        let uploads_open = Gauge::default();
        registry.register(
            "uploads_open",
            "tus upload bodies (PATCH, creation-with-upload) being received by this instance now",
            uploads_open.clone(),
        );
        let upload_bytes_received = Counter::default();
        registry.register(
            "upload_bytes_received",
            "Upload bytes received and kept",
            upload_bytes_received.clone(),
        );
        let submissions = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "submissions",
            "Submission requests (POST /api/v1/submissions and hand-carried bags) by outcome",
            submissions.clone(),
        );
        let request_duration: LatencyFamily =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer (a PATCH's whole body included), by method and route template",
            request_duration.clone(),
        );
        let errors = Family::<StatusClassLabels, Counter>::default();
        registry.register("http_errors", "Error answers by status class", errors.clone());
        Self {
            registry,
            uploads_open,
            upload_bytes_received,
            submissions,
            request_duration,
            errors,
        }
    }

    pub fn count_submission(&self, outcome: SubmissionOutcome) {
        self.submissions.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Records one answered request.
    pub fn observe_request(&self, method: &str, route: &'static str, status: u16, seconds: f64) {
        const KNOWN: [&str; 9] =
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];
        let method = KNOWN.into_iter().find(|m| *m == method).unwrap_or("other");
        let labels = RouteLabels { method, route };
        self.request_duration.get_or_create(&labels).observe(seconds);
        let class = match status {
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => return,
        };
        self.errors.get_or_create(&StatusClassLabels { class }).inc();
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> Result<String> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| Error::Invalid(format!("encoding metrics: {e}")))?;
        Ok(text)
    }
}

/// Counts an upload body as open until dropped.
pub struct OpenUpload(Gauge);

impl OpenUpload {
    pub fn new(metrics: &Metrics) -> Self {
        metrics.uploads_open.inc();
        Self(metrics.uploads_open.clone())
    }
}

impl Drop for OpenUpload {
    fn drop(&mut self) {
        self.0.dec();
    }
}

async fn exposition(State(state): State<Arc<crate::http::AppState>>) -> Response {
    match state.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics not encoded");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Scrapers connected at once; the metrics address is private, a few suffice.
const MAX_SCRAPERS: usize = 16;

/// Serves `GET /metrics` of `state` on `listener` (with the public address's timeouts) until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: crate::http::SharedState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut config = state.config.clone();
    config.max_connections = MAX_SCRAPERS;
    let app = Router::new().route(METRICS_PATH, axum::routing::get(exposition)).with_state(state);
    crate::connections::serve(listener, app, &config, shutdown, || {}).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_made_up_method_adds_no_series_of_its_own() {
        let metrics = Metrics::new();
        metrics.observe_request("BREW", "/api/v1/identity", 405, 0.001);
        metrics.observe_request("XYZZY", "/api/v1/identity", 405, 0.001);
        metrics.observe_request("GET", "/api/v1/identity", 200, 0.001);
        let text = metrics.encode().unwrap();
        assert!(!text.contains("BREW") && !text.contains("XYZZY"), "{text}");
        let other = "paks_http_request_duration_seconds_count{method=\"other\",route=\"/api/v1/identity\"} 2";
        assert!(text.contains(other), "{text}");
        assert!(text.contains("paks_http_errors_total{class=\"4xx\"} 2"), "{text}");
    }
}
