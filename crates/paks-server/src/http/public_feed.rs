//! The public change feed: every published case once, then only what changed, paged by an
//! opaque cursor (the feed's `seq`), with an ETag so an up-to-date reader costs one small query.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paks_protocol::{ProblemType, PublicChange, PublicChangeKind, PublicChangePage, PublishedCase};
use serde::Deserialize;

use super::public_site::{files_of, parse_case};
use super::route_table::RouteTable;
use super::{ApiResult, ProblemResponse, SharedState, blocking, paths};
use crate::metadata::{FeedEntry, FeedQuery};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 500;

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::PUBLIC_CHANGES, changes)
}

#[derive(Debug, Deserialize)]
struct ChangesParams {
    since: Option<String>,
    limit: Option<u32>,
}

fn parse_cursor(cursor: Option<&str>) -> Result<u64, ProblemResponse> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => c.parse::<u64>().map_err(|_| {
            ProblemResponse::new(
                ProblemType::ValidationFailed,
                "`since` is not a cursor of this feed: read again without it",
            )
        }),
    }
}

/// The published case document of a feed entry, as `GET /api/v1/cases/{id}` answers it.
pub(super) fn published_case(entry: &FeedEntry) -> Result<PublishedCase, crate::error::Error> {
    let r = &entry.submission;
    Ok(PublishedCase {
        submission_id: r.id,
        published_at: r.published_at.clone().unwrap_or_default(),
        html_url: paths::url(paths::CASE_PAGE, &[&r.id]),
        case: parse_case(r)?,
        files: files_of(r),
    })
}

fn change_of(entry: &FeedEntry) -> Result<PublicChange, crate::error::Error> {
    let changed_at = crate::clock::rfc3339(crate::clock::from_unix(entry.changed_at)?)?;
    Ok(PublicChange {
        cursor: entry.seq.to_string(),
        case_uid: entry.submission.case_uid,
        kind: if entry.withdrawn {
            PublicChangeKind::Withdrawn
        } else {
            PublicChangeKind::Published
        },
        changed_at,
        case: if entry.withdrawn { None } else { Some(published_case(entry)?) },
    })
}

async fn changes(
    State(state): State<SharedState>,
    headers: HeaderMap,
    params: Result<Query<ChangesParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) =
        params.map_err(|e| ProblemResponse::new(ProblemType::ValidationFailed, e.body_text()))?;
    let since = parse_cursor(p.since.as_deref())?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    // Every change takes a new `seq`, so the feed's head names the whole feed's content.
    let etag_for = |head: u64| format!("\"feed-{head}-{since}-{limit}\"");
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let mut query = FeedQuery { after_seq: since, limit: 0, ..FeedQuery::default() };
    if let Some(tag) = if_none_match {
        let meta = state.meta.clone();
        let q = query.clone();
        let head = blocking(move || meta.public_feed(&q)).await?.head;
        if tag.split(',').any(|t| t.trim() == etag_for(head)) {
            return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), &etag_for(head)));
        }
    }
    query.limit = limit;
    let meta = state.meta.clone();
    let page = blocking(move || meta.public_feed(&query)).await?;
    if since > page.head {
        return Err(ProblemResponse::new(
            ProblemType::ValidationFailed,
            "`since` is ahead of this feed (was the server's database replaced?): read again without it",
        ));
    }
    let changes = page.entries.iter().map(change_of).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = changes.last().map_or_else(|| since.to_string(), |c| c.cursor.clone());
    let body =
        PublicChangePage { has_more: page.remaining > changes.len() as u64, changes, next_cursor };
    Ok(with_etag(Json(body).into_response(), &etag_for(page.head)))
}

fn with_etag(mut res: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
