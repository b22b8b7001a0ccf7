//! A case as a Word or PDF document for the focal point's ministry: the one mapping from a case
//! to what is printed, shared by `paks-desk-cli export` and the editor's button.

use std::io::Write;
use std::path::{Path, PathBuf};

use desk_core::Store;
use paks_publication::{FontSet, Format, PrintedCase, PrintedFile};

use crate::error::{Result, SyncError};
use crate::outbox::Outbox;
use crate::snapshot::case_as_it_stands;

/// The case as printed: a queued or sent version exactly as frozen in the outbox, with PAKS's
/// receipt once PAKS has it; otherwise the draft as it stands.
pub fn printed_case(store: &Store, outbox: &Outbox, case_id: i64) -> Result<PrintedCase> {
    let case = store.case(case_id)?;
    let stands = case_as_it_stands(store, outbox, &case)?;
    Ok(PrintedCase {
        document: stands.document,
        files: stands
            .files
            .into_iter()
            .map(|f| PrintedFile { name: f.name, media_type: f.media_type, size: f.size })
            .collect(),
        receipt: stands.job.as_ref().and_then(|job| job.verified_receipt()),
    })
}

/// What `export_case_document` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedDocument {
    pub path: PathBuf,
    pub bytes: u64,
    /// Characters no font on this computer shows: they print as empty boxes (Chinese without a
    /// system CJK font).
    pub characters_without_font: Vec<char>,
}

/// Writes case `case_id` at `out`, a PDF or a Word document as its extension says. The document
/// is written beside `out` first and renamed into place once complete, so a failure leaves no
/// half-written file and an earlier document of that name as it was.
pub fn export_case_document(
    store: &Store,
    outbox: &Outbox,
    case_id: i64,
    out: &Path,
) -> Result<ExportedDocument> {
    let format = Format::of_path(out)?;
    let case = printed_case(store, outbox, case_id)?;
    let unwritable = |e: std::io::Error| SyncError::ExportUnwritable {
        path: out.display().to_string(),
        detail: e.to_string(),
    };
    let folder = match out.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    // Made before typesetting, which takes seconds: a folder that cannot be written is said at once.
    let mut partial = tempfile::Builder::new()
        .prefix(".paks-export-")
        .suffix(".partial")
        .tempfile_in(folder)
        .map_err(unwritable)?;
    let written = paks_publication::case_document(&case, format, &FontSet::with_system_cjk())?;
    partial.write_all(&written.bytes).map_err(unwritable)?;
    partial.as_file().sync_all().map_err(unwritable)?;
    partial.persist(out).map_err(|e| unwritable(e.error))?;
    Ok(ExportedDocument {
        path: out.to_path_buf(),
        bytes: written.bytes.len() as u64,
        characters_without_font: written.characters_without_font,
    })
}
