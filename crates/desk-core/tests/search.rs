#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
use std::io::Write;
use std::path::{Path, PathBuf};

use desk_core::{
    CaseField, CaseFilter, CaseStatus, Framework, HitPlace, LinkInput, SearchHit, Store,
};
use desk_extract::{Limits, extract_in_process};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    (dir, store)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desk-extract/tests/fixtures").join(name)
}

/// A real .pptx with one text box per slide.
fn write_deck(path: &Path, slides: &[&str]) {
    let mut ids = String::new();
    let mut rels = String::new();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (i, text) in slides.iter().enumerate() {
        let n = i + 1;
        ids.push_str(&format!(r#"<p:sldId id="{}" r:id="rId{n}"/>"#, 255 + n));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide{n}.xml"/>"#
        ));
        zip.start_file(format!("ppt/slides/slide{n}.xml"), opts).unwrap();
        write!(
            zip,
            r#"<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        )
        .unwrap();
    }
    zip.start_file("[Content_Types].xml", opts).unwrap();
    zip.write_all(br#"<Types><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>"#).unwrap();
    zip.start_file("ppt/presentation.xml", opts).unwrap();
    write!(
        zip,
        r#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#
    )
    .unwrap();
    zip.start_file("ppt/_rels/presentation.xml.rels", opts).unwrap();
    write!(zip, "<Relationships>{rels}</Relationships>").unwrap();
    zip.finish().unwrap();
}

/// Attaches and indexes (in process: the worker's isolation is tested in `attachments.rs`).
fn attach(store: &Store, case_id: i64, path: &Path) -> String {
    let sha = store.import_attachment(case_id, path).unwrap().attachment.sha256;
    let extraction = extract_in_process(path, &Limits::default()).unwrap();
    store.record_extraction(&sha, &extraction).unwrap();
    sha
}

fn search(store: &Store, query: &str) -> Vec<SearchHit> {
    store.search(query, &CaseFilter::default()).unwrap()
}

fn hit_text(hit: &SearchHit) -> Vec<&str> {
    hit.snippet.iter().filter(|s| s.hit).map(|s| s.text.as_str()).collect()
}

#[test]
fn an_english_word_is_found_on_slide_7_of_a_deck() {
    let (dir, store) = open();
    let case = store.create_case("Nepal Nagarik App", Some("NPL")).unwrap();
    let deck = dir.path().join("Nagarik roadmap.pptx");
    let mut slides: Vec<String> =
        (1..=9).map(|n| format!("Slide {n} on service delivery")).collect();
    slides[6] = "Citizens verify identity with biometric kiosks in Kathmandu".into();
    write_deck(&deck, &slides.iter().map(String::as_str).collect::<Vec<_>>());
    let sha = attach(&store, case.id, &deck);

    let hits = search(&store, "biometric");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.case_id, case.id);
    assert_eq!(
        hit.place,
        HitPlace::File {
            sha256: sha,
            name: "Nagarik roadmap.pptx".into(),
            unit_label: "slide".into(),
            unit: 7,
            scan: None,
        }
    );
    assert_eq!(hit.place.describe(), "Nagarik roadmap.pptx, slide 7");
    assert_eq!(hit_text(hit), ["biometric"]);
    let plain: String = hit.snippet.iter().map(|s| s.text.as_str()).collect();
    assert!(plain.contains("Citizens verify identity"), "{plain}");

    // Case-insensitive, several words, ranked.
    assert_eq!(search(&store, "BIOMETRIC kathmandu").len(), 1);
    assert!(search(&store, "biometric nowhere").is_empty());
    store.set_field(case.id, CaseField::Summary, "Biometric kiosks biometric enrolment").unwrap();
    let hits = search(&store, "biometric");
    assert_eq!(hits.len(), 2);
    assert!(matches!(hits[0].place, HitPlace::Field { field: CaseField::Summary, .. }), "{hits:?}");
}

const SCRIPTS: &[(&str, &str, &[&str])] = &[
    // (country, text, words that must be found)
    ("LAO", "ລັດຖະບານເອເລັກໂຕຣນິກຊ່ວຍປະຊາຊົນ", &["ລັດຖະບານ", "ປະຊາຊົນ"]),
    ("THA", "ระบบรัฐบาลอิเล็กทรอนิกส์สำหรับประชาชน", &["รัฐบาล", "ประชาชน", "ระบบ"]),
    ("CHN", "电子政务平台提高了公共服务效率", &["政务", "公共服务", "效率", "电子政务平台"]),
    ("KHM", "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់ពលរដ្ឋ", &["រដ្ឋាភិបាល", "ពលរដ្ឋ"]),
    ("MMR", "အစိုးရဝန်ဆောင်မှုများကိုအွန်လိုင်းမှရယူနိုင်သည်", &["အစိုးရ", "အွန်လိုင်း"]),
    ("NPL", "नागरिक एप सरकारी सेवा", &["सरकारी", "सेवा"]),
];

#[test]
fn unspaced_scripts_are_found_in_case_fields() {
    let (_dir, store) = open();
    let mut ids = Vec::new();
    for (country, text, _) in SCRIPTS {
        let case = store.create_case(&format!("Case {country}"), Some(country)).unwrap();
        store.set_field(case.id, CaseField::Summary, text).unwrap();
        ids.push(case.id);
    }
    for ((_, _, words), id) in SCRIPTS.iter().zip(&ids) {
        for word in *words {
            let hits = search(&store, word);
            assert_eq!(hits.iter().map(|h| h.case_id).collect::<Vec<_>>(), [*id], "{word}");
            assert_eq!(hit_text(&hits[0]), [*word], "{word}: {:?}", hits[0].snippet);
            assert!(matches!(hits[0].place, HitPlace::Field { field: CaseField::Summary, .. }));
        }
    }
    // One-character Chinese words too, and no false hits across scripts.
    assert_eq!(search(&store, "效").len(), 1);
    assert!(search(&store, "政府").is_empty());
    assert!(search(&store, "ລາວ").is_empty());
}

#[test]
fn unspaced_scripts_are_found_in_attachment_text() {
    let (dir, store) = open();
    let case = store.create_case("Regional deck", Some("LAO")).unwrap();
    // The fixture's third slide: Thai, Lao and Chinese.
    let sha = attach(&store, case.id, &fixture("order_notes_scripts.pptx"));
    for word in ["สวัสดี", "ภาษาไทย", "ສະບາຍດີ", "ພາສາ", "你好", "中文", "你好世界"]
    {
        let hits = search(&store, word);
        assert_eq!(hits.len(), 1, "{word}: {hits:?}");
        match &hits[0].place {
            HitPlace::File { sha256, unit_label, unit, .. } => {
                assert_eq!(
                    (sha256.as_str(), unit_label.as_str(), *unit),
                    (sha.as_str(), "slide", 3)
                );
            }
            other => panic!("{word} found in {other:?}"),
        }
        assert!(hit_text(&hits[0]).contains(&word), "{word}: {:?}", hits[0].snippet);
    }
    let deck = dir.path().join("mekong.pptx");
    write_deck(&deck, &["Intro", "រដ្ឋាភិបាលឌីជីថល", "အစိုးရဝန်ဆောင်မှု"]);
    attach(&store, case.id, &deck);
    let khmer = search(&store, "ឌីជីថល");
    assert_eq!(khmer.len(), 1);
    assert!(matches!(&khmer[0].place, HitPlace::File { unit: 2, .. }));
    let burmese = search(&store, "ဝန်ဆောင်မှု");
    assert!(matches!(&burmese[0].place, HitPlace::File { unit: 3, .. }), "{burmese:?}");
    // Latin and unspaced terms together.
    assert_eq!(search(&store, "Beta 你好").len(), 1);
}

#[test]
fn filters_by_country_mdg_and_status() {
    let (_dir, store) = open();
    let lao = store.create_case("Lao land registry", Some("LAO")).unwrap();
    let btn = store.create_case("Bhutan land records", Some("BTN")).unwrap();
    let npl = store.create_case("Nepal land portal", Some("NPL")).unwrap();
    let link = |target: &str| LinkInput {
        framework: Framework::Mdg,
        target: target.into(),
        indicator: None,
        note: "ICT".into(),
    };
    store.link_goal(lao.id, &link("8.F")).unwrap();
    store.link_goal(btn.id, &link("1.A")).unwrap();
    for id in [lao.id, btn.id] {
        for field in
            [CaseField::Summary, CaseField::Problem, CaseField::Solution, CaseField::Results]
        {
            store.set_field(id, field, "land").unwrap();
        }
    }
    store.set_status(btn.id, CaseStatus::Queued).unwrap();

    let ids = |filter: CaseFilter| {
        let mut ids: Vec<i64> =
            store.search("land", &filter).unwrap().iter().map(|h| h.case_id).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    assert_eq!(ids(CaseFilter::default()), [lao.id, btn.id, npl.id]);
    assert_eq!(ids(CaseFilter { country: Some("lao".into()), ..Default::default() }), [lao.id]);
    assert_eq!(ids(CaseFilter { mdg: Some("8".into()), ..Default::default() }), [lao.id]);
    assert_eq!(ids(CaseFilter { mdg: Some("1.a".into()), ..Default::default() }), [btn.id]);
    assert_eq!(
        ids(CaseFilter { status: Some(CaseStatus::Queued), ..Default::default() }),
        [btn.id]
    );
    assert_eq!(
        ids(CaseFilter {
            status: Some(CaseStatus::Draft),
            country: Some("NPL".into()),
            ..Default::default()
        }),
        [npl.id]
    );
    let page = store.search("land", &CaseFilter { limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(page.len(), 2);
}

#[test]
fn whatever_the_user_types_is_searched_as_text() {
    let (_dir, store) = open();
    let case = store.create_case("Syntax", Some("KIR")).unwrap();
    store
        .set_field(
            case.id,
            CaseField::Summary,
            r#"near(AND) OR "quoted" col:x a*b ^start e-government 😀 <b>bold</b>"#,
        )
        .unwrap();
    for input in [
        "\"",
        "\"\"",
        "*",
        "NEAR(",
        "NEAR(a b",
        "AND OR",
        "AND",
        "OR",
        "NOT",
        "-",
        "--x",
        "col:",
        "summary:land",
        "^",
        "(",
        ")",
        "((a",
        "a)",
        "😀",
        "{text}:x",
        "'",
        "a\"b",
        "\u{FDD0}",
        "\u{0}",
        "  ",
        "",
        "政\"务",
        "ລ*",
        "*政务*",
        "NEAR(政务, 2)",
    ] {
        store.search(input, &CaseFilter::default()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    }
    let found = |q: &str| search(&store, q).len();
    assert_eq!(found("NEAR("), 1);
    assert_eq!(found("AND OR"), 1);
    assert_eq!(found("\"quoted\""), 1);
    assert_eq!(found("col:x"), 1);
    assert_eq!(found("a*b"), 1);
    assert_eq!(found("^start"), 1);
    assert_eq!(found("e-government"), 1);
    // Snippets carry the text, never markup.
    let hits = search(&store, "bold");
    assert_eq!(hit_text(&hits[0]), ["bold"]);
    assert!(hits[0].snippet.iter().any(|s| !s.hit && s.text.contains("<b>")));
}

#[test]
fn only_the_newest_version_of_a_case_is_found() {
    let (_dir, store) = open();
    let case = store.create_case("Kiribati e-Health", Some("KIR")).unwrap();
    for field in [CaseField::Summary, CaseField::Problem, CaseField::Solution, CaseField::Results] {
        store.set_field(case.id, field, "telemedicine for outer islands").unwrap();
    }
    store
        .link_goal(
            case.id,
            &LinkInput {
                framework: Framework::Mdg,
                target: "8.F".into(),
                indicator: None,
                note: "x".into(),
            },
        )
        .unwrap();
    store.set_status(case.id, CaseStatus::Queued).unwrap();
    store.record_submission(case.id, "sub-9").unwrap();
    assert_eq!(search(&store, "telemedicine")[0].case_id, case.id);

    let next = store.new_version(case.id).unwrap();
    let hits = search(&store, "telemedicine");
    assert!(hits.iter().all(|h| h.case_id == next.id), "{hits:?}");
    store.checkpoint(next.id, "as sent").unwrap();
    store.set_field(next.id, CaseField::Summary, "satellite clinics").unwrap();
    assert!(search(&store, "satellite").iter().all(|h| h.case_id == next.id));
    assert_eq!(search(&store, "telemedicine").len(), 3, "problem, solution, results");

    // Restoring a revision brings its words back into the index.
    let sent =
        store.revisions(next.id).unwrap().into_iter().find(|r| r.label == "as sent").unwrap();
    store.restore_revision(next.id, sent.id).unwrap();
    assert_eq!(search(&store, "telemedicine").len(), 4);
    assert!(search(&store, "satellite").is_empty());
}

#[test]
fn fields_written_before_search_existed_are_found() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("paks-desk.sqlite3")).unwrap();
        conn.execute_batch(include_str!("../migrations/0001_initial.sql")).unwrap();
        conn.execute_batch(
            "INSERT INTO cases (uid, title, country, summary, created_at, updated_at)
             VALUES ('u1', 'Old case', 'THA', 'ระบบรัฐบาล old portal', 1, 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(search(&store, "portal").len(), 1);
    assert_eq!(search(&store, "รัฐบาล").len(), 1);
    assert_eq!(search(&store, "ระบ").len(), 1);
    assert_eq!(search(&store, "บาล").len(), 1);
    assert_eq!(search(&store, "ระ").len(), 1, "two characters go through the bigrams");
}

/// A file of `pages` pages, each holding `text` (page `dense` says it three times, briefly).
fn attach_pages(store: &Store, case_id: i64, dir: &Path, pages: u32, dense: u32) {
    use desk_extract::{DocKind, Extraction, Outcome, TextUnit};
    let path = dir.join(format!("report-{case_id}.pdf"));
    std::fs::write(&path, format!("%PDF-1.4 report of case {case_id}")).unwrap();
    let sha = store.import_attachment(case_id, &path).unwrap().attachment.sha256;
    let units: Vec<TextUnit> = (1..=pages)
        .map(|number| TextUnit {
            number,
            label: "page".into(),
            text: if number == dense {
                "government government government".into()
            } else {
                format!("page {number} of a long report on the work of local government offices")
            },
            notes: None,
        })
        .collect();
    let mut extraction = Extraction::without_text(
        DocKind::Pdf,
        "test",
        Outcome::Indexed { pages, chars: 0, unit: "page".into() },
    );
    extraction.units = units;
    store.record_extraction(&sha, &extraction).unwrap();
}

#[test]
fn a_word_on_most_pages_is_ranked_pages_through_and_filters_still_find_old_cases() {
    let (dir, store) = open();
    // The oldest text of all: a Kiribati case that says "government" once.
    let kiribati = store.create_case("Outer-island services", Some("KIR")).unwrap();
    store
        .set_field(kiribati.id, CaseField::Summary, "The government reaches outer islands.")
        .unwrap();
    attach_pages(&store, kiribati.id, dir.path(), 1, 1);
    // Then many more matching rows than are ranked at once.
    let lao = store.create_case("Lao district offices", Some("LAO")).unwrap();
    attach_pages(&store, lao.id, dir.path(), 6_000, 5_990);

    let first = store.search("government", &CaseFilter::default()).unwrap();
    assert_eq!(first.len(), 50);
    match &first[0].place {
        HitPlace::File { unit, .. } => assert_eq!(*unit, 5_990, "the densest page ranks first"),
        other => panic!("{other:?}"),
    }
    let next_page = CaseFilter { offset: Some(50), ..CaseFilter::default() };
    let second = store.search("government", &next_page).unwrap();
    assert_eq!(second.len(), 50);
    let places =
        |hits: &[SearchHit]| -> Vec<String> { hits.iter().map(|h| h.place.describe()).collect() };
    let both = CaseFilter { limit: Some(100), ..CaseFilter::default() };
    let all = store.search("government", &both).unwrap();
    assert_eq!([places(&first), places(&second)].concat(), places(&all), "pages follow on");
    assert!(all.windows(2).all(|w| w[0].score <= w[1].score), "in rank order");

    let kir = CaseFilter { country: Some("KIR".into()), ..CaseFilter::default() };
    let found = store.search("government", &kir).unwrap();
    assert_eq!(
        places(&found),
        [format!("report-{}.pdf, page 1", kiribati.id), "Summary".into()],
        "a filter finds a case's field and file page older than the ranked window"
    );
    assert!(found.iter().all(|h| h.case_id == kiribati.id));
}

/// The distinct cases a filtered search for `query` finds.
fn cases_found(store: &Store, query: &str, filter: CaseFilter) -> Vec<i64> {
    let mut ids: Vec<i64> =
        store.search(query, &filter).unwrap().iter().map(|h| h.case_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

fn by_country(country: &str) -> CaseFilter {
    CaseFilter { country: Some(country.into()), ..CaseFilter::default() }
}

fn by_mdg(target: &str) -> CaseFilter {
    CaseFilter { mdg: Some(target.into()), ..CaseFilter::default() }
}

fn by_status(status: CaseStatus) -> CaseFilter {
    CaseFilter { status: Some(status), ..CaseFilter::default() }
}

#[test]
fn filters_follow_a_case_through_its_country_links_status_files_and_versions() {
    let (dir, store) = open();
    let lao = store.create_case("Land registry", Some("LAO")).unwrap();
    let tha = store.create_case("Land titles", Some("THA")).unwrap();
    for id in [lao.id, tha.id] {
        store.set_field(id, CaseField::Summary, "government land ระบบรัฐบาล").unwrap();
    }
    attach_pages(&store, lao.id, dir.path(), 3, 2);
    let file_pages = |hits: Vec<SearchHit>| {
        hits.iter().filter(|h| matches!(h.place, HitPlace::File { .. })).count()
    };

    // Words and unspaced text (the trigram index), each narrowed by the filter.
    for query in ["government", "รัฐบาล"] {
        assert_eq!(cases_found(&store, query, by_country("LAO")), [lao.id], "{query}");
        assert_eq!(cases_found(&store, query, by_country("THA")), [tha.id], "{query}");
    }
    assert_eq!(file_pages(store.search("government", &by_country("LAO")).unwrap()), 3);

    // The country changes: its fields and its file's pages follow.
    store.set_field(lao.id, CaseField::Country, "KHM").unwrap();
    assert!(cases_found(&store, "government", by_country("LAO")).is_empty());
    assert_eq!(cases_found(&store, "government", by_country("KHM")), [lao.id]);
    assert_eq!(file_pages(store.search("government", &by_country("KHM")).unwrap()), 3);

    // Goal links, by goal and by target, added and removed.
    let link = |target: &str| LinkInput {
        framework: Framework::Mdg,
        target: target.into(),
        indicator: None,
        note: "ICT access".into(),
    };
    store.link_goal(lao.id, &link("8.F")).unwrap();
    assert_eq!(cases_found(&store, "government", by_mdg("8")), [lao.id]);
    assert_eq!(cases_found(&store, "government", by_mdg("8.f")), [lao.id]);
    assert_eq!(file_pages(store.search("government", &by_mdg("8.F")).unwrap()), 3);
    assert!(cases_found(&store, "government", by_mdg("1")).is_empty());
    store.link_goal(tha.id, &link("1.A")).unwrap();
    store.unlink_goal(tha.id, Framework::Mdg, "1.A", None).unwrap();
    assert!(cases_found(&store, "government", by_mdg("1")).is_empty());

    // The status changes.
    for field in [CaseField::Problem, CaseField::Solution, CaseField::Results] {
        store.set_field(lao.id, field, "records").unwrap();
    }
    assert_eq!(cases_found(&store, "government", by_status(CaseStatus::Draft)), [lao.id, tha.id]);
    store.set_status(lao.id, CaseStatus::Queued).unwrap();
    assert_eq!(cases_found(&store, "government", by_status(CaseStatus::Draft)), [tha.id]);
    assert_eq!(cases_found(&store, "government", by_status(CaseStatus::Queued)), [lao.id]);
    assert_eq!(file_pages(store.search("government", &by_status(CaseStatus::Queued)).unwrap()), 3);

    // The same file in another case carries that case's filters too; detached, no longer.
    let sha = store.attachments(lao.id).unwrap()[0].sha256.clone();
    let path = dir.path().join(format!("report-{}.pdf", lao.id));
    store.import_attachment(tha.id, &path).unwrap();
    assert_eq!(file_pages(store.search("government", &by_country("THA")).unwrap()), 3);
    store.detach(tha.id, &sha).unwrap();
    assert_eq!(file_pages(store.search("government", &by_country("THA")).unwrap()), 0);

    // A new version: only it is found, with its file.
    store.record_submission(lao.id, "sub-1").unwrap();
    let next = store.new_version(lao.id).unwrap();
    assert_eq!(cases_found(&store, "government", by_country("KHM")), [next.id]);
    assert_eq!(file_pages(store.search("government", &by_country("KHM")).unwrap()), 3);
    assert_eq!(cases_found(&store, "government", by_status(CaseStatus::Draft)), [tha.id, next.id]);
}

#[test]
fn a_store_from_before_filter_tokens_is_filtered_and_its_capped_files_read_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("paks-desk.sqlite3")).unwrap();
        for sql in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_attachments_search.sql"),
            include_str!("../migrations/0003_rejected_status.sql"),
            include_str!("../migrations/0004_library.sql"),
            include_str!("../migrations/0005_page_readings.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        let sha = "a".repeat(64);
        let (capped, unreadable) = ("b".repeat(64), "c".repeat(64));
        conn.execute_batch(&format!(
            "INSERT INTO cases (id, uid, version, title, country, status, created_at, updated_at)
             VALUES (1, 'u1', 1, 'Lao portal', 'LAO', 'submitted', 1, 1),
                    (2, 'u2', 1, 'Thai portal', 'THA', 'draft', 1, 1),
                    (3, 'u1', 2, 'Lao portal', 'LAO', 'draft', 2, 2);
             INSERT INTO goal_links (case_id, framework, target, note, created_at)
             VALUES (3, 'mdg', '8.F', 'x', 1);
             INSERT INTO search_text (case_id, field, text, grams) VALUES
                 (1, 'summary', 'portal of the old version', ''),
                 (2, 'summary', 'portal ระบบรัฐบาล', 'ระ ะบ บบ บร รั ัฐ ฐบ บา าล ล'),
                 (3, 'summary', 'portal ระบบรัฐบาล', 'ระ ะบ บบ บร รั ัฐ ฐบ บา าล ล');
             INSERT INTO blobs (sha256, size, kind, created_at, index_status)
             VALUES ('{sha}', 1, 'pdf', 1, 'indexed');
             INSERT INTO attachments (case_id, sha256, name, created_at)
             VALUES (1, '{sha}', 'plan.pdf', 1), (3, '{sha}', 'plan.pdf', 1);
             INSERT INTO search_text (sha256, unit, unit_label, text, grams)
             VALUES ('{sha}', 1, 'page', 'the portal plan', '');
             INSERT INTO blobs (sha256, size, kind, created_at, index_status, index_message)
             VALUES ('{capped}', 1, 'pdf', 1, 'partly_indexed',
                     'Partly indexed: 900 pages read, 500,000 characters. Only the first 500,000 characters are searchable.'),
                    ('{unreadable}', 1, 'pdf', 1, 'partly_indexed',
                     'Partly indexed: 9 pages read, 4,000 characters. Could not read page 3.');
             INSERT INTO library_cases (id, case_uid, submission_id, version, country, language,
                 title, summary, published_at, html_url, document, changed_at, stored_at)
             VALUES (1, 'l1', 's1', 1, 'NPL', 'en', 'Nagarik', '', '', '', '{{}}', '', 1);
             INSERT INTO library_goal_links VALUES (1, 'sdg', '16.6');
             INSERT INTO library_text (library_case_id, field, text, grams)
             VALUES (1, 'summary', 'one portal for citizens', '');
             PRAGMA user_version = 5;"
        ))
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.pending_index().unwrap(),
        ["b".repeat(64)],
        "a file cut at the old cap is read again, one with unreadable pages is not"
    );
    assert_eq!(cases_found(&store, "portal", CaseFilter::default()), [2, 3]);
    assert_eq!(cases_found(&store, "portal", by_country("LAO")), [3], "not the old version");
    assert_eq!(cases_found(&store, "รัฐบาล", by_country("THA")), [2]);
    assert_eq!(cases_found(&store, "portal", by_mdg("8")), [3]);
    assert_eq!(cases_found(&store, "portal", by_status(CaseStatus::Draft)), [2, 3]);
    assert!(cases_found(&store, "portal", by_status(CaseStatus::Submitted)).is_empty());
    let plan = store.search("plan", &by_country("LAO")).unwrap();
    assert_eq!(
        plan.iter().map(|h| (h.case_id, h.place.describe())).collect::<Vec<_>>(),
        [(3, "plan.pdf, page 1".to_owned())]
    );

    let library = |filter: desk_core::LibraryFilter| -> usize {
        store.search_library("portal", &filter).unwrap().len()
    };
    let sdg = |t: &str| desk_core::LibraryFilter { sdg: Some(t.into()), ..Default::default() };
    assert_eq!(library(desk_core::LibraryFilter::default()), 1);
    assert_eq!(library(sdg("16")), 1);
    assert_eq!(library(sdg("16.6")), 1);
    assert_eq!(library(sdg("16.1")), 0);
    assert_eq!(
        library(desk_core::LibraryFilter { country: Some("npl".into()), ..Default::default() }),
        1
    );

    // The rebuilt word index agrees with its rows.
    let conn = rusqlite::Connection::open(dir.path().join("paks-desk.sqlite3")).unwrap();
    for table in ["search_words", "library_words"] {
        conn.execute(
            &format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"),
            [],
        )
        .unwrap();
    }
}

#[test]
fn text_beyond_half_a_million_characters_is_found() {
    let (dir, store) = open();
    let case = store.create_case("National ICT master plan", Some("NPL")).unwrap();
    let deck = dir.path().join("master plan.pptx");
    let filler = "district broadband access for every village office ".repeat(40);
    let mut slides: Vec<String> = (0..300).map(|_| filler.clone()).collect();
    slides[299] = "Annex: the Karnali telecentre budget".into();
    write_deck(&deck, &slides.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(filler.chars().count() * 299 > 500_000, "the annex lies past the old cap");
    attach(&store, case.id, &deck);

    let hits = search(&store, "telecentre");
    assert_eq!(
        hits.iter().map(|h| h.place.describe()).collect::<Vec<_>>(),
        ["master plan.pptx, slide 300"]
    );
    let attached = &store.attachments(case.id).unwrap()[0];
    assert_eq!(
        attached.index_status,
        desk_core::IndexStatus::Indexed,
        "{}",
        attached.index_message
    );
}
