//! Text of real documents, read in-process.

mod common;

use common::{fixture, minimal_pptx, write_zip};
use desk_extract::{DocKind, Limits, Outcome, extract_in_process};

#[test]
fn pptx_slides_follow_presentation_order_with_notes_as_python_pptx_reads_them() {
    let e = extract_in_process(&fixture("order_notes_scripts.pptx"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Pptx);
    assert_eq!(e.engine, "ooxml");
    let expected: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(fixture("order_notes_scripts.pptx.expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(e.units.len(), 3);
    for (i, (unit, want)) in e.units.iter().zip(&expected).enumerate() {
        assert_eq!(unit.number, i as u32 + 1);
        assert_eq!(unit.label, "slide");
        assert_eq!(unit.text, want["text"].as_str().unwrap(), "slide {}", i + 1);
        assert_eq!(unit.notes.as_deref(), want["notes"].as_str(), "notes of slide {}", i + 1);
    }
    // Zip order is Alpha, Beta, Gamma; presentation.xml puts Gamma first.
    assert!(e.units[0].text.starts_with("Gamma slide"));
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);
}

#[test]
fn a_deck_too_large_to_read_whole_reads_the_same_from_disk() {
    let slide = r#"<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Water for Kiribati</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#;
    let small = minimal_pptx(&[slide]);
    // Hex of a pseudo-random sequence deflates to about half: a 12 MB part makes a ~6 MB file,
    // over the 4 MiB up to which a file is read into memory before unzipping.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: String = (0..(12 << 20) / 16)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("{state:016x}")
        })
        .collect();
    let mut large = small.clone();
    large.push(("ppt/media/recording.txt".to_string(), noise));
    let dir = tempfile::tempdir().unwrap();
    let (small_path, large_path) = (dir.path().join("small.pptx"), dir.path().join("large.pptx"));
    write_zip(&small_path, &small);
    write_zip(&large_path, &large);
    assert!(std::fs::metadata(&small_path).unwrap().len() < 4 << 20);
    assert!(std::fs::metadata(&large_path).unwrap().len() > 4 << 20);

    let from_memory = extract_in_process(&small_path, &Limits::default()).unwrap();
    let from_disk = extract_in_process(&large_path, &Limits::default()).unwrap();
    assert_eq!(from_disk.kind, DocKind::Pptx);
    assert_eq!(from_disk.units.len(), 1);
    assert_eq!(from_disk.units[0].text, "Water for Kiribati");
    assert_eq!(from_disk.units[0].text, from_memory.units[0].text);
    assert!(
        matches!(from_disk.outcome, Outcome::Indexed { pages: 1, .. }),
        "{:?}",
        from_disk.outcome
    );
}

#[test]
fn pptx_line_break_is_a_newline_and_scripts_arrive_intact() {
    let e = extract_in_process(&fixture("order_notes_scripts.pptx"), &Limits::default()).unwrap();
    assert!(e.units[1].text.contains("First point\nsecond line of first point"));
    let beta = &e.units[2].text;
    assert!(beta.contains("ภาษาไทย สวัสดีครับ"), "{beta}");
    assert!(beta.contains("ພາສາລາວ ສະບາຍດີ"), "{beta}");
    assert!(beta.contains("中文 你好世界"), "{beta}");
    assert!(e.units[0].text.contains("Budget 2024 & outlook <draft>"));
}

#[test]
fn line_break_as_start_tag_and_as_empty_tag() {
    // `<a:br>` with run properties inside is a start tag; without, an empty one.
    let body = r#"<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:txBody>
        <a:p><a:r><a:t>one</a:t></a:r><a:br><a:rPr lang="en"/></a:br><a:r><a:t>two</a:t></a:r><a:br/><a:r><a:t>three</a:t></a:r></a:p>
        </p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("br.pptx");
    write_zip(&path, &minimal_pptx(&[body]));
    let e = extract_in_process(&path, &Limits::default()).unwrap();
    assert_eq!(e.units[0].text, "one\ntwo\nthree");
}

#[test]
fn zip_bomb_is_refused_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.pptx");
    let huge = " ".repeat(8 << 20);
    let slide = format!(r#"<p:sld xmlns:p="p" xmlns:a="a">{huge}</p:sld>"#);
    write_zip(&path, &minimal_pptx(&[&slide]));
    assert!(std::fs::metadata(&path).unwrap().len() < 100_000, "the bomb must be small packed");
    let limits = Limits { max_part_bytes: 1 << 20, ..Limits::default() };
    let e = extract_in_process(&path, &limits).unwrap();
    assert_eq!(e.kind, DocKind::Pptx);
    // The one slide is refused; no text comes out, and the file is reported, not crashed on.
    match &e.outcome {
        Outcome::Damaged { reason } => assert!(reason.contains("zip bomb"), "{reason}"),
        Outcome::PartlyIndexed { failed_pages, .. } => assert_eq!(failed_pages, &[1]),
        other => panic!("a zip bomb must not be indexed: {other:?}"),
    }
    assert!(e.units.iter().all(|u| u.text.is_empty()));

    // A bomb in the main part stops the whole file.
    let path = dir.path().join("bomb2.pptx");
    let mut parts = minimal_pptx(&["<p:sld/>"]);
    parts[1].1 = format!("<p:presentation>{huge}</p:presentation>");
    write_zip(&path, &parts);
    let e = extract_in_process(&path, &limits).unwrap();
    match &e.outcome {
        Outcome::Damaged { reason } => assert!(reason.contains("zip bomb"), "{reason}"),
        other => panic!("expected damaged: {other:?}"),
    }
}

#[test]
fn pdf_pages_are_units() {
    let e = extract_in_process(&fixture("three_pages.pdf"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Pdf);
    assert_eq!(e.engine, "pdf-extract");
    assert_eq!(e.units.len(), 3);
    assert_eq!(e.units[1].label, "page");
    assert!(e.units[1].text.contains("open data"), "{:?}", e.units[1].text);
    assert!(e.units[2].text.contains("e-participation"));
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);
}

#[test]
fn pdf_page_that_panics_the_first_engine_falls_back_to_the_second() {
    let e = extract_in_process(&fixture("no_mediabox.pdf"), &Limits::default()).unwrap();
    assert!(e.engine.contains("pdf_oxide"), "engine {}", e.engine);
    assert!(e.units[0].text.contains("without a media box"), "{:?}", e.units);
    assert!(e.outcome.has_text());
}

#[test]
fn encrypted_pdf_with_user_password_is_password_protected() {
    let e =
        extract_in_process(&fixture("encrypted_user_password.pdf"), &Limits::default()).unwrap();
    assert_eq!(e.outcome, Outcome::PasswordProtected);
    assert!(e.units.is_empty());
    assert!(e.outcome.message().contains("Password-protected"));
}

#[test]
fn encrypted_pdf_with_empty_user_password_is_read() {
    let e = extract_in_process(&fixture("encrypted_owner_only.pdf"), &Limits::default()).unwrap();
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);
    assert!(e.units[0].text.contains("digital government"));
}

#[test]
fn pdf_with_broken_xref_is_read_or_reported_never_crashes() {
    let e = extract_in_process(&fixture("broken_xref.pdf"), &Limits::default()).unwrap();
    // pdftotext recovers this file; so must we.
    assert!(e.outcome.has_text(), "{:?}", e.outcome);
    assert!(e.units.iter().any(|u| u.text.contains("digital government")), "{:?}", e.units);
}

#[test]
fn pdf_without_text_layer() {
    let no_ocr = Limits { ocr_languages: String::new(), ..Limits::default() };
    let e = extract_in_process(&fixture("scanned.pdf"), &no_ocr).unwrap();
    assert_eq!(e.outcome, Outcome::NoTextLayer { pages: 2, unit: "page".into() });
    // Its two pages are blank pictures: OCR reads them and finds no words.
    let e = extract_in_process(&fixture("scanned.pdf"), &Limits::default()).unwrap();
    assert_eq!(
        e.outcome,
        Outcome::NoTextRecognised { pages: 2, unit: "page".into(), languages: "eng".into() }
    );
}

#[test]
fn truncated_pdf_is_damaged_or_partly_read() {
    let bytes = std::fs::read(fixture("three_pages.pdf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pdf");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let e = extract_in_process(&path, &Limits::default()).unwrap();
    assert!(
        matches!(
            e.outcome,
            Outcome::Damaged { .. }
                | Outcome::PartlyIndexed { .. }
                | Outcome::Indexed { .. }
                | Outcome::NoTextLayer { .. }
        ),
        "{:?}",
        e.outcome
    );
}

#[test]
fn docx_splits_at_page_breaks() {
    let e = extract_in_process(&fixture("two_pages.docx"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Docx);
    assert_eq!(e.units.len(), 2, "{:?}", e.units);
    assert_eq!(e.units[0].text, "First page of the case study\nTab\there\n");
    assert!(e.units[1].text.contains("Second page: Thai ภาษาไทย"));
}

#[test]
fn xlsx_sheets_in_order_with_shared_strings() {
    let e = extract_in_process(&fixture("two_sheets.xlsx"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Xlsx);
    assert_eq!(e.units.len(), 2);
    assert_eq!(e.units[0].label, "sheet");
    assert_eq!(e.units[0].text, "Item\tCost\nServers\t1200\n");
    assert_eq!(e.units[1].text, "Shared string & more\n");
}

#[test]
fn odp_slides_and_notes() {
    let e = extract_in_process(&fixture("deck.odp"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Odp);
    assert_eq!(e.units.len(), 3);
    assert!(e.units[0].text.contains("Gamma slide"), "{:?}", e.units[0]);
    assert!(e.units[2].text.contains("ພາສາລາວ"));
    assert_eq!(e.units[1].notes.as_deref(), Some("Notes for Alpha slide"));
}

#[test]
fn odt_text() {
    let e = extract_in_process(&fixture("two_pages.odt"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Odt);
    let all: String = e.units.iter().map(|u| u.text.as_str()).collect();
    assert!(all.contains("First page of the case study"), "{all}");
    assert!(all.contains("Tab\there"), "{all}");
    assert!(all.contains("ภาษาไทย"));
}

#[test]
fn text_is_capped_and_marked_partly_indexed() {
    let limits = Limits { max_chars: 20, ..Limits::default() };
    let e = extract_in_process(&fixture("order_notes_scripts.pptx"), &limits).unwrap();
    assert!(e.capped);
    assert_eq!(e.chars, 20);
    let kept: usize = e
        .units
        .iter()
        .map(|u| u.text.chars().count() + u.notes.as_ref().map_or(0, |n| n.chars().count()))
        .sum();
    assert_eq!(kept, 20);
    match &e.outcome {
        Outcome::PartlyIndexed { capped: true, failed_pages, .. } => {
            assert!(failed_pages.is_empty())
        }
        other => panic!("{other:?}"),
    }
    assert!(e.outcome.message().contains("Only the first 20 characters"));
}

#[test]
fn old_binary_doc_via_libreoffice() {
    common::soffice_required();
    let e = extract_in_process(&fixture("two_pages.doc"), &Limits::default()).unwrap();
    assert_eq!(e.kind, DocKind::Doc);
    assert_eq!(e.engine, "libreoffice+ooxml");
    let all: String = e.units.iter().map(|u| u.text.as_str()).collect();
    assert!(all.contains("First page of the case study"), "{all}");
}

#[test]
fn old_binary_ppt_via_libreoffice() {
    let soffice = common::soffice_required();
    let dir = tempfile::tempdir().unwrap();
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("p").display());
    let status = std::process::Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to", "ppt", "--outdir"])
        .arg(dir.path())
        .arg(fixture("order_notes_scripts.pptx"))
        .output()
        .unwrap();
    assert!(status.status.success());
    let e = extract_in_process(&dir.path().join("order_notes_scripts.ppt"), &Limits::default())
        .unwrap();
    assert_eq!(e.kind, DocKind::Ppt);
    assert_eq!(e.units.len(), 3);
    assert!(e.units[0].text.contains("Gamma slide"), "{:?}", e.units);
    assert!(e.units[2].text.contains("中文 你好世界"));
}

/// A PDF from its objects (numbered from 1), with exact cross-reference offsets.
fn pdf_from_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let trailer = format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(trailer.as_bytes());
    pdf
}

fn stream(dict: &str, content: &str) -> Vec<u8> {
    format!("<< {dict} /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes()
}

/// pdf-extract is patched (vendor/pdf-extract) to load a font once per document, keyed by its
/// object, where upstream keys fonts by resource name and reloads them on every page. Names
/// mean something only within one resource dictionary: here /F1 is plain Helvetica on page 2
/// but a font whose code 65 draws a bullet on page 1 and in a form drawn on page 2.
#[test]
fn pdf_fonts_are_told_apart_by_object_not_by_resource_name() {
    let sentence = "stands for a sentence long enough to count as a page of real text";
    let plain = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
    let bullets = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type \
                   /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /bullet] >> >>";
    let text = |y: u32, words: &str| format!("BT /F1 12 Tf 72 {y} Td ({words}) Tj ET");
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>".to_vec(),
        plain.as_bytes().to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
          /Resources << /Font << /F1 8 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        stream("", &text(720, &format!("A first {sentence}"))),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
          /Resources << /Font << /F1 3 0 R >> /XObject << /X1 9 0 R >> >> /Contents 7 0 R >>"
            .to_vec(),
        stream("", &format!("{} q /X1 Do Q", text(720, &format!("A second {sentence}")))),
        bullets.as_bytes().to_vec(),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 8 0 R >> >>",
            &text(600, &format!("A form {sentence}")),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fonts.pdf");
    std::fs::write(&path, pdf_from_objects(&objects)).unwrap();

    let e = extract_in_process(&path, &Limits::default()).unwrap();
    assert_eq!(e.engine, "pdf-extract");
    assert_eq!(e.units.len(), 2);
    let (first, second) = (&e.units[0].text, &e.units[1].text);
    assert!(first.contains("\u{2022} first"), "page 1: {first:?}");
    assert!(second.contains("A second"), "page 2, plain /F1: {second:?}");
    assert!(second.contains("\u{2022} form"), "page 2, the form's /F1: {second:?}");
}
