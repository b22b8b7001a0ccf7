//! `paks-desk-cli export`: a draft case as PDF and Word, read back with `pdftotext` and the
//! document's own XML.

mod common;

use std::path::Path;
use std::process::Command;

use common::{cli, ok};

const LAO_TITLE: &str = "ລັດຖະບານເອເລັກໂຕຣນິກ ແຂວງຫຼວງພະບາງ";
const KHMER_SUMMARY: &str = "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់សម្រេចគោលដៅអភិវឌ្ឍន៍សហស្សវត្សរ៍";

fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("timeout")
        .args(["60", "pdftotext", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    squeezed(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn a_draft_case_is_exported_as_pdf_and_word_with_its_scripts_and_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Souk",
            "--institution",
            "MPT",
            "--email",
            "souk@mpt.gov.la",
            "--country",
            "LAO",
        ],
    );
    let id = ok(data, &["case", "new", "--title", LAO_TITLE, "--country", "LAO"]).trim().to_owned();
    ok(data, &["case", "set", &id, "summary", KHMER_SUMMARY]);
    ok(
        data,
        &["case", "link", &id, "--mdg", "8.F", "--indicator", "8.16", "--note", "Internet users"],
    );
    let plan = data.join("plan.txt");
    std::fs::write(&plan, "the provincial plan").expect("written");
    ok(data, &["attach", &id, plan.to_str().expect("path")]);

    let pdf = data.join("case.pdf");
    let printed = ok(data, &["export", &id, pdf.to_str().expect("path")]);
    assert!(printed.contains("case.pdf"), "{printed}");
    let text = pdf_text(&pdf);
    for wanted in
        [LAO_TITLE, KHMER_SUMMARY, "8.F (indicator 8.16)", "Internet users", "plan.txt", "Souk"]
    {
        assert!(text.contains(&squeezed(wanted)), "{wanted:?} missing from {text}");
    }

    let docx = data.join("case.docx");
    ok(data, &["export", &id, docx.to_str().expect("path")]);
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(&docx).expect("open")).expect("a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("UTF-8");
    assert!(xml.contains(LAO_TITLE) && xml.contains(KHMER_SUMMARY), "{xml}");
    assert!(xml.contains(r#"w:cs="Khmer UI""#), "the Khmer run names no complex-script font");

    let refused = cli(data, &["export", &id, data.join("case.txt").to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("neither a .pdf nor a .docx"));
}
