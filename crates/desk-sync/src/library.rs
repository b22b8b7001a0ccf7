//! The library sync: PAKS's public change feed (`GET api/v1/public/changes?since=CURSOR`) read
//! page by page into the desk's library, from the stored cursor. Each page is checked and stored
//! with the cursor after it in one transaction (desk-core), so a sync cut anywhere resumes after
//! the last stored page and never doubles a case. Files of published cases are downloaded only
//! when opened, resumably (the update's Range downloads), and checked against their SHA-256.
//!
//! No token is sent: the feed and the published files are public. The desk's pinned key still
//! decides whether the address answering is PAKS (a captive portal's 200 is not a feed).

use std::path::PathBuf;
use std::time::Duration;

use desk_core::{LibraryFile, LibraryPageStored, Store};
use paks_protocol::PublicChangePage;
use reqwest::StatusCode;
use serde::Serialize;
use ts_rs::TS;

use crate::backoff::Backoff;
use crate::client::{PaksClient, body_summary, classify, is_json, read_at_most};
use crate::error::{Result, SyncError};
use crate::settings::SyncSettings;
use crate::update::{DownloadOptions, ResumableFile, download_resumable};

/// Cases asked for per page.
pub const PAGE_LIMIT: u32 = 50;
/// The most of one feed page that is read. A page larger than this is asked again with fewer
/// cases (down to one: a case document is at most a few MiB).
pub const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;
/// How long one page may take in all (the stall timeout applies within it too).
const PAGE_TIMEOUT: Duration = Duration::from_secs(120);

/// Downloads someone is waiting for (a file to open, the CLI's sync): a cut is resumed within
/// seconds, and an unreachable PAKS is said after a few tries instead of the jobs' long backoff.
pub const DOWNLOAD_WHILE_WAITING: DownloadOptions = DownloadOptions {
    backoff: Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(5) },
    give_up_after: 3,
};

/// How a library sync retries.
#[derive(Debug, Clone, Copy)]
pub struct LibrarySyncOptions {
    pub backoff: Backoff,
    /// Failures in a row, without a page stored between them, before the sync gives up (it
    /// resumes from the stored cursor when started again).
    pub give_up_after: u32,
    pub page_limit: u32,
}

impl Default for LibrarySyncOptions {
    fn default() -> Self {
        Self { backoff: Backoff::JOBS, give_up_after: 8, page_limit: PAGE_LIMIT }
    }
}

/// What a library sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LibrarySyncReport {
    pub pages: u32,
    pub published: u32,
    pub withdrawn: u32,
    /// Bytes of feed answers read (bodies only).
    pub bytes: u64,
}

/// A client for PAKS's public side, and the pinned key that proves the address is PAKS.
pub fn public_client(store: &Store) -> Result<(PaksClient, Option<String>)> {
    let settings = SyncSettings::load(store)?;
    Ok((settings.public_client()?, settings.server_key))
}

impl PaksClient {
    /// One page of the public change feed after `since`, and the bytes its body took; `None`
    /// when the page is larger than [`MAX_PAGE_BYTES`] (ask for fewer cases).
    pub async fn library_changes(
        &self,
        since: Option<&str>,
        limit: u32,
    ) -> Result<Option<(PublicChangePage, usize)>> {
        let mut url = self.url("api/v1/public/changes")?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(since) = since {
                query.append_pair("since", since);
            }
            query.append_pair("limit", &limit.to_string());
        }
        let res = self.http.get(url).timeout(PAGE_TIMEOUT).send().await?;
        if res.status() != StatusCode::OK {
            return Err(classify(res).await);
        }
        let is_json = is_json(&res);
        let Some(body) = read_at_most(res, MAX_PAGE_BYTES).await? else {
            return Ok(None);
        };
        if !is_json {
            return Err(SyncError::NotPaks(format!(
                "the change feed answered with {}",
                body_summary(&body)
            )));
        }
        let page: PublicChangePage = serde_json::from_slice(&body)
            .map_err(|e| SyncError::Garbled(format!("not a page of the change feed: {e}")))?;
        check_page(&page, since, limit)?;
        Ok(Some((page, body.len())))
    }
}

/// What the desk relies on in a page beyond its shape: no more changes than asked for, and a
/// cursor that moves on to the last change (or stays where it was when nothing changed).
fn check_page(page: &PublicChangePage, since: Option<&str>, limit: u32) -> Result<()> {
    if page.changes.len() > limit as usize {
        return Err(SyncError::Garbled(format!(
            "asked for {limit} changes, PAKS sent {}",
            page.changes.len()
        )));
    }
    let expected = match page.changes.last() {
        Some(last) => Some(last.cursor.as_str()),
        None => since,
    };
    if expected.is_some_and(|c| c != page.next_cursor) {
        return Err(SyncError::Garbled(format!(
            "the feed's next cursor {:?} is not where its page ends ({expected:?})",
            page.next_cursor
        )));
    }
    if page.has_more && page.changes.is_empty() {
        return Err(SyncError::Garbled("the feed says more waits but sent nothing".into()));
    }
    Ok(())
}

/// Reads the change feed from the stored cursor to its end into the library. A cut, a stall
/// or a server error waits the backoff and reads the same page again; `give_up_after` failures
/// in a row end the sync with the last error (what was stored stays, and the next sync
/// resumes after it). A page too large for [`MAX_PAGE_BYTES`] is asked again with fewer cases.
pub async fn sync_library(
    store: &Store,
    client: &PaksClient,
    pinned_key: Option<&str>,
    options: &LibrarySyncOptions,
    mut on_page: impl FnMut(&LibrarySyncReport),
) -> Result<LibrarySyncReport> {
    let mut report = LibrarySyncReport::default();
    let mut failures = 0u32;
    let mut limit = options.page_limit.clamp(1, 500);
    let mut probed = pinned_key.is_none();
    loop {
        let attempt = async {
            if !probed {
                client.identity(pinned_key).await?;
                probed = true;
            }
            let cursor = store.library_cursor()?;
            client.library_changes(cursor.as_deref(), limit).await
        }
        .await;
        let (page, bytes) = match attempt {
            Ok(Some(answer)) => answer,
            Ok(None) if limit > 1 => {
                limit = (limit / 2).max(1);
                continue;
            }
            Ok(None) => {
                return Err(SyncError::Garbled(format!(
                    "one case of the change feed is larger than {} MiB",
                    MAX_PAGE_BYTES >> 20
                )));
            }
            Err(e) if e.is_transient() => {
                failures += 1;
                if failures > options.give_up_after {
                    return Err(e);
                }
                tracing::info!(error = %e, failures, "library sync interrupted; resuming");
                let wait = e.retry_after().unwrap_or_else(|| options.backoff.delay(failures));
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        failures = 0;
        let LibraryPageStored { published, withdrawn } =
            store.store_library_page(&page.changes, &page.next_cursor).map_err(|e| match e {
                desk_core::Error::LibraryCaseInvalid(detail) => SyncError::Garbled(detail),
                other => SyncError::Core(other),
            })?;
        report.pages += 1;
        report.published += published;
        report.withdrawn += withdrawn;
        report.bytes += bytes as u64;
        on_page(&report);
        if !page.has_more {
            return Ok(report);
        }
    }
}

/// The file on disk, downloading it first (resumably: a part left by a cut is continued) when it
/// is not there or no longer has its SHA-256. Marks it opened (the storage cap drops the least
/// recently opened files). `on_bytes` hears how many bytes of it are on disk.
pub async fn open_library_file(
    store: &Store,
    client: &PaksClient,
    file: &LibraryFile,
    options: &DownloadOptions,
    mut on_bytes: impl FnMut(u64),
) -> Result<PathBuf> {
    let path = store.library_file_path(&file.sha256);
    let on_disk = {
        let (path, sha256) = (path.clone(), file.sha256.clone());
        tokio::task::spawn_blocking(move || desk_core::library::verify_stored_file(&path, &sha256))
            .await
            .map_err(|e| SyncError::Invalid(format!("checking a library file stopped: {e}")))??
    };
    if !on_disk {
        tokio::fs::create_dir_all(store.library_files_dir()).await?;
        let part = path.with_extension("part");
        if file.size == 0 {
            if file.sha256 != paks_protocol::sha256_hex(b"") {
                return Err(SyncError::Garbled(format!(
                    "{} is announced empty with the SHA-256 of other bytes",
                    file.name
                )));
            }
            tokio::fs::write(&part, b"").await?;
        } else {
            let wanted = ResumableFile {
                url: client.same_origin(client.url(&file.url)?)?,
                size: file.size,
                sha256: file.sha256.clone(),
                part: part.clone(),
                what: "the published file",
            };
            download_resumable(client, &wanted, options, &mut on_bytes).await?;
        }
        tokio::fs::rename(&part, &path).await?;
    }
    store.library_file_opened(file)?;
    Ok(path)
}

/// What reading the text of library files did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FileTextReport {
    /// Files whose text is now searchable.
    pub indexed: u32,
    /// Files read that gave no text (a scan without a text layer, a picture, a damaged file).
    pub without_text: u32,
    /// Files PAKS would not give (withdrawn since the sync, say): tried again next time.
    pub unavailable: u32,
    pub bytes: u64,
}

/// Downloads each library file whose text was never read (at most `max_file_bytes` each,
/// smallest first), reads its text in the extraction worker and indexes it, so that library
/// search finds words inside the published files. The files count as opened: over the storage
/// cap the least recently opened are dropped again, their text stays. A cut or an unreachable
/// PAKS ends it with the error (what was read stays read); a file PAKS refuses is skipped.
pub async fn fetch_library_file_text(
    store: &Store,
    client: &PaksClient,
    worker: &desk_extract::WorkerCommand,
    options: &DownloadOptions,
    max_file_bytes: u64,
) -> Result<FileTextReport> {
    let mut report = FileTextReport::default();
    for file in store.library_files_unread(max_file_bytes)? {
        let path = match open_library_file(store, client, &file, options, |_| {}).await {
            Ok(path) => path,
            Err(e) if !e.is_transient() && !matches!(e, SyncError::Core(_) | SyncError::Io(_)) => {
                tracing::warn!(error = %e, file = %file.name, "library file not read");
                report.unavailable += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // The worker is a child process this waits for: off the async threads.
        let status =
            tokio::task::block_in_place(|| store.read_library_file_text(&file, &path, worker))?;
        if matches!(status, desk_core::IndexStatus::Indexed | desk_core::IndexStatus::PartlyIndexed)
        {
            report.indexed += 1;
        } else {
            report.without_text += 1;
        }
        report.bytes += file.size;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use paks_protocol::{PublicChange, PublicChangeKind};

    use super::*;

    fn page(cursors: &[&str], next: &str, has_more: bool) -> PublicChangePage {
        let changes = cursors
            .iter()
            .map(|c| PublicChange {
                cursor: (*c).to_owned(),
                case_uid: uuid::Uuid::nil(),
                kind: PublicChangeKind::Withdrawn,
                changed_at: "2026-12-03T00:00:00Z".into(),
                case: None,
            })
            .collect();
        PublicChangePage { changes, next_cursor: next.to_owned(), has_more }
    }

    #[test]
    fn a_page_must_end_where_its_cursor_says() {
        assert!(check_page(&page(&["4", "7"], "7", true), Some("3"), 2).is_ok());
        assert!(check_page(&page(&[], "3", false), Some("3"), 2).is_ok());
        assert!(check_page(&page(&[], "0", false), None, 2).is_ok());
        let refused = [
            (page(&["4", "7"], "9", false), Some("3"), 2),
            (page(&["4", "7"], "7", false), Some("3"), 1),
            (page(&[], "5", false), Some("3"), 2),
            (page(&[], "3", true), Some("3"), 2),
        ];
        for (page, since, limit) in refused {
            let err = check_page(&page, since, limit).unwrap_err();
            assert_eq!(err.code(), "garbled_answer", "{page:?}");
        }
    }
}
