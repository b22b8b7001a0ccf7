//! The HTTP API: routing, problem responses, authentication.

mod bags;
mod console;
mod desk_updates;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod identity;
// Issue 19: the public change feed and OAI-PMH.
mod oai;
mod openapi_route;
mod operations;
pub mod paths;
mod public_feed;
mod public_site;
mod route_table;
pub(crate) mod submissions;
mod tus;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use paks_protocol::{PROBLEM_CONTENT_TYPE, Problem, ProblemType};

use crate::auth::{RateLimiter, token_sha256};
use crate::config::Config;
use crate::error::Error;
use crate::metadata::{FocalPoint, MetadataStore};
use crate::signing_key::ServerKey;
use crate::upload_store::UploadStore;

use route_table::RouteTable;
pub(crate) use tus::UploadLocks;

/// Shared by every handler.
pub struct AppState {
    pub config: Config,
    pub meta: Arc<dyn MetadataStore>,
    pub uploads: Arc<dyn UploadStore>,
    pub key: ServerKey,
    pub limiter: RateLimiter,
    pub(crate) locks: UploadLocks,
    pub metrics: crate::metrics::Metrics,
}

pub type SharedState = Arc<AppState>;

fn routes() -> RouteTable {
    let api = RouteTable::new()
        .merge(identity::routes())
        .merge(submissions::routes())
        .merge(bags::routes())
        .merge(public_site::api_routes())
        .merge(public_feed::routes())
        .merge(oai::routes())
        .merge(openapi_route::routes())
        .merge(desk_updates::routes())
        .wrap(|r| r.layer(DefaultBodyLimit::disable()));
    RouteTable::new()
        .merge(api)
        .merge(tus::routes().wrap(|r| r.layer(DefaultBodyLimit::disable())))
        .merge(public_site::html_routes())
        .merge(operations::routes())
        .merge(console::routes())
}

pub fn public_feed_default_limit() -> u32 {
    public_feed::DEFAULT_LIMIT
}

pub fn public_feed_max_limit() -> u32 {
    public_feed::MAX_LIMIT
}

/// Every (method, path) pair the router answers, besides the HEAD that axum answers for each GET.
pub fn endpoints() -> Vec<(Method, &'static str)> {
    routes().endpoints().to_vec()
}

pub fn router(state: SharedState) -> Router {
    routes()
        .into_router()
        .fallback(|| async { ProblemResponse::new(ProblemType::NotFound, "no such endpoint") })
        .layer(middleware::from_fn_with_state(state.clone(), operations::observe))
        .with_state(state)
}

/// An error answer: a problem+json body and any extra headers.
#[derive(Debug)]
pub struct ProblemResponse {
    pub problem: Box<Problem>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ProblemResponse {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { problem: Box::new(Problem::new(kind, detail)), headers: Vec::new() }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl From<Error> for ProblemResponse {
    fn from(e: Error) -> Self {
        tracing::error!(error = %e, "internal error");
        ProblemResponse::new(ProblemType::Internal, "the server failed; the request may be retried")
    }
}

impl IntoResponse for ProblemResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut res =
            (status, [(header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE)], body).into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

pub type ApiResult<T = Response> = Result<T, ProblemResponse>;

/// Runs blocking store work off the async threads.
pub async fn blocking<T, F>(f: F) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    // The request's span (its id) goes with the work, so that what it logs carries it too.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| Error::Join(e.to_string()))?
}

/// Resolves `Authorization: Bearer <token>` to a focal point and applies its rate limit.
pub async fn authenticate(state: &SharedState, headers: &HeaderMap) -> ApiResult<FocalPoint> {
    let unauthorized = |detail: &str| {
        ProblemResponse::new(ProblemType::Unauthorized, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("send Authorization: Bearer <API token>"))?;
    let hash = token_sha256(token);
    let meta = state.meta.clone();
    let fp = blocking(move || meta.focal_point_by_token(&hash))
        .await?
        .ok_or_else(|| unauthorized("unknown API token"))?;
    if fp.revoked_at.is_some() {
        return Err(unauthorized("this API token was revoked"));
    }
    if let Some(expires) = &fp.expires_at {
        let expires = crate::clock::parse_rfc3339(expires)?;
        if expires <= crate::clock::now() {
            return Err(unauthorized("this API token has expired"));
        }
    }
    let (meta, id) = (state.meta.clone(), fp.id);
    let (burst, per_second) = (state.config.rate_limit_burst, state.config.rate_limit_per_second);
    let verdict = match blocking(move || meta.take_rate_token(id, burst, per_second)).await? {
        Some(shared) => shared,
        None => state.limiter.check(fp.id),
    };
    if let Err(wait) = verdict {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut p = ProblemResponse::new(
            ProblemType::RateLimited,
            format!("too many requests for this token; retry in {secs} s"),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(secs));
        p.problem.retry_after = Some(secs);
        return Err(p);
    }
    Ok(fp)
}
