#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! `paks-desk-cli export`: a case in Lao and Khmer as PDF and Word, read back with `pdftotext`
//! and LibreOffice character for character; a sent case with PAKS's receipt; and the refusals
//! (an unknown case, an unknown kind of document, a place that cannot be written), which leave
//! nothing behind.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{cli, ok, ok_without_keyring};
use paks_publication::read_back::{assert_contains_each, docx_text, first_missing, pdf_text};

const LAO_TITLE: &str = "ລັດຖະບານເອເລັກໂຕຣນິກ ແຂວງຫຼວງພະບາງ";
const LAO_PROBLEM: &str = "ການພັດທະນາລັດຖະບານເອເລັກໂຕຣນິກ ເພື່ອບັນລຸເປົ້າໝາຍການພັດທະນາແຫ່ງສະຫັດສະວັດ";
const KHMER_SUMMARY: &str = "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់សម្រេចគោលដៅអភិវឌ្ឍន៍សហស្សវត្សរ៍ នៅខេត្តសៀមរាប";
const LAO_NOTE: &str = "ຜູ້ໃຊ້ອິນເຕີເນັດ ຕໍ່ 100 ຄົນ";
const KHMER_SDG_NOTE: &str = "សេវាសាធារណៈតាមអ៊ីនធឺណិត";
const ATTACHED: &str = "ແຜນງານ-plan.txt";

fn profile(data: &Path) {
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Souk Phommachanh",
            "--institution",
            "Ministry of Technology and Communications",
            "--email",
            "souk@mtc.gov.la",
            "--country",
            "LAO",
        ],
    );
}

/// A draft with a Lao title, Lao and Khmer sections, goal links with notes and an attached file.
fn lao_and_khmer_case(data: &Path) -> String {
    profile(data);
    let id = ok(data, &["case", "new", "--title", LAO_TITLE, "--country", "LAO"]).trim().to_owned();
    ok(data, &["case", "set", &id, "summary", KHMER_SUMMARY]);
    ok(data, &["case", "set", &id, "problem", LAO_PROBLEM]);
    ok(data, &["case", "set", &id, "lessons_learned", "Train the district staff first."]);
    ok(data, &["case", "link", &id, "--mdg", "8.F", "--indicator", "8.16", "--note", LAO_NOTE]);
    ok(data, &["case", "link", &id, "--sdg", "16.6", "--note", KHMER_SDG_NOTE]);
    let plan = data.join(ATTACHED);
    std::fs::write(&plan, "the provincial plan").unwrap();
    ok(data, &["attach", &id, plan.to_str().unwrap()]);
    id
}

fn export(data: &Path, id: &str, out: &Path) -> String {
    ok(data, &["export", id, out.to_str().unwrap()])
}

/// What each document must show of `lao_and_khmer_case`, character for character.
const EXPECTED: [&str; 14] = [
    LAO_TITLE,
    "LAO",
    KHMER_SUMMARY,
    LAO_PROBLEM,
    "Train the district staff first.",
    "Summary",
    "Lessons learned",
    "Millennium Development Goal targets",
    "8.F",
    LAO_NOTE,
    "16.6",
    KHMER_SDG_NOTE,
    ATTACHED,
    "Souk Phommachanh",
];

#[test]
fn a_lao_and_khmer_case_comes_back_out_of_its_pdf_and_word_document_character_for_character() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = lao_and_khmer_case(data);

    let pdf = data.join("case.pdf");
    let printed = export(data, &id, &pdf);
    assert!(printed.contains("case.pdf") && printed.contains("bytes"), "{printed}");
    let text = pdf_text(&pdf).unwrap();
    assert_contains_each(&text, &EXPECTED);
    assert_contains_each(&text, &["8.F (indicator 8.16)", "19 bytes"]);
    // The comparison sees one doubled or dropped mark in text that is otherwise all there.
    let doubled = KHMER_SUMMARY.replacen("ដ្ឋា", "ដ្ឋ្ឋា", 1);
    let dropped = LAO_TITLE.replacen("ລັດ", "ລດ", 1);
    assert_eq!(first_missing(&text, &[&doubled]), Some(doubled.as_str()));
    assert_eq!(first_missing(&text, &[&dropped]), Some(dropped.as_str()));

    // LibreOffice writes its text beside the document: a folder of its own.
    let word_dir = data.join("word");
    std::fs::create_dir(&word_dir).unwrap();
    let docx = word_dir.join("case.docx");
    export(data, &id, &docx);
    assert_contains_each(&docx_text(&docx).unwrap(), &EXPECTED);

    let xml = document_xml(&docx);
    assert!(xml.contains(r#"w:cs="Khmer UI""#), "the Khmer run names no complex-script font");
    assert!(xml.contains(r#"w:cs="Leelawadee UI""#), "the Lao run names no complex-script font");
}

fn document_xml(docx: &Path) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(docx).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    xml
}

fn entries(folder: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names
}

fn refused(data: &Path, args: &[&str]) -> String {
    let out = cli(data, args);
    assert_eq!(out.status.code(), Some(2), "{args:?} was not refused");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unknown_case_kind_or_place_is_refused_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = lao_and_khmer_case(data);
    let out_dir = data.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let in_out = |name: &str| out_dir.join(name).to_str().unwrap().to_owned();

    let said = refused(data, &["export", "999", &in_out("case.pdf")]);
    assert!(said.contains("Case 999 does not exist"), "{said}");

    let said = refused(data, &["export", &id, &in_out("case.txt")]);
    assert!(said.contains("neither a .pdf nor a .docx"), "{said}");

    // A "folder" that is a file: nothing can be created in it.
    let said =
        refused(data, &["export", &id, &data.join(ATTACHED).join("case.pdf").to_string_lossy()]);
    assert!(said.contains("could not be saved as") && said.contains("Choose a folder"), "{said}");

    // The name is taken by a folder: the document is typeset and written, then cannot take the
    // name; the partial file is gone and the folder is as it was.
    let taken = out_dir.join("taken.docx");
    std::fs::create_dir(&taken).unwrap();
    std::fs::write(taken.join("keep.txt"), "mine").unwrap();
    let said = refused(data, &["export", &id, &in_out("taken.docx")]);
    assert!(said.contains("could not be saved as") && said.contains("taken.docx"), "{said}");
    assert_eq!(entries(&out_dir), std::slice::from_ref(&taken), "something was left in the folder");
    assert_eq!(entries(&taken), [taken.join("keep.txt")]);

    // Replacing an earlier document goes through, and only the new one is there.
    let pdf = out_dir.join("case.pdf");
    std::fs::write(&pdf, "an older export").unwrap();
    export(data, &id, &pdf);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    assert_eq!(entries(&out_dir), [pdf, taken]);
}

/// A case sent to a real paks-server prints as frozen in the outbox, with PAKS's receipt.
#[test]
fn a_sent_case_is_printed_with_the_receipt_paks_signed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server_dir = tempfile::tempdir().unwrap();
    let config = paks_server::Config::new(server_dir.path());
    let state: paks_server::http::SharedState = Arc::new(paks_server::open_state(config).unwrap());
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(paks_server::serve_state(listener, state.clone(), std::future::pending()));
    let (_, token) = paks_server::operator::add_focal_point(
        &*state.meta,
        "LAO",
        "Souk",
        "souk@mtc.gov.la",
        Some(30),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = lao_and_khmer_case(data);
    for (field, value) in [("solution", "A portal."), ("results", "Shorter queues.")] {
        ok(data, &["case", "set", &id, field, value]);
    }
    ok_without_keyring(data, &["connect", &url, "--token", &token]);
    ok_without_keyring(data, &["submit", &id]);
    ok_without_keyring(data, &["sync", "--until-idle"]);
    let status: serde_json::Value =
        serde_json::from_str(&ok_without_keyring(data, &["status", &id, "--json"])).unwrap();
    let receipt = &status["receipt"];
    let submission = receipt["submission_id"].as_str().unwrap();

    let pdf = data.join("sent.pdf");
    export(data, &id, &pdf);
    let text = pdf_text(&pdf).unwrap();
    assert_contains_each(&text, &EXPECTED);
    assert_contains_each(&text, &["Received by", submission, receipt["key_id"].as_str().unwrap()]);

    let draft = tempfile::tempdir().unwrap();
    let unsent = lao_and_khmer_case(draft.path());
    let pdf = draft.path().join("draft.pdf");
    export(draft.path(), &unsent, &pdf);
    let text = pdf_text(&pdf).unwrap();
    assert_eq!(
        first_missing(&text, &["Received by"]),
        Some("Received by"),
        "a draft has no receipt"
    );
}
