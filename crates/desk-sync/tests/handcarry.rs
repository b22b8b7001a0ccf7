#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Hand-carry end to end: a case exported from one PAKS Desk as a bag, checked by the Library of
//! Congress bagit tool, ingested by the real paks-server over 127.0.0.1, and opened by another
//! PAKS Desk as a new draft.

#[path = "../../paks-bag/tests/support/bagit_py.rs"]
mod bagit_py;
mod common;

use std::path::{Path, PathBuf};

use std::sync::Arc;

use common::{TestServer, complete_case, desk, fast_options, make_file, public_key};
use desk_core::{CaseField, CaseStatus, Store};
use desk_sync::handcarry::{bag_idempotency_key, export_bag, open_bag};
use desk_sync::progress::no_events;
use desk_sync::{Engine, Idle, JobState, Outbox, Phase, now_ms, submit_case};
use paks_protocol::Receipt;

async fn post_bag(url: &str, token: &str, bag: &Path) -> reqwest::Response {
    desk_sync::client::ensure_crypto_provider();
    reqwest::Client::new()
        .post(format!("{url}/api/v1/bags"))
        .bearer_auth(token)
        .header("Content-Type", "application/zip")
        .body(std::fs::read(bag).unwrap())
        .send()
        .await
        .unwrap()
}

/// A running PAKS in `root/server` and a desk in `root/desk-a` connected to it as a focal point
/// for LAO.
struct Connected {
    server: TestServer,
    token: String,
    url: String,
    key: String,
    here: PathBuf,
    store: Arc<Store>,
}

async fn paks_and_desk(root: &Path) -> Connected {
    let server = TestServer::start(&root.join("server")).await;
    let token = server.focal_point("LAO");
    let url = server.url();
    let key = public_key(&url).await;
    let here = root.join("desk-a");
    let store = desk(&here, &url, &token, &key);
    Connected { server, token, url, key, here, store }
}

/// The bag-info.txt of a bag, read back through the bag reader.
fn bag_info(bag: &Path) -> paks_bag::Tags {
    let work = tempfile::tempdir().unwrap();
    paks_bag::open_bag(bag, work.path(), &paks_bag::Limits::default()).unwrap().info
}

#[tokio::test]
async fn a_case_travels_as_a_bag_to_paks_and_to_another_desk() {
    let root = tempfile::tempdir().unwrap();
    let Connected { server, token, url, key, here, store } = paks_and_desk(root.path()).await;
    let id = complete_case(&store, "Lao e-Census");
    store.set_field(id, CaseField::Themes, "census\ne-government").unwrap();
    let files = root.path().join("files");
    std::fs::create_dir_all(files.join("other")).unwrap();
    let (deck, deck_sha) = make_file(&files, "deck.pdf", 2_000_000);
    let (twin, twin_sha) = make_file(&files.join("other"), "deck.pdf", 1_000);
    store.import_attachment(id, &deck).unwrap();
    store.import_attachment(id, &twin).unwrap();

    let bag = root.path().join("usb/lao-census.zip");
    std::fs::create_dir_all(bag.parent().unwrap()).unwrap();
    let outbox = Outbox::open(&here).unwrap();
    let mut seen = Vec::new();
    let written =
        export_bag(&store, &outbox, id, &bag, &mut |done, total| seen.push((done, total))).unwrap();
    let (last_done, total) = *seen.last().unwrap();
    assert_eq!(last_done, total, "progress reaches the end");
    assert_eq!(total, written.payload_bytes);
    assert!(seen.len() > 2, "progress is reported along the way: {seen:?}");
    assert_eq!(written.attachments, 2);
    let case = store.case(id).unwrap();
    let info = bag_info(&bag);
    let expect = [
        ("Source-Organization", "Ministry of Technology and Communications".to_owned()),
        ("Contact-Name", "Phoxay Vongsa".to_owned()),
        ("Contact-Email", "phoxay@mtc.gov.la".to_owned()),
        ("External-Identifier", format!("{} v1", case.uid)),
        ("PAKS-Idempotency-Key", format!("bag:{}:v1", case.uid)),
        ("Payload-Oxum", format!("{}.3", written.payload_bytes)),
    ];
    for (label, value) in expect {
        assert_eq!(info.get(label), Some(value.as_str()), "{label}");
    }
    assert!(info.get("Bagging-Date").is_some() && info.get("Bag-Size").is_some(), "{info:?}");
    assert_eq!(store.case(id).unwrap().status, CaseStatus::Draft, "exporting sends nothing");

    // An independent BagIt implementation agrees the bag is complete and valid.
    let unzipped = root.path().join("unzipped");
    bagit_py::unzip(&bag, &unzipped);
    let folder = unzipped.join(format!("paks-case-{}-v1", case.uid));
    let said = bagit_py::validate(&folder);
    assert!(said.contains("is valid"), "{said}");
    assert!(folder.join("data/attachments/deck (2).pdf").is_file(), "names are de-duplicated");

    // PAKS takes it as a submission of this case version, once.
    let res = post_bag(&url, &token, &bag).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    paks_protocol::verify_receipt(&key, &receipt).unwrap();
    assert_eq!(receipt.case_uid.to_string(), case.uid, "the receipt names the case");
    assert_eq!(receipt.version, 1);
    let mut shas: Vec<&str> = receipt.files.iter().map(|f| f.sha256.as_str()).collect();
    shas.sort_unstable();
    let mut want = [deck_sha.as_str(), twin_sha.as_str()];
    want.sort_unstable();
    assert_eq!(shas, want);
    let again = post_bag(&url, &token, &bag).await;
    assert_eq!(again.json::<Receipt>().await.unwrap(), receipt);
    assert_eq!(server.submission_count(), 1);

    // A colleague's PAKS Desk opens it as a new draft, twice as two drafts, never merged.
    let there = root.path().join("desk-b");
    let colleague = Store::open(&there).unwrap();
    let mine = colleague.create_case("My own case", Some("BTN")).unwrap();
    let opened = open_bag(&colleague, &bag).unwrap();
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let copy = colleague.case(opened.case_id).unwrap();
    assert_ne!(copy.id, mine.id);
    assert_ne!(copy.uid, case.uid, "a colleague's case is a new case here");
    assert_eq!(copy.status, CaseStatus::Draft);
    assert_eq!(copy.version, 1);
    for field in [CaseField::Title, CaseField::Country, CaseField::Summary, CaseField::Themes] {
        assert_eq!(copy.field(field), case.field(field), "{field:?}");
    }
    assert_eq!(copy.mdg_links, case.mdg_links);
    let names: Vec<(String, String)> =
        colleague.attachments(copy.id).unwrap().into_iter().map(|a| (a.name, a.sha256)).collect();
    assert_eq!(
        names,
        [("deck.pdf".to_owned(), deck_sha.clone()), ("deck (2).pdf".to_owned(), twin_sha.clone())]
    );
    assert_eq!(colleague.case(mine.id).unwrap().field(CaseField::Title), "My own case");
    let second = open_bag(&colleague, &bag).unwrap();
    assert_ne!(second.case_id, opened.case_id);
    assert_eq!(colleague.list_cases(&Default::default()).unwrap().len(), 3);
    assert!(
        std::fs::read_dir(there.join("tmp")).unwrap().next().is_none(),
        "the work folder is removed"
    );
    server.kill().await;
}

/// A value for `field` unlike every other field's, and valid for it.
fn distinct_value(field: CaseField) -> String {
    match field {
        CaseField::Title => "Every field travels".into(),
        CaseField::Country => "LAO".into(),
        CaseField::Language => "fr".into(),
        CaseField::GovernmentLevel => "subnational".into(),
        CaseField::StartYear => "2012".into(),
        CaseField::Stage => "pilot".into(),
        CaseField::Institutions => "Ministry of Home Affairs\nLao Statistics Bureau".into(),
        CaseField::Partners => "UNDP Lao PDR\nWorld Bank office".into(),
        CaseField::Themes => "census\ne-government".into(),
        other => format!("The {} of the census case, said once.", other.column()),
    }
}

/// Fields the public case page does not show (the published JSON still carries them).
const NOT_ON_PUBLIC_PAGE: [CaseField; 5] = [
    CaseField::Language,
    CaseField::Partners,
    CaseField::StartYear,
    CaseField::Stage,
    CaseField::Themes,
];

/// Every case field, each filled with a value of its own, goes Case → CaseDocument → bag → PAKS
/// → published JSON and public page → another desk, and arrives unchanged at each step. (PAKS has
/// no library copy yet; the public page is the last stop.)
#[tokio::test]
async fn every_case_field_travels_from_the_case_to_the_public_page_and_back() {
    let root = tempfile::tempdir().unwrap();
    let Connected { server, token, url, here, store, .. } = paks_and_desk(root.path()).await;
    let id = complete_case(&store, "Placeholder");
    for field in CaseField::ALL {
        store.set_field(id, field, &distinct_value(field)).unwrap();
    }
    let case = store.case(id).unwrap();
    for field in CaseField::ALL {
        assert_eq!(case.field(field), distinct_value(field), "{field:?} is stored as set");
    }

    let bag = root.path().join("every-field.zip");
    let outbox = Outbox::open(&here).unwrap();
    export_bag(&store, &outbox, id, &bag, &mut |_, _| {}).unwrap();
    let work = tempfile::tempdir().unwrap();
    let bagged = paks_bag::open_bag(&bag, work.path(), &paks_bag::Limits::default()).unwrap().case;
    let case_json = serde_json::to_value(&bagged).unwrap();
    for field in CaseField::ALL {
        let wire = &case_json[field.column()];
        let empty = wire.is_null() || wire == "" || wire.as_array().is_some_and(Vec::is_empty);
        assert!(!empty, "{field:?} is in the bag's case.json: {wire}");
        assert_eq!(field.read_from_document(&bagged), case.field(field), "{field:?} in the bag");
    }

    let res = post_bag(&url, &token, &bag).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    paks_server::operator::set_state(
        &*server.state.meta,
        receipt.submission_id,
        paks_protocol::SubmissionState::Published,
        None,
    )
    .unwrap();
    let published: paks_protocol::PublishedCase =
        reqwest::get(format!("{url}/api/v1/cases/{}", receipt.submission_id))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(published.case, bagged, "PAKS publishes the document it received");
    let page = reqwest::get(format!("{url}/cases/{}", receipt.submission_id)).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for field in CaseField::ALL.into_iter().filter(|f| !NOT_ON_PUBLIC_PAGE.contains(f)) {
        for line in case.field(field).lines() {
            assert!(html.contains(line), "{field:?} ({line}) is on the public page:\n{html}");
        }
    }

    let colleague = Store::open(&root.path().join("desk-b")).unwrap();
    let opened = open_bag(&colleague, &bag).unwrap();
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let copy = colleague.case(opened.case_id).unwrap();
    for field in CaseField::ALL {
        assert_eq!(copy.field(field), case.field(field), "{field:?} opened from the bag");
    }
    server.kill().await;
}

#[tokio::test]
async fn a_queued_version_is_bagged_as_frozen_with_the_outbox_key() {
    let root = tempfile::tempdir().unwrap();
    let here = root.path().join("desk");
    let store = desk(&here, "http://127.0.0.1:9", "token", "key");
    let id = complete_case(&store, "Queued case");
    let outbox = Outbox::open(&here).unwrap();
    let job = desk_sync::submit_case(&store, &outbox, id, &[], desk_sync::now_ms()).unwrap();
    let bag = root.path().join("queued.zip");
    let written = export_bag(&store, &outbox, id, &bag, &mut |_, _| {}).unwrap();
    assert_eq!(written.idempotency_key, job.idempotency_key);
    assert_eq!(bag_info(&bag).get("PAKS-Idempotency-Key"), Some(job.idempotency_key.as_str()));
    let document: paks_protocol::CaseDocument = serde_json::from_str(&job.document).unwrap();
    assert_ne!(written.idempotency_key, bag_idempotency_key(&document));
}

#[test]
fn a_bad_bag_opens_nothing() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let bad = root.path().join("bad.zip");
    std::fs::write(&bad, b"PK\x03\x04 not really").unwrap();
    let err = open_bag(&store, &bad).unwrap_err();
    assert!(err.to_string().starts_with("This bag cannot be opened"), "{err}");
    assert!(store.list_cases(&Default::default()).unwrap().is_empty());
    assert!(std::fs::read_dir(root.path().join("tmp")).unwrap().next().is_none());
}

#[test]
fn an_incomplete_case_makes_no_bag() {
    let root = tempfile::tempdir().unwrap();
    let store = desk(root.path(), "http://127.0.0.1:9", "token", "key");
    let case = store.create_case("Only a title", Some("LAO")).unwrap();
    let outbox = Outbox::open(root.path()).unwrap();
    let out = root.path().join("x.zip");
    let err = export_bag(&store, &outbox, case.id, &out, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code(), "case_rules_unmet", "{err}");
    assert!(err.to_string().contains("(summary)"), "{err}");
    assert!(!out.exists());
}

/// A desk connected to a fresh server, with one complete case holding a 1.5 MB deck.
struct Carried {
    _root: tempfile::TempDir,
    server: TestServer,
    token: String,
    here: std::path::PathBuf,
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    case: i64,
    bag: std::path::PathBuf,
}

impl Carried {
    async fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let server = TestServer::start(&root.path().join("server")).await;
        let token = server.focal_point("LAO");
        let key = public_key(&server.url()).await;
        let here = root.path().join("desk");
        let store = desk(&here, &server.url(), &token, &key);
        let case = complete_case(&store, "Lao e-Census");
        let (deck, _) = make_file(root.path(), "deck.pptx", 1_500_000);
        store.import_attachment(case, &deck).unwrap();
        let outbox = Arc::new(Outbox::open(&here).unwrap());
        let bag = root.path().join("usb.zip");
        Self { _root: root, server, token, here, store, outbox, case, bag }
    }

    fn export(&self) {
        export_bag(&self.store, &self.outbox, self.case, &self.bag, &mut |_, _| {}).unwrap();
    }

    /// A colleague hands the bag in at PAKS.
    async fn hand_in(&self) -> Receipt {
        let res = post_bag(&self.server.url(), &self.token, &self.bag).await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    /// The desk comes online and does what is due.
    async fn come_online(&self) -> Idle {
        let mut engine = Engine::new(
            &self.here,
            self.store.clone(),
            self.outbox.clone(),
            no_events(),
            fast_options(),
        );
        engine.network_back().unwrap();
        engine.run_until_idle().await.unwrap()
    }
}

#[tokio::test]
async fn a_draft_carried_by_hand_takes_its_receipt_in_when_online_and_sends_nothing() {
    let t = Carried::new().await;
    t.export();
    let carried = t.outbox.hand_carried().unwrap();
    assert_eq!(carried.len(), 1);
    assert!(!carried[0].is_matched());
    assert_eq!(t.come_online().await, Idle::WaitingBag, "PAKS has no such version yet");
    assert_eq!(t.outbox.hand_carried().unwrap()[0].checks, 1);
    assert!(t.server.uploads().is_empty(), "exporting sends nothing");

    let receipt = t.hand_in().await;
    let uploads_at_paks = t.server.uploads().len();
    assert_eq!(t.come_online().await, Idle::WaitingReview);

    let case = t.store.case(t.case).unwrap();
    assert_eq!(case.status, CaseStatus::Submitted);
    assert_eq!(case.submission_id.as_deref(), Some(receipt.submission_id.to_string().as_str()));
    let job = t.outbox.submission_for_case(t.case).unwrap().unwrap();
    assert_eq!(job.phase, Phase::Review);
    let kept: Receipt = serde_json::from_str(job.receipt.as_deref().unwrap()).unwrap();
    assert_eq!(kept, receipt, "the case holds PAKS's signed receipt");
    assert!(t.outbox.uploads_of(job.id).unwrap().iter().all(|u| u.state == JobState::Done));
    assert_eq!(t.server.uploads().len(), uploads_at_paks, "no file was uploaded again");
    assert_eq!(t.server.submission_count(), 1);
    let row = &t.outbox.hand_carried().unwrap()[0];
    assert!(row.is_matched());
    assert!(row.outcome.as_deref().unwrap().contains("hand-carried bag"), "{row:?}");
    t.server.kill().await;
}

#[tokio::test]
async fn a_queued_case_carried_by_hand_is_not_uploaded_when_paks_has_the_bag() {
    let t = Carried::new().await;
    let job = submit_case(&t.store, &t.outbox, t.case, &[], now_ms()).unwrap();
    t.export();
    let receipt = t.hand_in().await;
    let uploads_at_paks = t.server.uploads().len();
    assert_eq!(t.come_online().await, Idle::WaitingReview);
    let after = t.outbox.submission(job.id).unwrap();
    assert_eq!(after.submission_id, Some(receipt.submission_id.to_string()));
    assert_eq!(t.server.uploads().len(), uploads_at_paks, "the queued files were not sent");
    assert_eq!(t.store.case(t.case).unwrap().status, CaseStatus::Submitted);
    assert_eq!(t.server.submission_count(), 1);
    t.server.kill().await;
}

#[tokio::test]
async fn edits_made_after_the_bag_are_kept_as_the_next_version() {
    let t = Carried::new().await;
    t.export();
    t.store.set_field(t.case, CaseField::Summary, "Registration in one hour, since May.").unwrap();
    let receipt = t.hand_in().await;
    assert_eq!(t.come_online().await, Idle::Empty);
    let case = t.store.case(t.case).unwrap();
    assert_eq!(case.status, CaseStatus::Draft);
    assert_eq!(case.version, 2, "the edits are the next version");
    assert_eq!(case.follows_submission, Some(receipt.submission_id.to_string()));
    assert_eq!(case.field(CaseField::Summary), "Registration in one hour, since May.");
    let row = &t.outbox.hand_carried().unwrap()[0];
    assert!(row.outcome.as_deref().unwrap().contains("version 2"), "{row:?}");

    // Sent online, version 2 replaces the hand-carried version 1 at PAKS.
    submit_case(&t.store, &t.outbox, t.case, &[], now_ms()).unwrap();
    assert_eq!(t.come_online().await, Idle::WaitingReview);
    assert_eq!(t.server.submission_count(), 2);
    let job = t.outbox.submission_for_case(t.case).unwrap().unwrap();
    let v2: Receipt = serde_json::from_str(job.receipt.as_deref().unwrap()).unwrap();
    assert_eq!((v2.version, v2.replaces), (2, Some(receipt.submission_id)));
    t.server.kill().await;
}

#[tokio::test]
async fn a_later_version_queued_online_after_the_bag_goes_as_the_next_version() {
    let t = Carried::new().await;
    t.export();
    t.store.set_field(t.case, CaseField::Results, "Ten thousand firms registered.").unwrap();
    let queued = submit_case(&t.store, &t.outbox, t.case, &[], now_ms()).unwrap();
    let receipt = t.hand_in().await;
    assert_eq!(t.come_online().await, Idle::WaitingReview);
    let jobs = t.outbox.submissions().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_ne!(
        jobs[0].idempotency_key, queued.idempotency_key,
        "the job PAKS could never take is gone"
    );
    assert_eq!(jobs[0].case_version, 2);
    let case = t.store.case(t.case).unwrap();
    assert_eq!(case.version, 2);
    assert_eq!(case.status, CaseStatus::Submitted, "version 2 was sent");
    let job = t.outbox.submission_for_case(t.case).unwrap().unwrap();
    let v2: Receipt = serde_json::from_str(job.receipt.as_deref().unwrap()).unwrap();
    assert_eq!((v2.version, v2.replaces), (2, Some(receipt.submission_id)));
    assert_eq!(t.server.submission_count(), 2);
    t.server.kill().await;
}
