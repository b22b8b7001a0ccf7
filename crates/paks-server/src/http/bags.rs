//! POST /api/v1/bags: a hand-carried case as a BagIt zip (see `crate::handcarry`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use paks_protocol::ProblemType;
use tokio::io::AsyncWriteExt;

use super::route_table::RouteTable;
use super::submissions::detached;
use super::{ApiResult, ProblemResponse, SharedState, authenticate, paths};
use crate::error::Error;
use crate::handcarry::{self, Submitter, WorkDir};

pub fn routes() -> RouteTable {
    RouteTable::new().post(paths::BAGS, submit_bag)
}

fn too_large(limit: u64) -> ProblemResponse {
    ProblemResponse::new(ProblemType::TooLarge, format!("a bag may be at most {limit} bytes"))
}

/// Streams the body to `path`, never holding more than one frame.
async fn receive(body: Body, path: &std::path::Path, limit: u64) -> ApiResult<()> {
    let mut file = tokio::fs::File::create(path).await.map_err(Error::io(path))?;
    let mut body = body;
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ProblemResponse::new(ProblemType::IncompleteBody, "the request body broke off")
        })?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > limit {
                return Err(too_large(limit));
            }
            file.write_all(&data).await.map_err(|e| stored(Error::io(path)(e)))?;
        }
    }
    file.flush().await.map_err(|e| stored(Error::io(path)(e)))?;
    Ok(())
}

/// A full disk while a bag arrives is 507, as for an upload; the work folder goes with it.
fn stored(err: Error) -> ProblemResponse {
    if super::tus::is_disk_full(&err) { super::tus::disk_full() } else { err.into() }
}

async fn submit_bag(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> ApiResult {
    let fp = authenticate(&state, &headers).await?;
    let limit = state.config.max_upload_size;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // The zip and its extracted payload are both on disk until the files are adopted. A body
    // without a length is not judged by the limit (that would refuse most bags on a modest
    // disk): a disk that fills while it arrives answers 507 then.
    if let Some(length) = declared {
        super::tus::check_disk(&state, fp.id, length.saturating_mul(2)).await?;
    }
    let work = WorkDir::create(&state.config)?;
    let zip = work.path().join("bag.zip");
    receive(body, &zip, limit).await?;
    let payload = work.path().join("payload");
    std::fs::create_dir(&payload).map_err(Error::io(&payload))?;
    // The bag is here: from now on a client that hangs up does not stop its ingest halfway.
    detached(async move {
        let answer = handcarry::ingest(&state, Submitter::Token(fp), &zip, &payload).await;
        drop(work);
        answer
    })
    .await
}
