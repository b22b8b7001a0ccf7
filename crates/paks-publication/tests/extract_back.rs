//! Every script comes back out of the written documents: text extracted with `pdftotext` and
//! LibreOffice's converter holds each case's text exactly, no character missing or doubled.

mod common;

use common::*;
use paks_publication::read_back::{assert_contains_each, visible};
use paks_publication::{FontSet, Format, Proceedings, case_document, proceedings_document};

fn every_script() -> Vec<&'static str> {
    vec![LAO, KHMER, THAI, MYANMAR, DEVANAGARI, RUSSIAN, CHINESE, MARKUP]
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

#[test]
fn a_case_pdf_holds_every_script_exactly() {
    let fonts = FontSet::with_system_cjk();
    assert!(fonts.has_cjk(), "no CJK font: install fonts-noto-cjk (scripts/setup-debian.sh)");
    let case = case(LAO, "LAO", "lo", &every_script());
    let written = case_document(&case, Format::Pdf, &fonts).expect("typeset");
    assert!(written.characters_without_font.is_empty(), "{:?}", written.characters_without_font);
    let dir = tempfile::tempdir().expect("temp dir");
    let text = pdf_text(&write(&dir, "case.pdf", &written.bytes));
    let mut expected = every_script();
    expected.extend(["Millennium Development Goal targets", "8.F (indicator 8.16)", "16.6"]);
    expected.extend(["Summary", "Lessons learned", "ແຜນງານ-plan.pdf", "48213 bytes"]);
    assert_contains_each(&text, &expected);
}

#[test]
fn a_case_docx_holds_every_script_exactly() {
    let case = case(KHMER, "KHM", "km", &every_script());
    let written = case_document(&case, Format::Docx, &FontSet::bundled_only()).expect("written");
    let dir = tempfile::tempdir().expect("temp dir");
    let text = docx_text(&write(&dir, "case.docx", &written.bytes));
    let mut expected = every_script();
    expected.extend([KHMER, "Sustainable Development Goal targets", "Summary", "ແຜນງານ-plan.pdf"]);
    assert_contains_each(&text, &expected);
}

fn three_cases() -> Proceedings {
    Proceedings {
        event: "Special Workshop on ICT Access and e-Government for Achieving the MDGs, Seoul, 18 June 2010".to_owned(),
        built_on: "3 December 2026".to_owned(),
        cases: vec![
            case("Lao e-government", "LAO", "lo", &[LAO, THAI]),
            case("Khmer e-services", "KHM", "km", &[KHMER, MYANMAR]),
            case("Портал госуслуг", "RUS", "ru", &[RUSSIAN, DEVANAGARI, CHINESE]),
        ],
    }
}

const THREE_CASES_SCRIPTS: [&str; 7] = [LAO, KHMER, THAI, MYANMAR, RUSSIAN, DEVANAGARI, CHINESE];

/// The proceedings of `three_cases` written as `format` and their text read back.
fn proceedings_text(format: Format) -> String {
    let written =
        proceedings_document(&three_cases(), format, &FontSet::with_system_cjk()).expect("written");
    let dir = tempfile::tempdir().expect("temp dir");
    match format {
        Format::Pdf => pdf_text(&write(&dir, "proceedings.pdf", &written.bytes)),
        Format::Docx => docx_text(&write(&dir, "proceedings.docx", &written.bytes)),
    }
}

#[test]
fn the_proceedings_pdf_has_its_parts_and_every_case_in_order() {
    let text = proceedings_text(Format::Pdf);
    assert_contains_each(&text, &[&three_cases().event, "Contents", "Overview"]);
    assert_contains_each(&text, &THREE_CASES_SCRIPTS);
    // Title page, contents, overview, then the chapters in order, then the indexes.
    let flat = visible(&text);
    let at = |s: &str| flat.find(&visible(s)).unwrap_or_else(|| panic!("{s:?} missing"));
    let chapter = |title: &str| flat.rfind(&format!("{}Country", visible(title)));
    let order = [
        at("Proceedings"),
        at("Contents"),
        at("CountryTitleMDGtargets"),
        chapter("Lao e-government").expect("the Lao chapter"),
        chapter("Khmer e-services").expect("the Khmer chapter"),
        chapter("Портал госуслуг").expect("the Russian chapter"),
        at("IndexbyMDGtarget2.A"),
        at("IndexbySDGtarget16.6"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "parts out of order: {order:?}\n{text}");
    // Each index entry gives the page of the case's chapter.
    let page_of = |title: &str| {
        let pages: Vec<&str> = text.split('\u{c}').collect();
        pages
            .iter()
            .position(|p| visible(p).contains(&format!("{}Country", visible(title))))
            .map(|i| i + 1)
            .expect("chapter page")
    };
    let lao_page = page_of("Lao e-government");
    let index_entry = format!("Laoe-government(LAO),page{lao_page}");
    assert!(
        flat[at("IndexbyMDGtarget2.A")..].contains(&index_entry),
        "the index does not give the Lao chapter's page ({index_entry}): {}",
        &flat[at("IndexbyMDGtarget2.A")..]
    );
}

#[test]
fn the_proceedings_docx_has_its_parts_and_every_case() {
    let text = proceedings_text(Format::Docx);
    assert_contains_each(
        &text,
        &[
            &three_cases().event,
            "Contents",
            "Overview",
            "Index by MDG target",
            "Index by SDG target",
            "Lao e-government (LAO)",
        ],
    );
    assert_contains_each(&text, &THREE_CASES_SCRIPTS);
}

#[test]
fn a_doubled_or_missing_character_is_caught() {
    let fonts = FontSet::bundled_only();
    let written = case_document(&case("t", "LAO", "lo", &[LAO, KHMER]), Format::Pdf, &fonts)
        .expect("typeset");
    let dir = tempfile::tempdir().expect("temp dir");
    let text = pdf_text(&write(&dir, "case.pdf", &written.bytes));
    let doubled = KHMER.replacen("ដ្ឋា", "ដ្ឋ្ឋា", 1);
    let missing = LAO.replacen("ລັດ", "ລດ", 1);
    for wrong in [doubled, missing] {
        let caught = std::panic::catch_unwind(|| assert_contains_each(&text, &[&wrong]));
        assert!(caught.is_err(), "{wrong:?} passed for the case's text");
    }
}
