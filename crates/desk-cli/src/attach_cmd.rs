//! Attachments: attach, list, detach, check the stored files, and read a file's text.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use desk_core::{Attachment, Store};
use desk_extract::{Extraction, Limits, WorkerCommand};
use serde::Serialize;

use crate::output;

#[derive(Args)]
pub struct AttachArgs {
    case: i64,
    file: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ListArgs {
    case: i64,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DetachArgs {
    case: i64,
    /// The file's SHA-256, or its first characters as `attachments` shows them.
    sha256: String,
}

#[derive(Args)]
pub struct CheckArgs {
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ExtractArgs {
    file: PathBuf,
    #[arg(long)]
    json: bool,
    /// Tesseract languages for pages without text and pictures, e.g. `lao+eng`; `none`
    /// turns OCR off.
    #[arg(long, default_value = "eng")]
    ocr_lang: String,
}

pub(crate) fn worker() -> anyhow::Result<WorkerCommand> {
    Ok(WorkerCommand::current_exe()?)
}

#[derive(Serialize)]
struct AttachReport<'a> {
    #[serde(flatten)]
    attached: &'a desk_core::Attached,
    /// The attachment after indexing (its outcome), when indexing ran.
    indexed: Option<Attachment>,
    index_error: Option<String>,
}

pub fn attach(store: &Store, args: AttachArgs) -> anyhow::Result<ExitCode> {
    let attached = store.import_attachment(args.case, &args.file)?;
    let sha = attached.attachment.sha256.clone();
    let mut index_error = None;
    if attached.attachment.index_status == desk_core::IndexStatus::Pending
        && let Err(err) = store.index_attachment(&sha, &worker()?, &store.reading_limits(&sha)?)
    {
        index_error = Some(err.to_string());
    }
    let indexed = store.attachments(args.case)?.into_iter().find(|a| a.sha256 == sha);
    if args.json {
        output::json(&AttachReport { attached: &attached, indexed, index_error })?;
        return Ok(ExitCode::SUCCESS);
    }
    let a = indexed.as_ref().unwrap_or(&attached.attachment);
    if attached.already_attached {
        println!("{} is already attached to case {}.", a.name, a.case_id);
    } else {
        println!("Attached {} to case {}.", a.name, a.case_id);
    }
    println!("  type:   {}", a.kind_label);
    println!("  size:   {}", desk_core::attachment::format_bytes(a.size));
    println!("  sha256: {}", a.sha256);
    if let Some(disagrees) = &a.extension_disagrees {
        println!("  note:   {disagrees}");
    }
    if let Some(warning) = &attached.large_file_warning {
        println!("  warning: {}", warning.message);
    }
    println!("  text:   {}", a.index_message);
    if let Some(err) = index_error {
        eprintln!("note: {err}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list(store: &Store, args: ListArgs) -> anyhow::Result<ExitCode> {
    let attachments = store.attachments(args.case)?;
    if args.json {
        output::json(&attachments)?;
    } else if attachments.is_empty() {
        println!("Case {} has no attachments.", args.case);
    } else {
        for a in attachments {
            let units = a.units.map(|n| format!("{n} {}s", a.unit_label)).unwrap_or_default();
            println!(
                "{}  {:>9}  {:<32}  {:<12}  {}",
                &a.sha256[..12.min(a.sha256.len())],
                desk_core::attachment::format_bytes(a.size),
                a.name,
                units,
                a.index_message
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn detach(store: &Store, args: DetachArgs) -> anyhow::Result<ExitCode> {
    let wanted = args.sha256.trim().to_ascii_lowercase();
    let matching: Vec<String> = store
        .attachments(args.case)?
        .into_iter()
        .map(|a| a.sha256)
        .filter(|sha256| !wanted.is_empty() && sha256.starts_with(&wanted))
        .collect();
    let sha256 = match matching.as_slice() {
        [one] => one.as_str(),
        [] => wanted.as_str(),
        _ => anyhow::bail!(
            "{} files of case {} start with {wanted}: give more of the SHA-256 (`attachments --json` shows it whole).",
            matching.len(),
            args.case
        ),
    };
    store.detach(args.case, sha256)?;
    println!("Removed the file from case {}.", args.case);
    Ok(ExitCode::SUCCESS)
}

/// Exits 1 when a stored file is missing or damaged.
pub fn check(store: &Store, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let check = store.check_files()?;
    if args.json {
        output::json(&check)?;
    } else {
        println!(
            "Checked {} files ({}).",
            check.checked,
            desk_core::attachment::format_bytes(check.bytes)
        );
        for p in &check.problems {
            println!("{}: {}", p.sha256, p.message);
            for owner in &p.cases {
                println!("  - {} in case {} ({})", owner.name, owner.case_id, owner.case_title);
            }
        }
        if check.is_ok() {
            println!("All files are present and intact.");
        }
    }
    Ok(if check.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[derive(Serialize)]
struct ExtractReport<'a> {
    status: desk_core::IndexStatus,
    message: String,
    #[serde(flatten)]
    extraction: &'a Extraction,
}

pub fn extract(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let ocr_languages = if args.ocr_lang == "none" { String::new() } else { args.ocr_lang };
    let limits = Limits { ocr_languages, ..Limits::default() };
    let extraction = desk_extract::run_isolated(&args.file, &limits, &worker()?)?;
    let report = ExtractReport {
        status: desk_core::IndexStatus::of(&extraction.outcome),
        message: extraction.outcome.message(),
        extraction: &extraction,
    };
    if args.json {
        output::json(&report)?;
    } else {
        println!(
            "{} ({}; engine {})",
            report.message,
            extraction.kind.describe(),
            extraction.engine
        );
        for unit in &extraction.units {
            let reading = extraction.pages.iter().find(|p| p.number == unit.number);
            let read_by = match reading {
                Some(p) => match p.confidence {
                    Some(c) => format!(" ({}, confidence {c} %)", p.engine),
                    None => format!(" ({})", p.engine),
                },
                None => String::new(),
            };
            println!("\n--- {} {}{read_by} ---\n{}", unit.label, unit.number, unit.text);
            if let Some(notes) = &unit.notes {
                println!("[notes] {notes}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
