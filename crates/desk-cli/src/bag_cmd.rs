//! Hand-carry from the terminal: a case version out as a BagIt zip, a bag in as a new draft.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use desk_core::Store;
use desk_sync::Outbox;
use desk_sync::handcarry::{export_bag, open_bag};

#[derive(Args)]
pub struct ExportArgs {
    /// The case id.
    pub case: i64,
    /// Where to write the bag, e.g. /media/usb/lao-census.zip
    pub out: PathBuf,
    /// No progress line on stderr.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct OpenArgs {
    /// The bag (.zip) to open as a new draft.
    pub file: PathBuf,
}

pub fn export(store: &Store, dir: &Path, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let mut last_percent = None;
    let mut progress = |done: u64, total: u64| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        if !args.quiet && last_percent != Some(percent) {
            last_percent = Some(percent);
            eprint!("\rwriting the bag: {percent:3}%");
            let _ = std::io::stderr().flush();
        }
    };
    let written = export_bag(store, &outbox, args.case, &args.out, &mut progress)?;
    if !args.quiet {
        eprintln!();
    }
    println!(
        "{}: case {} with {} attachment(s), {} (Idempotency-Key {})",
        args.out.display(),
        args.case,
        written.attachments,
        paks_bag::human_size(written.payload_bytes),
        written.idempotency_key
    );
    Ok(ExitCode::SUCCESS)
}

pub fn open(store: &Store, args: OpenArgs) -> anyhow::Result<ExitCode> {
    let opened = open_bag(store, &args.file)?;
    for warning in &opened.warnings {
        eprintln!("warning: {warning}");
    }
    println!("{}", opened.case_id);
    Ok(ExitCode::SUCCESS)
}
