//! Updates of PAKS Desk from the terminal: what the connected PAKS offers, and its download,
//! resumable and verified, into the data folder's `updates/` (where the app looks for it too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use desk_core::Store;
use desk_sync::SyncError;
use desk_sync::update::{
    DownloadOptions, UpdateProgress, app_public_key, app_version, download_update, this_platform,
    update_client,
};

use crate::output;

#[derive(Subcommand)]
pub enum UpdateCommand {
    /// Asks the connected PAKS for a newer release for this system. Exit 0: one is offered;
    /// 1: this version is the newest; 2: error.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Downloads the offered release (resuming an earlier download), checks its SHA-256 and
    /// signature, and prints the verified file's path. Exit 0: verified; 1: nothing newer is
    /// offered; 2: error (a bad signature: `update_signature_bad`, the file deleted).
    Download(DownloadArgs),
}

#[derive(Args)]
pub struct DownloadArgs {
    /// A minisign public key file (.pub, or its base64 as `tauri signer generate` prints it) to
    /// check the signature with instead of the app's own key: for releases an organisation
    /// builds and signs itself.
    #[arg(long)]
    pub public_key: Option<PathBuf>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// desk-sync's error with its stable code, as scripts match it.
fn coded(err: SyncError) -> anyhow::Error {
    anyhow::anyhow!("{err} [{}]", err.code())
}

pub fn run(store: &Store, dir: &Path, command: UpdateCommand) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let Some((target, arch)) = this_platform() else {
        anyhow::bail!("PAKS offers no updates for this system [update_unsupported]");
    };
    let current = app_version().map_err(coded)?;
    let client = update_client(store).map_err(coded)?;
    let offer = rt.block_on(client.update_offer(target, arch, &current)).map_err(coded)?;
    let Some(offer) = offer else {
        println!("PAKS Desk {current} is the newest version PAKS offers.");
        return Ok(ExitCode::from(1));
    };
    match command {
        UpdateCommand::Check { json } => {
            if json {
                output::json(&offer)?;
            } else {
                println!(
                    "PAKS offers PAKS Desk {} (you have {current}): {}, {}.",
                    offer.version,
                    megabytes(offer.size),
                    offer.pub_date
                );
                if !offer.notes.is_empty() {
                    println!("{}", offer.notes);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpdateCommand::Download(args) => {
            let key = match &args.public_key {
                Some(path) => key_from_file(path)?,
                None => app_public_key().map_err(coded)?,
            };
            let mut shown = ProgressLine::default();
            let path = rt
                .block_on(download_update(
                    &client,
                    &offer,
                    &key,
                    &dir.join("updates"),
                    &DownloadOptions::default(),
                    |p| shown.show(p),
                ))
                .map_err(coded)?;
            shown.finish();
            eprintln!("PAKS Desk {}: SHA-256 and signature verified.", offer.version);
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The key as tauri.conf.json holds it: base64 of the .pub file. A .pub file itself (two lines,
/// "untrusted comment:" first) is encoded so.
fn key_from_file(path: &Path) -> anyhow::Result<String> {
    const MAX_KEY_FILE: u64 = 4096;
    let len = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("the public key file {}: {e}", path.display()))?
        .len();
    anyhow::ensure!(len <= MAX_KEY_FILE, "{} is not a public key file", path.display());
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("the public key file {}: {e}", path.display()))?;
    if text.trim_start().starts_with("untrusted comment:") {
        use base64::Engine;
        Ok(base64::engine::general_purpose::STANDARD.encode(text))
    } else {
        Ok(text.trim().to_owned())
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Progress on stderr: at most once a second, and at the end.
#[derive(Default)]
struct ProgressLine {
    last: Option<Instant>,
    pending: Option<String>,
}

impl ProgressLine {
    fn show(&mut self, p: &UpdateProgress) {
        let percent = if p.size > 0 { p.received as f64 * 100.0 / p.size as f64 } else { 100.0 };
        let left = match p.seconds_left {
            Some(s) => format!(", {} left", duration(s)),
            None => String::new(),
        };
        let line = format!(
            "{} of {} bytes ({percent:.0}%), {:.1} kB/s{left}",
            p.received,
            p.size,
            p.bytes_per_second / 1000.0
        );
        let due = self.last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due || p.received >= p.size {
            eprintln!("{line}");
            self.last = Some(Instant::now());
            self.pending = None;
        } else {
            self.pending = Some(line);
        }
    }

    fn finish(&mut self) {
        if let Some(line) = self.pending.take() {
            eprintln!("{line}");
        }
        let _ = std::io::stderr().flush();
    }
}

fn duration(seconds: u64) -> String {
    match seconds {
        0..=89 => format!("{seconds} s"),
        90..=5399 => format!("{} min", seconds.div_ceil(60)),
        _ => format!("{:.1} h", seconds as f64 / 3600.0),
    }
}
