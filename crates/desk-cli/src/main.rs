//! `paks-desk-cli`: the same store as the desktop app, from a terminal, for scripting, bulk work
//! and support staff.

mod attach_cmd;
mod backup_cmd;
mod bag_cmd;
mod case_cmd;
mod catalog_cmd;
mod export_cmd;
mod library_cmd;
mod output;
mod profile_cmd;
mod search_cmd;
mod sync_cmd;
mod update_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use desk_core::Store;

#[derive(Parser)]
#[command(name = "paks-desk-cli", version, about = "PAKS Desk from a terminal")]
struct Cli {
    /// The data folder (default: the app's own, or $PAKS_DESK_DATA_DIR).
    #[arg(long, global = true, env = "PAKS_DESK_DATA_DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The focal point's profile.
    #[command(subcommand)]
    Profile(profile_cmd::ProfileCommand),
    /// Cases: create, edit, link to goals, check, list.
    #[command(subcommand)]
    Case(case_cmd::CaseCommand),
    /// The MDG and SDG frameworks and the ESCAP country list.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
    /// Attaches a file to a draft case and reads its text for search.
    Attach(attach_cmd::AttachArgs),
    /// The files attached to a case.
    Attachments(attach_cmd::ListArgs),
    /// Removes a file from a draft case.
    Detach(attach_cmd::DetachArgs),
    /// Reads the text of a file as attaching would, without storing anything.
    Extract(attach_cmd::ExtractArgs),
    /// Searches case fields and attached files.
    Search(search_cmd::SearchArgs),
    /// Re-hashes every stored file; exits 1 when one is missing or damaged.
    CheckFiles(attach_cmd::CheckArgs),
    /// Checks that URL is a real PAKS and accepts the token, then keeps both.
    Connect(sync_cmd::ConnectArgs),
    /// Puts a case version (and its files) in the outbox to send to PAKS.
    Submit(sync_cmd::SubmitArgs),
    /// What waits to be sent, and why.
    Outbox {
        #[arg(long)]
        json: bool,
    },
    /// Sends the outbox to PAKS.
    Sync(sync_cmd::SyncArgs),
    /// A case's state as PAKS gives it, and PAKS's receipt once it has the case.
    Status(sync_cmd::StatusArgs),
    /// Takes a case out of the outbox before PAKS has it; the case is a draft again.
    Cancel(sync_cmd::CaseArgs),
    /// Makes what waits in a case's submission due now (a send that failed or waits, or the
    /// next check of its review); `sync` then does it.
    Retry(sync_cmd::CaseArgs),
    /// Writes a case version as a BagIt zip to carry to PAKS by hand (USB stick, a colleague).
    ExportBag(bag_cmd::ExportArgs),
    /// Writes a case as a document for the ministry: out.pdf or out.docx (title, country, goal
    /// links with notes, every section, the list of files, PAKS's receipt if any).
    Export(export_cmd::ExportArgs),
    /// Opens a bag (e.g. a colleague's case) as a new draft; prints the new case id.
    OpenBag(bag_cmd::OpenArgs),
    /// The region's published cases, kept here to read offline: sync, search, show, open a
    /// file, find cases like yours.
    #[command(subcommand)]
    Library(library_cmd::LibraryCommand),
    /// Backups of the database: list them, make one, restore one.
    #[command(subcommand)]
    Backup(backup_cmd::BackupCommand),
    /// Updates of PAKS Desk from the connected PAKS: check for one, download and verify it.
    #[command(subcommand)]
    Update(update_cmd::UpdateCommand),
}

/// Exit codes: 0 done, 1 the answer is "no" (e.g. `case check` on an incomplete case), 2 error.
fn main() -> ExitCode {
    // This binary is also its own isolated text-extraction worker.
    if let Some(code) = desk_extract::run_worker_if_requested() {
        return code;
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", message_of(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause once: most of our messages already quote their cause.
fn message_of(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Catalog(command) = cli.command {
        return catalog_cmd::run(command);
    }
    if let Command::Extract(args) = cli.command {
        return attach_cmd::extract(args);
    }
    let dir = match cli.data.or_else(desk_core::store::default_data_dir) {
        Some(dir) => dir,
        None => anyhow::bail!("no data folder: pass --data DIR"),
    };
    // Before the store opens: a damaged database is refused there, and restoring is the way out.
    if let Command::Backup(command) = cli.command {
        return backup_cmd::run(&dir, command);
    }
    let store = Store::open(&dir)?;
    if let Err(err) = store.backup_if_due() {
        eprintln!("Warning: the daily backup failed ({err}); your data is unchanged.");
    }
    match cli.command {
        Command::Profile(command) => profile_cmd::run(&store, command),
        Command::Case(command) => case_cmd::run(&store, command),
        Command::Attach(args) => attach_cmd::attach(&store, args),
        Command::Attachments(args) => attach_cmd::list(&store, args),
        Command::Detach(args) => attach_cmd::detach(&store, args),
        Command::Search(args) => search_cmd::run(&store, args),
        Command::CheckFiles(args) => attach_cmd::check(&store, args),
        Command::Connect(args) => sync_cmd::connect(&store, &dir, args),
        Command::Submit(args) => sync_cmd::submit(&store, &dir, args),
        Command::Outbox { json } => sync_cmd::outbox(&dir, json),
        Command::Sync(args) => sync_cmd::sync(store, &dir, args),
        Command::Status(args) => sync_cmd::status(&store, &dir, args),
        Command::Cancel(args) => sync_cmd::cancel(&store, &dir, args),
        Command::Retry(args) => sync_cmd::retry(&dir, args),
        Command::ExportBag(args) => bag_cmd::export(&store, &dir, args),
        Command::OpenBag(args) => bag_cmd::open(&store, args),
        Command::Update(command) => update_cmd::run(&store, &dir, command),
        Command::Library(command) => library_cmd::run(&store, command),
        Command::Export(args) => export_cmd::export(&store, &dir, args),
        Command::Catalog(_) | Command::Extract(_) | Command::Backup(_) => Ok(ExitCode::SUCCESS),
    }
}
