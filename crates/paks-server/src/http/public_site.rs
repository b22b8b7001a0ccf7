//! The public knowledge space: published cases as JSON and as plain HTML pages.

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use http_body::Frame;
use paks_protocol::{
    CaseDocument, ProblemType, PublishedCase, PublishedCaseList, PublishedCaseSummary,
    PublishedFile,
};
use serde::Deserialize;
use uuid::Uuid;

use super::route_table::RouteTable;
use super::{ApiResult, ProblemResponse, SharedState, blocking, paths};
use crate::html::{encode_query, escape};
use crate::metadata::{CaseQuery, SubmissionRecord};
use paks_protocol::SubmissionState;

pub(super) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'";

pub fn api_routes() -> RouteTable {
    RouteTable::new().get(paths::CASES_JSON, list_json).get(paths::CASE_JSON, case_json)
}

pub fn html_routes() -> RouteTable {
    RouteTable::new()
        .get(paths::HOME, || async { axum::response::Redirect::to(paths::CASES_PAGE) })
        .get(paths::CASES_PAGE, list_html)
        .get(paths::CASE_PAGE, case_html)
        .get(paths::CASE_FILE, download)
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    q: Option<String>,
    country: Option<String>,
    mdg: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

fn case_query(params: Result<Query<ListParams>, QueryRejection>) -> ApiResult<CaseQuery> {
    let Query(p) =
        params.map_err(|e| ProblemResponse::new(ProblemType::ValidationFailed, e.body_text()))?;
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(CaseQuery {
        text: nonempty(p.q),
        country: nonempty(p.country).map(|c| c.to_ascii_uppercase()),
        mdg_target: nonempty(p.mdg).map(|c| c.to_ascii_uppercase()),
        limit: p.limit.unwrap_or(50).clamp(1, 200),
        offset: p.offset.unwrap_or(0),
    })
}

fn summary_of(r: &SubmissionRecord, case: &CaseDocument) -> PublishedCaseSummary {
    PublishedCaseSummary {
        submission_id: r.id,
        case_uid: r.case_uid,
        version: r.version,
        country: r.country.clone(),
        title: r.title.clone(),
        summary: case.summary.chars().take(500).collect(),
        mdg_targets: r.mdg_targets.clone(),
        themes: case.themes.clone(),
        published_at: r.published_at.clone().unwrap_or_default(),
        html_url: paths::url(paths::CASE_PAGE, &[&r.id]),
    }
}

pub(super) fn parse_case(r: &SubmissionRecord) -> Result<CaseDocument, crate::error::Error> {
    Ok(serde_json::from_str(&r.case_json)?)
}

async fn published(state: &SharedState, q: CaseQuery) -> ApiResult<PublishedCaseList> {
    let meta = state.meta.clone();
    let (total, rows) = blocking(move || meta.published(&q)).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(summary_of(r, &parse_case(r)?));
    }
    Ok(PublishedCaseList { total, items })
}

async fn list_json(
    State(state): State<SharedState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<PublishedCaseList>> {
    Ok(Json(published(&state, case_query(params)?).await?))
}

async fn published_record(state: &SharedState, id: &str) -> ApiResult<SubmissionRecord> {
    let not_found =
        || ProblemResponse::new(ProblemType::NotFound, format!("no published case {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let meta = state.meta.clone();
    let record = blocking(move || meta.submission(id)).await?.ok_or_else(not_found)?;
    if record.state != SubmissionState::Published || record.withdrawn_at.is_some() {
        return Err(not_found());
    }
    Ok(record)
}

pub(super) fn files_of(r: &SubmissionRecord) -> Vec<PublishedFile> {
    r.files
        .iter()
        .enumerate()
        .map(|(i, f)| PublishedFile {
            name: f.name.clone(),
            media_type: f.media_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            url: paths::url(paths::CASE_FILE, &[&r.id, &i]),
        })
        .collect()
}

async fn case_json(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<Json<PublishedCase>> {
    let r = published_record(&state, &id).await?;
    Ok(Json(PublishedCase {
        submission_id: r.id,
        published_at: r.published_at.clone().unwrap_or_default(),
        html_url: paths::url(paths::CASE_PAGE, &[&r.id]),
        case: parse_case(&r)?,
        files: files_of(&r),
    }))
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — UN Public Administration Knowledge Space</title>\
         <style>body{{font-family:sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         .meta{{color:#555}} pre{{white-space:pre-wrap;font-family:inherit}}</style></head>\
         <body>{body}</body></html>\n",
        escape(title)
    );
    html_response(Html(html).into_response(), CSP)
}

/// `res` with the headers every HTML page of the server carries.
pub(super) fn html_response(mut res: Response, csp: &'static str) -> Response {
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    res.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    res
}

async fn list_html(
    State(state): State<SharedState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult {
    let q = case_query(params)?;
    let text = q.text.clone().unwrap_or_default();
    let list = published(&state, q).await?;
    let mut body = format!(
        "<h1>Country case studies</h1><form method=\"get\" action=\"/cases\">\
         <input name=\"q\" value=\"{}\" aria-label=\"Search\"> <button>Search</button></form>\
         <p class=\"meta\">{} published case(s)</p><ul>",
        escape(&text),
        list.total
    );
    for item in &list.items {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a> <span class=\"meta\">{} · MDG {}</span></li>",
            escape(&item.html_url),
            escape(&item.title),
            escape(&item.country),
            item.mdg_targets
                .iter()
                .map(|t| format!("<a href=\"/cases?mdg={}\">{}</a>", encode_query(t), escape(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    body.push_str("</ul>");
    Ok(page("Country case studies", &body))
}

/// What follows an MDG link's target: its indicator and note, escaped.
pub(super) fn mdg_link_detail(l: &paks_protocol::MdgLink) -> String {
    let indicator =
        l.indicator.as_deref().map(|i| format!(", indicator {}", escape(i))).unwrap_or_default();
    let note = if l.note.is_empty() { String::new() } else { format!(": {}", escape(&l.note)) };
    format!("{indicator}{note}")
}

/// The SDG links (when there are any) and the case's text sections under their headings.
pub(super) fn sdg_links_and_sections_html(c: &CaseDocument) -> String {
    let mut body = String::new();
    if !c.sdg_links.is_empty() {
        body.push_str("<h2>Sustainable Development Goals</h2><ul>");
        for l in &c.sdg_links {
            body.push_str(&format!(
                "<li>SDG target {}{}</li>",
                escape(&l.target),
                l.note.as_deref().map(|n| format!(": {}", escape(n))).unwrap_or_default()
            ));
        }
        body.push_str("</ul>");
    }
    for section in c.text_sections() {
        if !section.text.trim().is_empty() {
            body.push_str(&format!(
                "<h2>{}</h2><pre>{}</pre>",
                section.heading,
                escape(section.text)
            ));
        }
    }
    body
}

async fn case_html(State(state): State<SharedState>, Path(id): Path<String>) -> ApiResult {
    let r = published_record(&state, &id).await?;
    let c = parse_case(&r)?;
    let mut body = format!(
        "<p><a href=\"/cases\">All cases</a></p><h1>{}</h1><p class=\"meta\">{} · {} · version {} · published {}</p>",
        escape(&c.title),
        escape(&c.country),
        escape(&c.government_level),
        c.version,
        escape(r.published_at.as_deref().unwrap_or(""))
    );
    body.push_str("<h2>Millennium Development Goals</h2><ul>");
    for l in &c.mdg_links {
        body.push_str(&format!(
            "<li class=\"mdg\"><a href=\"/cases?mdg={}\">MDG target {}</a>{}</li>",
            encode_query(&l.target),
            escape(&l.target),
            mdg_link_detail(l)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&sdg_links_and_sections_html(&c));
    body.push_str(&format!(
        "<h2>Institutions</h2><p>{}</p><h2>Focal point</h2><p>{}, {}, {}</p>",
        escape(&c.institutions.join(", ")),
        escape(&c.focal_point.name),
        escape(&c.focal_point.title),
        escape(&c.focal_point.institution)
    ));
    let files = files_of(&r);
    if !files.is_empty() {
        body.push_str("<h2>Files</h2><ul>");
        for f in &files {
            body.push_str(&format!(
                "<li><a class=\"file\" href=\"{}\" download>{}</a> <span class=\"meta\">{} bytes · SHA-256 {}</span></li>",
                escape(&f.url),
                escape(&f.name),
                f.size,
                escape(&f.sha256)
            ));
        }
        body.push_str("</ul>");
    }
    Ok(page(&c.title, &body))
}

/// Streams bytes produced by a blocking reader thread.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

/// A body of at most `limit` bytes read from `reader` on a blocking thread, a piece at a time.
pub(super) fn stream_reader(reader: impl std::io::Read + Send + 'static, limit: u64) -> Body {
    let mut reader = reader.take(limit);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = vec![0u8; 256 * 1024];
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    Body::new(ChannelBody(rx))
}

/// A published file, whole or one byte range (Range, If-Range on the ETag, which is its
/// SHA-256): a desk's library download cut on a bad link resumes.
async fn download(
    State(state): State<SharedState>,
    Path((id, index)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let r = published_record(&state, &id).await?;
    file_download(&state, &r, &index, &headers).await
}

/// The file at `index` (as the path gives it) of a submission, as an attachment: whole, or the
/// byte range `headers` ask for.
pub(super) async fn file_download(
    state: &SharedState,
    r: &SubmissionRecord,
    index: &str,
    headers: &HeaderMap,
) -> ApiResult {
    let file = index
        .parse::<usize>()
        .ok()
        .and_then(|i| r.files.get(i).cloned())
        .ok_or_else(|| ProblemResponse::new(ProblemType::NotFound, "no such file"))?;
    let tag = format!("\"{}\"", file.sha256);
    let ranged = super::desk_updates::Ranged::asked(headers, file.size, &tag)?;
    let store = state.uploads.clone();
    let upload_id = file.upload_id;
    let skip = ranged.start;
    let reader = blocking(move || {
        let mut reader = store.reader(upload_id)?;
        // Upload stores read forward only; the bytes before the range are read and dropped.
        std::io::copy(&mut reader.by_ref().take(skip), &mut std::io::sink())
            .map_err(crate::error::Error::IoPlain)?;
        Ok(reader)
    })
    .await?;
    let mut res = (ranged.status, stream_reader(reader, ranged.len)).into_response();
    let h = res.headers_mut();
    let media = HeaderValue::from_str(&file.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, media);
    ranged.describe(h, file.size, &tag);
    let disposition = format!("attachment; filename*=UTF-8''{}", encode_query(&file.name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&file.sha256) {
        h.insert("x-content-sha256", v);
    }
    Ok(res)
}
