//! `backup list | now | restore`: the copies of the database in `DATA/backups/`. `list` and
//! `restore` work on a damaged database, which the other commands refuse to open.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use desk_core::Store;
use desk_core::clock::{Clock, SystemClock};
use desk_core::store::backup::{self, BackupInfo, BackupKind};

use crate::output;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// The backups, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Backs the database up now.
    Now,
    /// Puts a backup in place of the database (close the app first). The database it replaces is
    /// kept aside in the data folder, with its -wal and -shm, never deleted.
    Restore {
        /// The backup's name as `backup list` shows it (default: the newest that passes its
        /// integrity check).
        name: Option<String>,
    },
}

pub fn run(dir: &Path, command: BackupCommand) -> anyhow::Result<ExitCode> {
    match command {
        BackupCommand::List { json } => {
            let backups = backup::list(dir)?;
            if json {
                output::json(&backups)?;
            } else if backups.is_empty() {
                println!("No backups yet in {}.", backup::backup_dir(dir).display());
            } else {
                for found in &backups {
                    println!("{}", line(found));
                }
            }
        }
        BackupCommand::Now => {
            let store = Store::open(dir)?;
            let made = store.backup(BackupKind::Manual)?;
            println!("Backed up: {}", line(&made));
        }
        BackupCommand::Restore { name } => {
            let restored = backup::restore(dir, name.as_deref(), SystemClock.now_millis())?;
            // Opening migrates an older backup and proves the result sound.
            Store::open(dir)?;
            println!("Restored {}", line(&restored.backup));
            for path in &restored.set_aside {
                println!("Kept aside: {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn line(found: &BackupInfo) -> String {
    let kind = match found.kind {
        BackupKind::Daily => "daily",
        BackupKind::BeforeMigration => "before a migration",
        BackupKind::Manual => "on request",
    };
    format!(
        "{}  {}  schema v{}  {}  {} bytes",
        found.name,
        output::time(found.taken_at),
        found.schema_version,
        kind,
        found.bytes
    )
}
