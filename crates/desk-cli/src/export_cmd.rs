//! A case as a Word or PDF document for the focal point's ministry.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use desk_core::Store;
use desk_sync::Outbox;
use desk_sync::outbox::SubmissionJob;
use desk_sync::snapshot::{case_document, case_files};
use paks_publication::{FontSet, Format, PrintedCase, PrintedFile, case_document as write_case};

#[derive(Args)]
pub struct ExportArgs {
    /// The case id.
    pub case: i64,
    /// The document to write: its extension (.pdf or .docx) says which kind.
    pub out: PathBuf,
}

/// The case as printed: a queued or sent version exactly as frozen in the outbox, with PAKS's
/// receipt once PAKS has it; otherwise the draft as it stands.
pub fn printed_case(store: &Store, dir: &Path, case_id: i64) -> anyhow::Result<PrintedCase> {
    let case = store.case(case_id)?;
    let outbox = Outbox::open(dir)?;
    match outbox.submission_for_case(case_id)? {
        Some(job) => {
            let document = serde_json::from_str(&job.document)?;
            let files = outbox
                .uploads_of(job.id)?
                .into_iter()
                .map(|u| PrintedFile { name: u.name, media_type: u.media_type, size: u.size })
                .collect();
            Ok(PrintedCase { document, files, receipt: SubmissionJob::verified_receipt(&job) })
        }
        None => {
            let profile = store.profile()?.ok_or(desk_core::Error::ProfileMissing)?;
            let document = case_document(&case, &profile)?;
            let files = case_files(store, case_id)?
                .into_iter()
                .map(|f| PrintedFile { name: f.name, media_type: f.media_type, size: f.size })
                .collect();
            Ok(PrintedCase { document, files, receipt: None })
        }
    }
}

pub fn export(store: &Store, dir: &Path, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = Format::of_path(&args.out)?;
    let case = printed_case(store, dir, args.case)?;
    let written = write_case(&case, format, &FontSet::with_system_cjk())?;
    std::fs::write(&args.out, &written.bytes)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", args.out.display()))?;
    if !written.characters_without_font.is_empty() {
        let missing: String = written.characters_without_font.iter().collect();
        eprintln!(
            "warning: no font on this computer shows {missing:?}; they print as empty boxes \
             (for Chinese, install a Chinese font such as Noto Sans CJK)"
        );
    }
    println!("{}: case {} ({} bytes)", args.out.display(), args.case, written.bytes.len());
    Ok(ExitCode::SUCCESS)
}
