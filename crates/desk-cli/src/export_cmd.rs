//! A case as a Word or PDF document for the focal point's ministry.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use desk_core::Store;
use desk_sync::Outbox;
use desk_sync::publication::export_case_document;

#[derive(Args)]
pub struct ExportArgs {
    /// The case id.
    pub case: i64,
    /// The document to write: its extension (.pdf or .docx) says which kind.
    pub out: PathBuf,
}

pub fn export(store: &Store, dir: &Path, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let written = export_case_document(store, &outbox, args.case, &args.out)?;
    if !written.characters_without_font.is_empty() {
        let missing: String = written.characters_without_font.iter().collect();
        eprintln!(
            "warning: no font on this computer shows {missing:?}; they print as empty boxes \
             (for Chinese, install a Chinese font such as Noto Sans CJK)"
        );
    }
    println!("{}: case {} ({} bytes)", written.path.display(), args.case, written.bytes);
    Ok(ExitCode::SUCCESS)
}
