#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The library's tables and search, on a real SQLite file: pages of the change feed stored with
//! their cursor, tombstones, replays, refused pages, the storage cap, search and "cases like".

use desk_core::{CaseField, CaseFilter, Framework, HitPlace, LibraryFilter, LinkInput, Store};
use paks_protocol::{
    CaseDocument, FocalPointContact, MdgLink, PublicChange, PublicChangeKind, PublishedCase,
    PublishedFile, SdgLink,
};
use uuid::Uuid;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    (dir, store)
}

struct Published {
    uid: Uuid,
    country: &'static str,
    language: &'static str,
    title: &'static str,
    summary: &'static str,
    results: &'static str,
    mdg: &'static [&'static str],
    sdg: &'static [&'static str],
    files: Vec<PublishedFile>,
}

impl Published {
    fn new(country: &'static str, title: &'static str, summary: &'static str) -> Self {
        Published {
            uid: Uuid::new_v4(),
            country,
            language: "en",
            title,
            summary,
            results: "",
            mdg: &[],
            sdg: &[],
            files: Vec::new(),
        }
    }

    fn case(&self) -> PublishedCase {
        let case = CaseDocument {
            schema_version: 1,
            case_uid: self.uid,
            version: 1,
            language: self.language.into(),
            title: self.title.into(),
            country: self.country.into(),
            summary: self.summary.into(),
            results: self.results.into(),
            mdg_links: self
                .mdg
                .iter()
                .map(|t| MdgLink { target: (*t).into(), indicator: None, note: String::new() })
                .collect(),
            sdg_links: self
                .sdg
                .iter()
                .map(|t| SdgLink { target: (*t).into(), note: None })
                .collect(),
            focal_point: FocalPointContact {
                name: "A focal point".into(),
                title: String::new(),
                institution: "A ministry".into(),
                email: "fp@example.org".into(),
            },
            ..CaseDocument::default()
        };
        PublishedCase {
            submission_id: Uuid::new_v4(),
            published_at: "2026-12-01T10:00:00Z".into(),
            html_url: format!("/cases/{}", self.uid),
            case,
            files: self.files.clone(),
        }
    }

    fn change(&self, cursor: u64) -> PublicChange {
        PublicChange {
            cursor: cursor.to_string(),
            case_uid: self.uid,
            kind: PublicChangeKind::Published,
            changed_at: "2026-12-01T10:00:00Z".into(),
            case: Some(self.case()),
        }
    }
}

fn withdrawal(uid: Uuid, cursor: u64) -> PublicChange {
    PublicChange {
        cursor: cursor.to_string(),
        case_uid: uid,
        kind: PublicChangeKind::Withdrawn,
        changed_at: "2026-12-02T10:00:00Z".into(),
        case: None,
    }
}

fn file(name: &str, bytes: &[u8]) -> PublishedFile {
    PublishedFile {
        name: name.into(),
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
        sha256: paks_protocol::sha256_hex(bytes),
        url: format!("/cases/x/files/{name}"),
    }
}

/// A Lao case whose Lao word is only in a section (Results), not in the title or summary.
fn lao_case() -> Published {
    let mut lao = Published::new(
        "LAO",
        "One-stop business registration",
        "Registering a business online in Vientiane.",
    );
    lao.language = "lo";
    lao.results = "ການລົງທະບຽນທຸລະກິດ ໃຊ້ເວລາໜຶ່ງມື້.";
    lao.mdg = &["8.F"];
    lao.sdg = &["16.6", "9.c"];
    lao
}

fn titles(hits: &[desk_core::LibraryHit]) -> Vec<&str> {
    hits.iter().map(|h| h.case_title.as_str()).collect()
}

#[test]
fn a_page_is_stored_with_its_cursor_and_searched_in_every_script() {
    let (_dir, store) = open();
    assert_eq!(store.library_cursor().unwrap(), None, "a new desk has never synced");
    let lao = lao_case();
    let mut thai = Published::new("THA", "Digital government in Thailand", "ระบบราชการอิเล็กทรอนิกส์");
    thai.mdg = &["8.F"];
    let mut khmer = Published::new("KHM", "Cambodian e-services", "សេវាអេឡិចត្រូនិក");
    khmer.sdg = &["16.10"];
    let china = Published::new("CHN", "E-government in China", "电子政务服务平台");
    let changes = [lao.change(1), thai.change(2), khmer.change(3), china.change(4)];
    let stored = store.store_library_page(&changes, "4").unwrap();
    assert_eq!((stored.published, stored.withdrawn), (4, 0));
    assert_eq!(store.library_cursor().unwrap().as_deref(), Some("4"));
    assert_eq!(store.library_state().unwrap().cases, 4);

    let all = LibraryFilter::default();
    let hits = store.search_library("ທຸລະກິດ", &all).unwrap();
    assert_eq!(titles(&hits), ["One-stop business registration"], "a Lao word inside a section");
    assert!(hits[0].library, "a library hit says so");
    assert_eq!(hits[0].place, HitPlace::Field { field: CaseField::Results });
    assert!(hits[0].snippet.iter().any(|s| s.hit && s.text.contains("ທຸລະກິດ")));
    assert_eq!(
        titles(&store.search_library("ราชการ", &all).unwrap()),
        ["Digital government in Thailand"]
    );
    assert_eq!(titles(&store.search_library("អេឡិចត្រូនិក", &all).unwrap()), ["Cambodian e-services"]);
    assert_eq!(titles(&store.search_library("政务", &all).unwrap()), ["E-government in China"]);
    assert_eq!(
        titles(&store.search_library("Vientiane", &all).unwrap()),
        ["One-stop business registration"]
    );

    let by = |country: Option<&str>, mdg: Option<&str>, sdg: Option<&str>| LibraryFilter {
        country: country.map(Into::into),
        mdg: mdg.map(Into::into),
        sdg: sdg.map(Into::into),
        ..LibraryFilter::default()
    };
    let every_word = store.search_library("government e-services registration", &all).unwrap();
    assert!(every_word.is_empty(), "every word must be in one section");
    let thai = store.search_library("government", &by(Some("tha"), None, None)).unwrap();
    assert_eq!(titles(&thai), ["Digital government in Thailand"], "country filter, any case");
    let hits = store.search_library("business OR Thailand", &by(None, Some("8"), None)).unwrap();
    assert!(hits.is_empty(), "OR is text, not an operator");
    let mdg8 = store.search_library("Digital", &by(None, Some("8"), None)).unwrap();
    assert_eq!(titles(&mdg8), ["Digital government in Thailand"], "MDG goal 8 holds 8.F");
    assert!(store.search_library("Digital", &by(None, Some("1"), None)).unwrap().is_empty());
    let sdg16 = store.search_library("Cambodian", &by(None, None, Some("16"))).unwrap();
    assert_eq!(titles(&sdg16), ["Cambodian e-services"], "SDG goal 16 holds 16.10");
    assert!(
        store.search_library("Cambodian", &by(None, None, Some("16.1"))).unwrap().is_empty(),
        "16.1 is its own target, not a prefix of 16.10"
    );
    assert_eq!(
        titles(&store.search_library("registration", &by(None, None, Some("9.c"))).unwrap()),
        ["One-stop business registration"]
    );

    let shown = store.library_case(&lao.uid.to_string()).unwrap();
    assert_eq!(shown.mdg_targets, ["8.F"]);
    assert_eq!(shown.sdg_targets, ["16.6", "9.c"]);
    assert!(shown.sections.iter().any(|s| s.field == CaseField::Results));
    assert_eq!(store.library_case(&shown.id.to_string()).unwrap().case_uid, shown.case_uid);
}

#[test]
fn library_cases_stay_apart_from_the_users_own() {
    let (_dir, store) = open();
    let own = store.create_case("Our own registration reform", Some("BTN")).unwrap();
    store.set_field(own.id, CaseField::Summary, "Registration in Thimphu.").unwrap();
    store.store_library_page(&[lao_case().change(1)], "1").unwrap();

    let own_hits = store.search("registration", &CaseFilter::default()).unwrap();
    assert_eq!(own_hits.len(), 2, "title and summary of the user's own case: {own_hits:?}");
    assert!(own_hits.iter().all(|h| h.case_id == own.id), "no library case in the own search");
    let library_hits = store.search_library("registration", &LibraryFilter::default()).unwrap();
    assert_eq!(titles(&library_hits), ["One-stop business registration"]);
    assert_eq!(store.list_cases(&CaseFilter::default()).unwrap().len(), 1, "not a draft");
}

#[test]
fn a_tombstone_removes_the_case_its_text_and_its_opened_files() {
    let (_dir, store) = open();
    let mut lao = lao_case();
    lao.files = vec![file("deck.pptx", b"slides")];
    let keep = Published::new("BTN", "Bhutan e-services", "Citizen services online.");
    store.store_library_page(&[lao.change(1), keep.change(2)], "2").unwrap();
    let deck = store.library_file(&lao.uid.to_string(), "deck.pptx").unwrap();
    std::fs::create_dir_all(store.library_files_dir()).unwrap();
    let path = store.library_file_path(&deck.sha256);
    std::fs::write(&path, b"slides").unwrap();
    store.library_file_opened(&deck).unwrap();
    assert!(store.library_file(&lao.uid.to_string(), "0").unwrap().stored);

    let stored = store.store_library_page(&[withdrawal(lao.uid, 3)], "3").unwrap();
    assert_eq!((stored.published, stored.withdrawn), (0, 1));
    assert!(store.search_library("ທຸລະກິດ", &LibraryFilter::default()).unwrap().is_empty());
    let err = store.library_case(&lao.uid.to_string()).unwrap_err();
    assert_eq!(err.code(), "library_case_not_found");
    assert!(!path.exists(), "the withdrawn case's opened file left the disk");
    assert_eq!(store.library_state().unwrap().stored_file_bytes, 0);
    assert_eq!(store.library_state().unwrap().cases, 1, "the other case stays");
    // A withdrawal of a case this desk never had is fine (it was published and withdrawn
    // between two syncs).
    store.store_library_page(&[withdrawal(Uuid::new_v4(), 4)], "4").unwrap();
    assert_eq!(store.library_cursor().unwrap().as_deref(), Some("4"));
}

#[test]
fn a_page_read_again_after_a_cut_doubles_nothing_and_a_new_version_replaces_the_old() {
    let (_dir, store) = open();
    let lao = lao_case();
    let page = [lao.change(1), Published::new("NPL", "Nepal", "Kathmandu services.").change(2)];
    store.store_library_page(&page, "2").unwrap();
    store.store_library_page(&page, "2").unwrap();
    assert_eq!(store.library_state().unwrap().cases, 2);
    assert_eq!(store.search_library("ທຸລະກິດ", &LibraryFilter::default()).unwrap().len(), 1);

    let mut newer = lao.case();
    newer.case.version = 2;
    newer.case.replaces = Some(newer.submission_id);
    newer.case.results = "Two days now.".into();
    let change = PublicChange { case: Some(newer), cursor: "3".into(), ..lao.change(3) };
    store.store_library_page(&[change], "3").unwrap();
    assert_eq!(store.library_state().unwrap().cases, 2);
    assert!(store.search_library("ທຸລະກິດ", &LibraryFilter::default()).unwrap().is_empty());
    assert_eq!(store.library_case(&lao.uid.to_string()).unwrap().version, 2);
}

#[test]
fn a_page_with_one_bad_case_stores_nothing_and_keeps_the_cursor() {
    let (_dir, store) = open();
    store.store_library_page(&[lao_case().change(1)], "1").unwrap();
    let mut bad_file = Published::new("BTN", "Bhutan", "Thimphu.");
    bad_file.files =
        vec![PublishedFile { sha256: "../../etc/passwd".into(), ..file("a.pdf", b"x") }];
    let mut elsewhere = Published::new("BTN", "Bhutan 2", "Paro.");
    elsewhere.files =
        vec![PublishedFile { url: "https://evil.example/x".into(), ..file("b.pdf", b"x") }];
    let mut bad_country = Published::new("BTN", "Bhutan 3", "Punakha.");
    bad_country.country = "btn";
    let good = Published::new("NPL", "Nepal", "Kathmandu.");
    for bad in [bad_file, elsewhere, bad_country] {
        let err = store.store_library_page(&[good.change(2), bad.change(3)], "3").unwrap_err();
        assert_eq!(err.code(), "library_case_invalid", "{err}");
    }
    let err = store.store_library_page(&[good.change(2)], "2\n3").unwrap_err();
    assert_eq!(err.code(), "library_case_invalid", "a cursor is one line of ASCII");
    assert_eq!(store.library_cursor().unwrap().as_deref(), Some("1"));
    assert_eq!(store.library_state().unwrap().cases, 1, "nothing of the bad pages was kept");
}

#[test]
fn over_the_storage_cap_the_least_recently_opened_files_go_and_the_text_stays() {
    let (_dir, store) = open();
    let mb = vec![7u8; 1024 * 1024];
    let mut with_files = lao_case();
    let blobs: Vec<Vec<u8>> = (0..3u8).map(|i| mb.iter().map(|b| b ^ i).collect()).collect();
    with_files.files =
        blobs.iter().enumerate().map(|(i, b)| file(&format!("f{i}.pdf"), b)).collect();
    store.store_library_page(&[with_files.change(1)], "1").unwrap();
    store.set_library_storage_cap_mb(2).unwrap();
    std::fs::create_dir_all(store.library_files_dir()).unwrap();
    let uid = with_files.uid.to_string();
    let mut dropped = Vec::new();
    for (i, bytes) in blobs.iter().enumerate() {
        let f = store.library_file(&uid, &i.to_string()).unwrap();
        std::fs::write(store.library_file_path(&f.sha256), bytes).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        dropped.extend(store.library_file_opened(&f).unwrap());
    }
    let first = store.library_file(&uid, "f0.pdf").unwrap();
    assert_eq!(dropped, [store.library_file_path(&first.sha256)], "the oldest opened went");
    let state = store.library_state().unwrap();
    assert_eq!(state.stored_file_bytes, 2 * 1024 * 1024);
    let files = store.library_case(&uid).unwrap().files;
    assert_eq!(files.iter().map(|f| f.stored).collect::<Vec<_>>(), [false, true, true]);
    assert_eq!(store.search_library("ທຸລະກິດ", &LibraryFilter::default()).unwrap().len(), 1);

    let dropped = store.set_library_storage_cap_mb(0).unwrap();
    assert_eq!(dropped.len(), 2, "a lower cap applies at once");
    assert_eq!(store.library_state().unwrap().stored_file_bytes, 0);
}

#[test]
fn cases_like_a_draft_share_its_targets_first_then_its_words() {
    let (_dir, store) = open();
    let draft = store.create_case("Business registration in one day", Some("BTN")).unwrap();
    store.set_field(draft.id, CaseField::Summary, "A single window for licences.").unwrap();
    let link = |framework, target: &str| LinkInput {
        framework,
        target: target.into(),
        indicator: None,
        note: String::new(),
    };
    store.link_goal(draft.id, &link(Framework::Mdg, "8.F")).unwrap();
    store.link_goal(draft.id, &link(Framework::Sdg, "16.6")).unwrap();

    let same_targets = lao_case(); // 8.F, 16.6, and "business registration" in its text
    let mut same_goal = Published::new("THA", "Thai tax portal", "Paying taxes online.");
    same_goal.mdg = &["8.A"];
    let words_only = Published::new("NPL", "Licences in a single window", "Licences in Nepal.");
    let unrelated = Published::new("FJI", "Fisheries", "Boats and nets.");
    let page =
        [same_targets.change(1), same_goal.change(2), words_only.change(3), unrelated.change(4)];
    store.store_library_page(&page, "4").unwrap();

    let like = store.library_like(draft.id, 10).unwrap();
    let order: Vec<&str> = like.iter().map(|c| c.case_title.as_str()).collect();
    assert_eq!(
        order,
        ["One-stop business registration", "Licences in a single window", "Thai tax portal"],
        "{like:#?}"
    );
    assert_eq!(like[0].shared_targets, ["MDG 8.F", "SDG 16.6"]);
    assert!(like[0].shares_words && like[1].shares_words && !like[2].shares_words);
    assert_eq!(store.library_like(draft.id, 1).unwrap().len(), 1);
}
