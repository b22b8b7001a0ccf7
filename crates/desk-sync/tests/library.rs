#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The desk's library against the real paks-server: two focal points publish, a third desk
//! syncs its library, reads it offline, opens a file through a cut, loses a withdrawn case; a
//! sync cut halfway resumes after the last stored page without doubling anything.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use desk_core::{CaseField, HitPlace, LibraryFilter, Store};
use desk_sync::backoff::Backoff;
use desk_sync::library::{
    LibrarySyncOptions, fetch_library_file_text, open_library_file, public_client, sync_library,
};
use desk_sync::progress::no_events;
use desk_sync::update::DownloadOptions;
use desk_sync::{Engine, Idle, Outbox, file_to_send, now_ms, submit_case};
use paks_protocol::SubmissionState;
use uuid::Uuid;

/// A Lao word that is only in the case's Results section ("business registration").
const LAO_WORD: &str = "ທຸລະກິດ";
/// A Lao word only on slide 3 of the published deck ("hello").
const LAO_WORD_IN_DECK: &str = "ສະບາຍດີ";
const WORKER_ENV: &str = "PAKS_DESK_SYNC_TEST_WORKER";

/// This test binary doubles as the isolated extraction worker (as the app's binary does): run
/// as `library --exact act_as_extraction_worker` with the variable set, it serves one job.
#[test]
fn act_as_extraction_worker() {
    if std::env::var_os(WORKER_ENV).is_some() {
        let ok = desk_extract::worker_main() == std::process::ExitCode::SUCCESS;
        std::process::exit(if ok { 0 } else { 3 });
    }
}

fn worker() -> desk_extract::WorkerCommand {
    desk_extract::WorkerCommand::new(std::env::current_exe().unwrap())
        .arg("--exact")
        .arg("act_as_extraction_worker")
        .arg("--nocapture")
        .env(WORKER_ENV, "1")
}

/// A real deck with Thai, Lao and Chinese on its third slide.
fn deck_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../desk-extract/tests/fixtures/order_notes_scripts.pptx")
}

fn quick() -> LibrarySyncOptions {
    LibrarySyncOptions {
        backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(200) },
        ..LibrarySyncOptions::default()
    }
}

fn quick_download() -> DownloadOptions {
    DownloadOptions {
        backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(200) },
        give_up_after: 5,
    }
}

/// Sends `case` (with `files`) from the desk in `dir` and publishes it; returns its uid.
async fn send_and_publish(
    server: &TestServer,
    dir: &Path,
    store: &Arc<Store>,
    case: i64,
    files: &[&Path],
) -> Uuid {
    let outbox = Arc::new(Outbox::open(dir).unwrap());
    let files: Vec<_> = files.iter().map(|f| file_to_send(f).unwrap()).collect();
    submit_case(store, &outbox, case, &files, now_ms()).unwrap();
    let mut engine = Engine::new(dir, store.clone(), outbox, no_events(), fast_options());
    assert_eq!(engine.run_until_idle().await.unwrap(), Idle::WaitingReview);
    let case = store.case(case).unwrap();
    let submission: Uuid = case.submission_id.unwrap().parse().unwrap();
    paks_server::operator::set_state(
        &*server.state.meta,
        submission,
        SubmissionState::Published,
        None,
    )
    .unwrap();
    case.uid.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_desk_reads_the_regions_cases_offline_and_loses_a_withdrawn_one() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let addr = server.addr;
    let key = public_key(&server.url()).await;

    let lao_dir = tempfile::tempdir().unwrap();
    let lao = desk(lao_dir.path(), &server.url(), &server.focal_point("LAO"), &key);
    let lao_case = complete_case(&lao, "One-stop business registration");
    lao.set_field(lao_case, CaseField::Results, "ການລົງທະບຽນທຸລະກິດ ໃຊ້ເວລາໜຶ່ງມື້.").unwrap();
    let deck = lao_dir.path().join("deck.pptx");
    std::fs::copy(deck_fixture(), &deck).unwrap();
    let (annex, annex_sha) = make_file(lao_dir.path(), "annex.pdf", 600_000);
    let lao_uid = send_and_publish(&server, lao_dir.path(), &lao, lao_case, &[&deck, &annex]).await;

    let btn_dir = tempfile::tempdir().unwrap();
    let btn = desk(btn_dir.path(), &server.url(), &server.focal_point("BTN"), &key);
    let btn_case = complete_case(&btn, "Bhutan citizen services");
    btn.set_field(btn_case, CaseField::Country, "BTN").unwrap();
    let btn_uid = send_and_publish(&server, btn_dir.path(), &btn, btn_case, &[]).await;

    // The third desk goes through a proxy that can cut its downloads.
    let proxy = FaultProxy::start(addr).await;
    let npl_dir = tempfile::tempdir().unwrap();
    let npl = desk(npl_dir.path(), &proxy.url(), &server.focal_point("NPL"), &key);
    let (client, pinned) = public_client(&npl).unwrap();
    let report = sync_library(&npl, &client, pinned.as_deref(), &quick(), |_| {}).await.unwrap();
    assert_eq!((report.published, report.withdrawn), (2, 0), "{report:?}");
    assert_eq!(npl.library_state().unwrap().cases, 2);

    let file = npl.library_file(&lao_uid.to_string(), "annex.pdf").unwrap();
    assert!(!file.stored, "files are downloaded only when opened");
    proxy.push(Fault::CutDownAfter(250_000));
    let before = proxy.down_bytes.load(Ordering::SeqCst);
    let (fresh, _) = public_client(&npl).unwrap(); // a new connection, which the proxy cuts
    let path = open_library_file(&npl, &fresh, &file, &quick_download(), |_| {}).await.unwrap();
    assert_eq!(proxy.pending_faults(), 0, "the download was cut");
    assert_eq!(paks_protocol::sha256_hex(&std::fs::read(&path).unwrap()), annex_sha);
    let carried = proxy.down_bytes.load(Ordering::SeqCst) - before;
    assert!(carried < 600_000 + 200_000, "it resumed, not started over: {carried} bytes");

    // The text of the published files: the deck is fetched and read, the annex (opened
    // already) only read; random bytes give no text.
    let read = fetch_library_file_text(&npl, &fresh, &worker(), &quick_download(), 10 << 20)
        .await
        .unwrap();
    assert_eq!((read.indexed, read.without_text), (1, 1), "{read:?}");
    let again = fetch_library_file_text(&npl, &fresh, &worker(), &quick_download(), 10 << 20)
        .await
        .unwrap();
    assert_eq!((again.indexed, again.without_text), (0, 0), "a file's text is read once");
    server.kill().await;

    // Offline: the server is gone.
    let hits = npl.search_library(LAO_WORD, &LibraryFilter::default()).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].library);
    assert_eq!(hits[0].case_uid, lao_uid.to_string());
    assert_eq!(hits[0].place, HitPlace::Field { field: CaseField::Results });
    // Both summaries say "registration": the country filter picks one.
    for (country, uid) in [("LAO", lao_uid), ("BTN", btn_uid)] {
        let only = LibraryFilter { country: Some(country.into()), ..LibraryFilter::default() };
        let hits = npl.search_library("registration", &only).unwrap();
        let mut uids: Vec<_> = hits.iter().map(|h| h.case_uid.clone()).collect();
        uids.dedup();
        assert_eq!(uids, [uid.to_string()], "{country}");
    }
    let in_deck = npl.search_library(LAO_WORD_IN_DECK, &LibraryFilter::default()).unwrap();
    assert_eq!(in_deck.len(), 1, "{in_deck:?}");
    match &in_deck[0].place {
        HitPlace::File { name, unit_label, unit, .. } => {
            assert_eq!((name.as_str(), unit_label.as_str(), *unit), ("deck.pptx", "slide", 3));
        }
        other => panic!("the Lao word is on a slide, not in {other:?}"),
    }
    let opened = npl.library_file(&lao_uid.to_string(), "annex.pdf").unwrap();
    assert!(opened.stored);
    let again = open_library_file(&npl, &fresh, &opened, &quick_download(), |_| {}).await;
    assert_eq!(again.unwrap(), path, "an opened file opens offline");
    let offline = sync_library(
        &npl,
        &client,
        pinned.as_deref(),
        &LibrarySyncOptions { give_up_after: 1, ..quick() },
        |_| {},
    )
    .await;
    assert!(offline.unwrap_err().is_transient(), "offline is a wait, not a failure");

    // The operator withdraws the Lao case; the next sync removes it.
    let server = TestServer::start_at(server_dir.path(), addr, None).await;
    let withdrawn = paks_server::operator::withdraw_case(&*server.state.meta, lao_uid).unwrap();
    assert_eq!(withdrawn, lao_uid);
    let report = sync_library(&npl, &client, pinned.as_deref(), &quick(), |_| {}).await.unwrap();
    assert_eq!((report.published, report.withdrawn), (0, 1), "{report:?}");
    assert!(npl.search_library(LAO_WORD, &LibraryFilter::default()).unwrap().is_empty());
    assert!(npl.search_library(LAO_WORD_IN_DECK, &LibraryFilter::default()).unwrap().is_empty());
    assert_eq!(
        npl.library_case(&lao_uid.to_string()).unwrap_err().code(),
        "library_case_not_found"
    );
    assert!(!path.exists(), "the withdrawn case's file left the disk");
    assert_eq!(npl.library_state().unwrap().cases, 1);
    npl.library_case(&btn_uid.to_string()).unwrap();

    let report = sync_library(&npl, &client, pinned.as_deref(), &quick(), |_| {}).await.unwrap();
    assert_eq!((report.pages, report.published, report.withdrawn), (1, 0, 0), "up to date");
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_halfway_resumes_after_the_last_stored_page_without_duplicates() {
    const CASES: usize = 12;
    let ConnectedDesk { server, dir, store, .. } = connected_desk(None).await;
    let long_summary = "Registration of businesses online across the provinces. ".repeat(60);
    let mut uids = Vec::new();
    for i in 0..CASES {
        let case = complete_case(&store, &format!("Published case {i}"));
        store.set_field(case, CaseField::Summary, &long_summary).unwrap();
        uids.push(send_and_publish(&server, dir.path(), &store, case, &[]).await);
    }

    let proxy = FaultProxy::start(server.addr).await;
    let reader_dir = tempfile::tempdir().unwrap();
    let key = public_key(&server.url()).await;
    let reader = desk(reader_dir.path(), &proxy.url(), &server.focal_point("NPL"), &key);
    let (client, pinned) = public_client(&reader).unwrap();
    let paged = LibrarySyncOptions { page_limit: 3, give_up_after: 0, ..quick() };
    // Each page of three cases is some 12 KB: the cut falls inside a later page. Two faults:
    // the pages may come on the identity probe's connection or on a new one.
    proxy.push(Fault::CutDownAfter(30_000));
    proxy.push(Fault::CutDownAfter(30_000));
    let cut = sync_library(&reader, &client, pinned.as_deref(), &paged, |_| {}).await;
    assert!(cut.unwrap_err().is_transient(), "the cut ends this sync as a wait");
    assert!(proxy.pending_faults() < 2);
    let kept = reader.library_state().unwrap().cases as usize;
    assert!(kept > 0 && kept < CASES, "the pages before the cut were kept: {kept}");
    assert_eq!(kept % 3, 0, "whole pages only");
    let cursor = reader.library_cursor().unwrap();
    assert!(cursor.is_some());

    // A fault left over cuts this sync too: it resumes within itself.
    let resuming = LibrarySyncOptions { page_limit: 3, ..quick() };
    let report =
        sync_library(&reader, &client, pinned.as_deref(), &resuming, |_| {}).await.unwrap();
    assert_eq!(report.published as usize, CASES - kept, "it resumed after the stored pages");
    assert_eq!(reader.library_state().unwrap().cases as usize, CASES, "no case twice");
    for uid in &uids {
        reader.library_case(&uid.to_string()).unwrap();
    }
    let hits = reader
        .search_library(
            "provinces",
            &LibraryFilter { limit: Some(100), ..LibraryFilter::default() },
        )
        .unwrap();
    assert_eq!(hits.len(), CASES, "one hit a case");
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_answer_that_is_not_paks_stores_nothing() {
    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::IntoResponse;
    // A case without its document, and a date that is not one: PAKS never sends this.
    const BAD_PAGE: &str = r#"{"changes":[{"cursor":"1","case_uid":"00000000-0000-0000-0000-000000000001","kind":"published","changed_at":"x"}],"next_cursor":"1","has_more":false}"#;
    let wrap: Wrap = Arc::new(|router: axum::Router| {
        router.layer(axum::middleware::from_fn(|req: Request, next: Next| async move {
            if req.uri().path() == "/api/v1/public/changes" {
                return ([(axum::http::header::CONTENT_TYPE, "application/json")], BAD_PAGE)
                    .into_response();
            }
            next.run(req).await
        }))
    });
    let desk_under_test = connected_desk(Some(wrap)).await;
    let store = &desk_under_test.store;
    let (client, pinned) = public_client(store).unwrap();
    let options = LibrarySyncOptions { give_up_after: 1, ..quick() };
    let err = sync_library(store, &client, pinned.as_deref(), &options, |_| {}).await.unwrap_err();
    assert_eq!(err.code(), "garbled_answer", "{err}");
    assert_eq!(store.library_cursor().unwrap(), None, "the cursor did not move");
    assert_eq!(store.library_state().unwrap().cases, 0);
    desk_under_test.server.kill().await;
}
