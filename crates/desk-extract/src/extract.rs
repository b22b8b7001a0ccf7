use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use crate::archive::Archive;
use crate::detect::{FileSource, OpenedZip, detect_keeping_archive};
use crate::error::{DocError, ExtractError};
use crate::extraction::Extraction;
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::ocr::OcrProgress;
use crate::{ocr, odf, ooxml, pdf, soffice, xlsx};

/// Extracts the text of `path` in this process. Meant for the worker: a hostile document
/// can still exhaust memory or loop here, which only [`crate::run_isolated`] contains.
/// `Err` only when the file cannot be read; problems of the content are an [`Outcome`].
pub fn extract_in_process(path: &Path, limits: &Limits) -> Result<Extraction, ExtractError> {
    extract_reporting(path, limits, &mut |_| {})
}

/// Like [`extract_in_process`], telling `on_count` the number of pages or slides as soon as
/// it is known (the worker passes it on so the host can scale the time limit).
pub fn extract_reporting(
    path: &Path,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, ExtractError> {
    extract_watched(path, limits, on_count, &mut |_| {})
}

/// Like [`extract_reporting`], telling `on_ocr` how many pages OCR will read and how many
/// it has read.
pub(crate) fn extract_watched(
    path: &Path,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
    on_ocr: &mut dyn FnMut(OcrProgress),
) -> Result<Extraction, ExtractError> {
    let started = Instant::now();
    let (detected, archive) = detect_keeping_archive(path)?;
    let kind = detected.kind;
    let result = if detected.size == 0 {
        Err(DocError::damaged("the file is empty (0 bytes)"))
    } else if detected.size > limits.max_file_bytes {
        Err(DocError::NotSupported(format!(
            "files over {} MB are stored and sent but not indexed",
            limits.max_file_bytes >> 20
        )))
    } else {
        catch_unwind(AssertUnwindSafe(|| by_kind(path, kind, archive, limits, on_count, on_ocr)))
            .unwrap_or_else(|_| Err(DocError::damaged("the text reader crashed on it")))
    };
    let mut extraction = match result {
        Ok(e) => e,
        Err(DocError::Io(e)) => {
            return Err(ExtractError::Unreadable { path: path.to_path_buf(), source: e });
        }
        Err(e) => Extraction::without_text(kind, "none", e.into_outcome()),
    };
    extraction.kind = kind;
    extraction.extension_disagrees = detected.extension_disagrees;
    extraction.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(extraction)
}

fn by_kind(
    path: &Path,
    kind: DocKind,
    detected_archive: Option<OpenedZip>,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
    on_ocr: &mut dyn FnMut(OcrProgress),
) -> Result<Extraction, DocError> {
    let open = || match detected_archive {
        Some(mut archive) => {
            archive.set_limits(limits);
            Ok(archive)
        }
        None => {
            let file = File::open(path).map(BufReader::new).map_err(DocError::Io)?;
            Archive::open(FileSource::Disk(file), limits)
        }
    };
    match kind {
        DocKind::Pdf => {
            let bytes = std::fs::read(path).map_err(DocError::Io)?;
            pdf::extract(path, &bytes, limits, on_count, on_ocr)
        }
        DocKind::Pptx
        | DocKind::Ppsx
        | DocKind::Potx
        | DocKind::Docx
        | DocKind::Xlsx
        | DocKind::Odp
        | DocKind::Odt => zipped(open()?, kind, limits, on_count),
        DocKind::Ppt | DocKind::Doc => {
            let converted = soffice::convert(path, kind, limits)?;
            let as_kind = if kind == DocKind::Ppt { DocKind::Pptx } else { DocKind::Docx };
            let archive = Archive::open(Cursor::new(converted), limits)?;
            let mut e = zipped(archive, as_kind, limits, on_count)?;
            e.engine = format!("libreoffice+{}", e.engine);
            Ok(e)
        }
        DocKind::Png | DocKind::Jpeg | DocKind::Tiff => {
            on_count(1);
            ocr::picture(path, kind, limits, on_ocr)
        }
        DocKind::EncryptedOoxml => Err(DocError::PasswordProtected),
        DocKind::Xls => {
            Err(DocError::NotSupported("old Excel workbooks (.xls) are not indexed".into()))
        }
        DocKind::OtherOle2 => Err(DocError::NotSupported(
            "this Microsoft compound file is neither a Word, PowerPoint nor Excel file".into(),
        )),
        DocKind::Other => Err(DocError::NotSupported(
            "files of this type are stored and sent, not indexed".into(),
        )),
    }
}

/// The text of a zip-based document (OOXML or ODF) of `kind`.
pub(crate) fn zipped<R: Read + Seek>(
    archive: Archive<R>,
    kind: DocKind,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    match kind {
        DocKind::Docx => ooxml::document(archive, limits, on_count),
        DocKind::Xlsx => xlsx::workbook(archive, limits, on_count),
        DocKind::Odp | DocKind::Odt => odf::document(archive, kind, limits, on_count),
        _ => ooxml::presentation(archive, kind, limits, on_count),
    }
}
