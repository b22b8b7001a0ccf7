//! `paks-desk-cli`: the same store as the desktop app, from a terminal, for scripting, bulk work
//! and support staff.

mod case_cmd;
mod catalog_cmd;
mod output;
mod profile_cmd;

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
}

/// Exit codes: 0 done, 1 the answer is "no" (e.g. `case check` on an incomplete case), 2 error.
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Catalog(command) = cli.command {
        return catalog_cmd::run(command);
    }
    let dir = match cli.data.or_else(desk_core::store::default_data_dir) {
        Some(dir) => dir,
        None => anyhow::bail!("no data folder: pass --data DIR"),
    };
    let store = Store::open(&dir)?;
    match cli.command {
        Command::Profile(command) => profile_cmd::run(&store, command),
        Command::Case(command) => case_cmd::run(&store, command),
        Command::Catalog(_) => Ok(ExitCode::SUCCESS),
    }
}
