//! The desks' update feed (see `crate::desk_releases`): the offer Tauri's updater expects, and
//! the release file with HTTP Range (RFC 9110 §14), so a download cut on a bad link resumes.
//! Both are public: a release is signed, and the desk checks the signature before installing.

use std::io::{Seek, SeekFrom};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use paks_protocol::ProblemType;
use semver::Version;
use serde::Serialize;

use super::public_site::stream_reader;
use super::route_table::RouteTable;
use super::{ApiResult, ProblemResponse, SharedState, blocking, paths};
use crate::desk_releases;
use crate::error::Error;
use crate::metadata::DeskRelease;

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::DESK_UPDATE, offer).get(paths::DESK_RELEASE_FILE, release_file)
}

/// What Tauri's updater reads (`version`, `notes`, `pub_date`, `url`, `signature`), with the
/// size and SHA-256 our own resumable download checks.
#[derive(Debug, Serialize)]
struct UpdateOffer {
    version: String,
    notes: String,
    pub_date: String,
    url: String,
    signature: String,
    size: u64,
    sha256: String,
}

fn bad_version(version: &str) -> ProblemResponse {
    ProblemResponse::new(
        ProblemType::ValidationFailed,
        format!("{version:?} is not a semantic version such as 0.2.0"),
    )
}

/// The address the client reached us at, so the offer's `url` works through the same name
/// (and a reverse proxy that says it terminated TLS).
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

async fn offer(
    State(state): State<SharedState>,
    Path((target, arch, current)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let current =
        Version::parse(current.trim_start_matches('v')).map_err(|_| bad_version(&current))?;
    let meta = state.meta.clone();
    let (t, a) = (target.clone(), arch.clone());
    let newer = blocking(move || desk_releases::newer_than(&*meta, &t, &a, &current)).await?;
    let Some(release) = newer else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let path = paths::url(paths::DESK_RELEASE_FILE, &[&target, &arch, &release.version]);
    let offer = UpdateOffer {
        url: format!("{}{path}", origin(&headers)),
        version: release.version,
        notes: release.notes,
        pub_date: release.published_at,
        signature: release.signature,
        size: release.size,
        sha256: release.sha256,
    };
    let mut res = Json(offer).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// What a Range header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAsked {
    /// No Range (or one we answer with the whole file, as RFC 9110 allows: several ranges).
    Whole,
    /// Bytes `start..=end`.
    Part {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`.
pub fn parse_range(value: &str, size: u64) -> RangeAsked {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return RangeAsked::Whole };
    if spec.contains(',') {
        return RangeAsked::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeAsked::Whole };
    let (first, last) = (first.trim(), last.trim());
    let part = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => (start, end.min(size.saturating_sub(1))),
        (Ok(start), Err(_)) if last.is_empty() => (start, size.saturating_sub(1)),
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => {
            (size.saturating_sub(suffix), size.saturating_sub(1))
        }
        _ => return RangeAsked::Whole,
    };
    if part.0 >= size {
        return RangeAsked::Unsatisfiable;
    }
    RangeAsked::Part { start: part.0, end: part.1 }
}

/// The part of a file a request gets: all of it (200) or one byte range (206).
pub(super) struct Ranged {
    pub status: StatusCode,
    pub start: u64,
    pub len: u64,
}

impl Ranged {
    /// What `headers` ask of a file of `size` bytes whose ETag is `tag`; an If-Range with
    /// another validator means the client's part is of other bytes, so it gets them all.
    pub fn asked(headers: &HeaderMap, size: u64, tag: &str) -> Result<Self, ProblemResponse> {
        let range_applies = headers
            .get(header::IF_RANGE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.trim() == tag);
        let asked = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
            Some(range) if range_applies => parse_range(range, size),
            _ => RangeAsked::Whole,
        };
        match asked {
            RangeAsked::Whole => Ok(Self { status: StatusCode::OK, start: 0, len: size }),
            RangeAsked::Part { start, end } => {
                Ok(Self { status: StatusCode::PARTIAL_CONTENT, start, len: end - start + 1 })
            }
            RangeAsked::Unsatisfiable => {
                let mut p = ProblemResponse::new(
                    ProblemType::RangeNotSatisfiable,
                    format!("the file has {size} bytes"),
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    p = p.with_header(header::CONTENT_RANGE, v);
                }
                Err(p)
            }
        }
    }

    /// Content-Length, Accept-Ranges, the ETag and, for a part, Content-Range.
    pub fn describe(&self, h: &mut HeaderMap, size: u64, tag: &str) {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(self.len));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(v) = HeaderValue::from_str(tag) {
            h.insert(header::ETAG, v);
        }
        if self.status == StatusCode::PARTIAL_CONTENT {
            let range = format!("bytes {}-{}/{size}", self.start, self.start + self.len - 1);
            if let Ok(v) = HeaderValue::from_str(&range) {
                h.insert(header::CONTENT_RANGE, v);
            }
        }
    }
}

fn etag(release: &DeskRelease) -> String {
    format!("\"{}\"", release.sha256)
}

async fn release_file(
    State(state): State<SharedState>,
    Path((target, arch, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let wanted = Version::parse(&version).map_err(|_| bad_version(&version))?;
    let meta = state.meta.clone();
    let release = blocking(move || desk_releases::find(&*meta, &target, &arch, &wanted))
        .await?
        .ok_or_else(|| ProblemResponse::new(ProblemType::NotFound, "no such release"))?;
    let tag = etag(&release);
    let ranged = Ranged::asked(&headers, release.size, &tag)?;
    let (status, start, len) = (ranged.status, ranged.start, ranged.len);
    let path = desk_releases::file_path(&state.config, &release.sha256);
    let file = blocking(move || {
        let mut f = std::fs::File::open(&path).map_err(Error::io(&path))?;
        f.seek(SeekFrom::Start(start)).map_err(Error::io(&path))?;
        Ok(f)
    })
    .await?;
    let mut res = (status, stream_reader(file, len)).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    ranged.describe(h, release.size, &tag);
    let disposition =
        format!("attachment; filename*=UTF-8''{}", crate::html::encode_query(&release.file_name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&release.sha256) {
        h.insert("x-content-sha256", v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        use RangeAsked::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Part { start: 0, end: 99 });
        assert_eq!(parse_range("bytes=500-", 1000), Part { start: 500, end: 999 });
        assert_eq!(parse_range("bytes=-100", 1000), Part { start: 900, end: 999 });
        assert_eq!(parse_range("bytes=900-5000", 1000), Part { start: 900, end: 999 });
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Whole);
        assert_eq!(parse_range("bytes=9-3", 1000), Whole);
        assert_eq!(parse_range("items=0-1", 1000), Whole);
        assert_eq!(parse_range("bytes=-0", 1000), Whole);
    }
}
