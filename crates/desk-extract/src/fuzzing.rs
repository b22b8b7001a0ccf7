//! The bodies of desk-extract's fuzz targets, one function per target, shared by cargo-fuzz
//! (`fuzz/fuzz_targets/`) and the stable tests (`tests/fuzz_extract.rs`). Each feeds the bytes
//! to a reader and panics when a property fails: a reader must answer with text or a typed
//! outcome (damaged, password-protected, not supported), never panic, and what it answers must
//! add up. The outer `catch_unwind` of [`crate::extract_in_process`] is bypassed on purpose, so
//! that a panic in our code is seen; the PDF engines' own panics stay caught where `pdf.rs`
//! catches them, as in the worker. See docs/fuzzing.md.

use std::io::Cursor;

use crate::archive::Archive;
use crate::detect::detect_from;
use crate::error::DocError;
use crate::extract::zipped;
use crate::extraction::Extraction;
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::pdf;

/// The real caps, except a small character cap, so that inputs reach it often.
fn limits() -> Limits {
    // No OCR: fuzzing is about the parsers, and the PDF is not on disk for a renderer.
    Limits { max_chars: 2_000, ocr_languages: String::new(), ..Limits::default() }
}

/// Names a fuzz input may carry, picked by its last byte: detection also weighs the extension.
const EXTENSIONS: [Option<&str>; 9] = [
    None,
    Some("pptx"),
    Some("docx"),
    Some("xlsx"),
    Some("odt"),
    Some("odp"),
    Some("pdf"),
    Some("doc"),
    Some("bin"),
];

/// Type detection of raw bytes (magic bytes, zip content types, OLE2 streams), then the
/// zip-based reader of what was found, as `extract_in_process` does. PDF has its own target.
pub fn detect(data: &[u8]) {
    let ext = EXTENSIONS[usize::from(data.last().copied().unwrap_or(0)) % EXTENSIONS.len()];
    let size = data.len() as u64;
    let (detected, archive) = match detect_from(Cursor::new(data), size, ext) {
        Ok(found) => found,
        Err(e) => panic!("detection failed on bytes in memory: {e}"),
    };
    assert_eq!(detected.size, size);
    if detected.extension_disagrees.is_some() {
        assert!(ext.is_some(), "an extension disagrees though the input had none");
    }
    let limits = limits();
    let archive = match archive {
        Some(mut archive) => {
            archive.set_limits(&limits);
            Ok(archive)
        }
        None => Archive::open(Cursor::new(data), &limits),
    };
    if detected.kind.is_zipped() {
        let mut counts = Vec::new();
        let result =
            archive.and_then(|a| zipped(a, detected.kind, &limits, &mut |n| counts.push(n)));
        check(result, &limits, &counts);
    }
}

/// PowerPoint (pptx): the input is a zip, or parts zipped by [`stable_fuzz::parts`].
pub fn pptx(data: &[u8]) {
    zip_document(DocKind::Pptx, data);
}

/// Word (docx), as [`pptx`].
pub fn docx(data: &[u8]) {
    zip_document(DocKind::Docx, data);
}

/// Excel (xlsx), as [`pptx`].
pub fn xlsx(data: &[u8]) {
    zip_document(DocKind::Xlsx, data);
}

/// OpenDocument text or presentation (odt, odp: by the input's media type), as [`pptx`].
pub fn odf(data: &[u8]) {
    let presentation = memchr::memmem::find(data, b"opendocument.presentation").is_some();
    zip_document(if presentation { DocKind::Odp } else { DocKind::Odt }, data);
}

/// The PDF path of the worker: both engines, page by page, under their `catch_unwind`.
pub fn pdf(data: &[u8]) {
    let limits = limits();
    let mut counts = Vec::new();
    let result =
        pdf::extract(std::path::Path::new(""), data, &limits, &mut |n| counts.push(n), &mut |_| {});
    check(result, &limits, &counts);
}

fn zip_document(kind: DocKind, data: &[u8]) {
    let zip = stable_fuzz::parts::zip_for_input(data);
    let limits = limits();
    let mut counts = Vec::new();
    let result = Archive::open(Cursor::new(zip.as_slice()), &limits)
        .and_then(|archive| zipped(archive, kind, &limits, &mut |n| counts.push(n)));
    check(result, &limits, &counts);
}

/// A reader's answer is text that adds up, or a typed outcome.
fn check(result: Result<Extraction, DocError>, limits: &Limits, counts: &[u32]) {
    let extraction = match result {
        Ok(extraction) => extraction,
        Err(DocError::Io(e)) => panic!("an I/O error reading bytes in memory: {e}"),
        Err(e) => {
            let _ = e.into_outcome().message();
            return;
        }
    };
    let _ = extraction.outcome.message();
    let counted: u64 = extraction
        .units
        .iter()
        .map(|u| {
            (u.text.chars().count() + u.notes.as_ref().map_or(0, |n| n.chars().count())) as u64
        })
        .sum();
    assert_eq!(counted, extraction.chars, "the characters counted are not those of the units");
    assert!(extraction.chars <= limits.max_chars as u64, "more characters than the cap");
    if extraction.capped {
        assert_eq!(extraction.chars, limits.max_chars as u64, "capped below the cap");
    }
    let numbers: Vec<u32> = extraction.units.iter().map(|u| u.number).collect();
    assert!(
        numbers.first().is_none_or(|n| *n >= 1) && numbers.windows(2).all(|w| w[0] < w[1]),
        "units are not numbered 1, 2, … in order: {numbers:?}"
    );
    if let Some(most) = counts.iter().max() {
        assert!(
            extraction.units.len() as u64 <= u64::from(*most),
            "{} units, but the count reported was {most}",
            extraction.units.len()
        );
    }
    match &extraction.outcome {
        crate::Outcome::Indexed { chars, .. } => {
            assert_eq!(*chars, extraction.chars);
            assert!(!extraction.capped, "indexed in full, yet capped");
        }
        crate::Outcome::PartlyIndexed { chars, .. } => assert_eq!(*chars, extraction.chars),
        _ => {}
    }
}
