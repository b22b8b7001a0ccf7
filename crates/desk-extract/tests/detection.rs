//! Types recognised from content, and said when the name disagrees.

mod common;

use common::{fixture, write_ole};
use desk_extract::{DocKind, Limits, Outcome, detect, extract_in_process};

#[test]
fn kinds_from_content() {
    for (name, kind) in [
        ("order_notes_scripts.pptx", DocKind::Pptx),
        ("three_pages.pdf", DocKind::Pdf),
        ("two_pages.docx", DocKind::Docx),
        ("two_pages.doc", DocKind::Doc),
        ("two_sheets.xlsx", DocKind::Xlsx),
        ("deck.odp", DocKind::Odp),
        ("two_pages.odt", DocKind::Odt),
        ("encrypted.docx", DocKind::EncryptedOoxml),
    ] {
        let d = detect(&fixture(name)).unwrap();
        assert_eq!(d.kind, kind, "{name}");
        assert!(d.from_content, "{name}");
        assert_eq!(d.extension_disagrees, None, "{name}");
    }
}

#[test]
fn ole2_containers_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (streams, kind) in [
        (&["PowerPoint Document", "Current User"][..], DocKind::Ppt),
        (&["WordDocument", "1Table"][..], DocKind::Doc),
        (&["Workbook"][..], DocKind::Xls),
        (&["EncryptionInfo", "EncryptedPackage"][..], DocKind::EncryptedOoxml),
        (&["__substg1.0_0037001F"][..], DocKind::OtherOle2),
    ] {
        let path = dir.path().join("file.bin");
        write_ole(&path, streams);
        assert_eq!(detect(&path).unwrap().kind, kind, "{streams:?}");
    }
}

#[test]
fn encrypted_ooxml_is_password_protected() {
    let e = extract_in_process(&fixture("encrypted.docx"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::EncryptedOoxml);
    assert_eq!(e.outcome, Outcome::PasswordProtected);
}

#[test]
fn extension_that_disagrees_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let pdf_as_pptx = dir.path().join("slides.PPTX");
    std::fs::copy(fixture("three_pages.pdf"), &pdf_as_pptx).unwrap();
    let d = detect(&pdf_as_pptx).unwrap();
    assert_eq!(d.kind, DocKind::Pdf);
    assert_eq!(
        d.extension_disagrees.as_deref(),
        Some("The name ends in .pptx but the content is a PDF document.")
    );
    // The content wins: it is read as the PDF it is.
    let e = extract_in_process(&pdf_as_pptx, &Limits::default()).unwrap();
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }));
    assert!(e.extension_disagrees.is_some());

    let text_as_pdf = dir.path().join("notes.pdf");
    std::fs::write(&text_as_pdf, "just some text").unwrap();
    let d = detect(&text_as_pdf).unwrap();
    assert_eq!(d.kind, DocKind::Other);
    assert!(d.extension_disagrees.unwrap().contains("not a PDF document"));

    let docx_as_doc = dir.path().join("report.doc");
    std::fs::copy(fixture("two_pages.docx"), &docx_as_doc).unwrap();
    let d = detect(&docx_as_doc).unwrap();
    assert_eq!(d.kind, DocKind::Docx);
    assert!(d.extension_disagrees.unwrap().contains("Word document (.docx)"));
}

#[test]
fn pictures_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let no_ocr = Limits { ocr_languages: String::new(), ..Limits::default() };
    let e = extract_in_process(&png, &no_ocr).unwrap();
    assert_eq!(e.kind, DocKind::Png);
    assert!(matches!(e.outcome, Outcome::NoTextLayer { .. }));

    let jpg = dir.path().join("photo.jpeg");
    std::fs::write(&jpg, b"\xff\xd8\xff\xe0\0\x10JFIF").unwrap();
    assert_eq!(detect(&jpg).unwrap().kind, DocKind::Jpeg);

    let other = dir.path().join("data.csv");
    std::fs::write(&other, "a,b\n1,2\n").unwrap();
    let e = extract_in_process(&other, &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Other);
    assert!(matches!(e.outcome, Outcome::NotSupported { .. }));
    assert_eq!(e.extension_disagrees, None);
}

#[test]
fn damaged_zip_named_pptx_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pptx");
    let bytes = std::fs::read(fixture("order_notes_scripts.pptx")).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let d = detect(&path).unwrap();
    assert_eq!(d.kind, DocKind::Pptx);
    assert!(!d.from_content);
    let e = extract_in_process(&path, &Limits::default()).unwrap();
    assert!(matches!(e.outcome, Outcome::Damaged { .. }), "{:?}", e.outcome);
}

#[test]
fn outcome_json_round_trip() {
    let e = extract_in_process(&fixture("three_pages.pdf"), &Limits::default()).unwrap();
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["outcome"]["status"], "indexed");
    assert_eq!(json["kind"], "pdf");
    let back: desk_extract::Extraction = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);
}
