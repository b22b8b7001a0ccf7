//! The public change feed and OAI-PMH, against the real server over 127.0.0.1.

#![allow(clippy::unwrap_used)] // Tests: panicking is how a test fails.

mod common;

use std::collections::BTreeMap;

use common::*;
use paks_protocol::{
    CaseDocument, MdgLink, PublicChangeKind, PublicChangePage, Receipt, SdgLink, SubmissionState,
};
use paks_server::operator;

/// Submits `case` (with one file) and publishes it; returns its receipt.
async fn publish(s: &TestServer, token: &str, case: &CaseDocument) -> Receipt {
    let file = s.upload(token, "deck.pdf", format!("deck of {}", case.title).as_bytes()).await;
    let res =
        s.submit(token, &uuid::Uuid::new_v4().to_string(), &request_json(case, &[file])).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    operator::set_state(&*s.state.meta, receipt.submission_id, SubmissionState::Published, None)
        .unwrap();
    receipt
}

fn case_with(country: &str, title: &str, mdg: &str, sdg: &str) -> CaseDocument {
    let mut case = sample_case(country);
    case.title = title.into();
    case.mdg_links =
        vec![MdgLink { target: mdg.into(), indicator: None, note: format!("note on {mdg}") }];
    case.sdg_links = vec![SdgLink { target: sdg.into(), note: Some(format!("note on {sdg}")) }];
    case
}

async fn feed(s: &TestServer, since: Option<&str>, limit: u32) -> (PublicChangePage, String) {
    let mut url = format!("{}/api/v1/public/changes?limit={limit}", s.url);
    if let Some(since) = since {
        url.push_str(&format!("&since={since}"));
    }
    let res = s.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    (res.json().await.unwrap(), etag)
}

/// Reads the whole feed after `since` in pages of `limit`: the changes and the last cursor.
async fn read_all(
    s: &TestServer,
    mut since: Option<String>,
    limit: u32,
) -> (Vec<paks_protocol::PublicChange>, String) {
    let mut all = Vec::new();
    loop {
        let (page, _) = feed(s, since.as_deref(), limit).await;
        assert!(page.changes.len() <= limit as usize);
        all.extend(page.changes);
        since = Some(page.next_cursor.clone());
        if !page.has_more {
            return (all, page.next_cursor);
        }
    }
}

#[tokio::test]
async fn the_feed_pages_every_published_case_then_only_changes_and_tombstones_survive_restart() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let s = TestServer::start_in(dir.clone(), |_| {}).await;
    let lao = s.focal_point("LAO");
    let btn = s.focal_point("BTN");
    let a = publish(&s, &lao, &case_with("LAO", "Village e-services", "1.A", "16.6")).await;
    let b = publish(&s, &btn, &case_with("BTN", "G2C portal", "8.F", "9.c")).await;
    let c = publish(&s, &lao, &case_with("LAO", "Health SMS", "4.A", "3.1")).await;
    // A received case that is not published is not in the feed.
    let draft = case_with("LAO", "Not yet published", "1.A", "1.1");
    let res = s.submit(&lao, "draft-key", &request_json(&draft, &[])).await;
    assert_eq!(res.status(), 201);

    let (first, etag) = feed(&s, None, 2).await;
    assert_eq!(first.changes.len(), 2);
    assert!(first.has_more);
    let (rest, _) = feed(&s, Some(&first.next_cursor), 2).await;
    assert_eq!(rest.changes.len(), 1);
    assert!(!rest.has_more);
    let uids: Vec<_> = first.changes.iter().chain(&rest.changes).map(|c| c.case_uid).collect();
    assert_eq!(uids, vec![a.case_uid, b.case_uid, c.case_uid], "in publication order, once each");
    let doc = first.changes[0].case.as_ref().unwrap();
    assert_eq!(first.changes[0].kind, PublicChangeKind::Published);
    assert_eq!(doc.case.mdg_links[0].note, "note on 1.A", "MDG links travel with their notes");
    assert_eq!(doc.case.sdg_links[0].target, "16.6");
    assert_eq!(doc.case.lessons_learned, "Start with the law.", "every section travels");
    assert_eq!(doc.files.len(), 1);
    assert_eq!(doc.files[0].sha256, a.files[0].sha256);
    assert_eq!(doc.files[0].size, a.files[0].size);
    let bytes = s.client.get(s.u(&doc.files[0].url)).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(sha256_hex(&bytes), a.files[0].sha256, "the download URL serves the file");

    // Up to date: the same request with its ETag is 304, and the empty page keeps the cursor.
    let res = s
        .client
        .get(s.u("/api/v1/public/changes?limit=2"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let (empty, _) = feed(&s, Some(&rest.next_cursor), 2).await;
    assert!(empty.changes.is_empty() && !empty.has_more);
    assert_eq!(empty.next_cursor, rest.next_cursor);

    // A new version of A and the withdrawal of B: only those two, in that order.
    let mut a2 = case_with("LAO", "Village e-services, scaled up", "1.A", "16.6");
    a2.case_uid = a.case_uid;
    a2.version = 2;
    a2.replaces = Some(a.submission_id);
    let a2r = publish(&s, &lao, &a2).await;
    let withdrawn = operator::withdraw_case(&*s.state.meta, b.submission_id).unwrap();
    assert_eq!(withdrawn, b.case_uid);
    let res = s
        .client
        .get(s.u("/api/v1/public/changes?limit=2"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the feed changed: its ETag no longer matches");
    let (changes, cursor) = read_all(&s, Some(rest.next_cursor.clone()), 1).await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].case_uid, a.case_uid);
    let a_doc = changes[0].case.as_ref().unwrap();
    assert_eq!((a_doc.case.version, a_doc.submission_id), (2, a2r.submission_id));
    assert_eq!(changes[1].case_uid, b.case_uid);
    assert_eq!(changes[1].kind, PublicChangeKind::Withdrawn);
    assert!(changes[1].case.is_none(), "a tombstone carries no document");

    // Withdrawn means gone from the public pages and the listing.
    let page = s.client.get(s.u(&format!("/cases/{}", b.submission_id))).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let list: paks_protocol::PublishedCaseList =
        s.client.get(s.u("/api/v1/cases")).send().await.unwrap().json().await.unwrap();
    assert!(list.items.iter().all(|i| i.case_uid != b.case_uid));
    assert_eq!(list.total, 2);
    assert!(operator::withdraw_case(&*s.state.meta, b.submission_id).is_err(), "twice");

    // A fresh reader sees each case once, at its latest state.
    let (all, _) = read_all(&s, None, 2).await;
    let latest: BTreeMap<_, _> = all.iter().map(|c| (c.case_uid, c.kind)).collect();
    assert_eq!(all.len(), 3);
    assert_eq!(latest[&b.case_uid], PublicChangeKind::Withdrawn);

    // The cursor outlives a restart; a cursor that is not one is refused.
    s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    let (after, _) = feed(&s, Some(&cursor), 10).await;
    assert!(after.changes.is_empty());
    assert_eq!(after.next_cursor, cursor);
    let res = s.client.get(s.u("/api/v1/public/changes?since=abc")).send().await.unwrap();
    assert_problem(res, 422, "validation-failed").await;
    let res = s.client.get(s.u("/api/v1/public/changes?since=999999")).send().await.unwrap();
    assert_problem(res, 422, "validation-failed").await;

    // Publishing it again brings the withdrawn case back, as a new change.
    operator::set_state(&*s.state.meta, b.submission_id, SubmissionState::Published, None).unwrap();
    let (back, _) = feed(&s, Some(&cursor), 10).await;
    assert_eq!(back.changes.len(), 1);
    assert_eq!(back.changes[0].kind, PublicChangeKind::Published);
    s.stop().await;
}

#[tokio::test]
async fn a_reader_paging_while_cases_are_published_misses_none() {
    let s = TestServer::start().await;
    let lao = s.focal_point("LAO");
    let mut receipts = Vec::new();
    for i in 0..12 {
        let res = s
            .submit(
                &lao,
                &format!("k{i}"),
                &request_json(&case_with("LAO", &format!("C{i}"), "1.A", "1.1"), &[]),
            )
            .await;
        assert_eq!(res.status(), 201);
        receipts.push(res.json::<Receipt>().await.unwrap());
    }
    let meta = s.state.meta.clone();
    let ids: Vec<_> = receipts.iter().map(|r| r.submission_id).collect();
    let writer = std::thread::spawn(move || {
        for id in ids {
            operator::set_state(&*meta, id, SubmissionState::Published, None).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
    });
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let done = writer.is_finished();
        let (page, _) = feed(&s, cursor.as_deref(), 1).await;
        for c in &page.changes {
            seen.insert(c.case_uid);
        }
        cursor = Some(page.next_cursor);
        if done && !page.has_more {
            break;
        }
    }
    writer.join().unwrap();
    let expected: std::collections::BTreeSet<_> = receipts.iter().map(|r| r.case_uid).collect();
    assert_eq!(seen, expected, "every case published during the read was seen");
    s.stop().await;
}

#[tokio::test]
async fn the_operator_withdraws_a_case_from_the_command_line_while_the_server_runs() {
    let s = TestServer::start().await;
    let lao = s.focal_point("LAO");
    let r = publish(&s, &lao, &case_with("LAO", "Village e-services", "1.A", "16.6")).await;
    let (before, _) = feed(&s, None, 10).await;
    let run = |id: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_paks-server"))
            .arg("--data")
            .arg(s.dir.path())
            .args(["review", "withdraw", &id])
            .output()
            .unwrap()
    };
    let out = run(r.submission_id.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("withdrawn\t{}", r.case_uid));
    let (after, _) = feed(&s, Some(&before.next_cursor), 10).await;
    assert_eq!(after.changes.len(), 1);
    assert_eq!(after.changes[0].kind, PublicChangeKind::Withdrawn);
    let page = s.client.get(s.u(&format!("/cases/{}", r.submission_id))).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let again = run(r.case_uid.to_string());
    assert!(!again.status.success(), "withdrawing twice is an error");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already withdrawn"));
    s.stop().await;
}
