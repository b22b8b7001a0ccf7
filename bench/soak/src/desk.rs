//! One desk: a `paks-desk-cli` data folder (token in a file, `PAKS_DESK_KEYRING=off`), the cases
//! it writes and submits with real attachments, and its `sync` process, which the faults kill.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

use crate::rng::Rng;

/// Real documents from the extraction tests, attached as they are (each desk indexes them).
pub const FIXTURES: [&str; 6] = [
    "three_pages.pdf",
    "order_notes_scripts.pptx",
    "two_pages.docx",
    "two_sheets.xlsx",
    "deck.odp",
    "two_pages.odt",
];

/// Time limits for the desk's own commands: they touch only its folder, but the machine is
/// loaded and `attach` runs text extraction.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Desk {
    pub index: usize,
    pub country: &'static str,
    pub dir: PathBuf,
    cli: PathBuf,
    log: PathBuf,
}

/// A file as the harness made it: what PAKS must end up holding.
#[derive(Debug, Clone)]
pub struct SentFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// A case the desk put in its outbox: it must reach PAKS exactly once.
#[derive(Debug, Clone)]
pub struct SubmittedCase {
    pub desk: usize,
    pub case_id: i64,
    pub files: Vec<SentFile>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// `sync`: the long-lived worker, as the app runs it.
    Worker,
    /// `sync --until-idle` again and again, as a script would.
    UntilIdle,
}

#[derive(Default)]
pub struct SyncCounters {
    pub started: AtomicU64,
    pub killed: AtomicU64,
    pub until_idle_timeouts: AtomicU64,
    pub exited_with_error: AtomicU64,
}

impl Desk {
    pub fn new(index: usize, country: &'static str, root: &Path, cli: &Path, logs: &Path) -> Self {
        Self {
            index,
            country,
            dir: root.join(format!("desk-{index:02}")),
            cli: cli.to_owned(),
            log: logs.join(format!("desk-{index:02}.log")),
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.cli);
        c.arg("--data")
            .arg(&self.dir)
            .env("PAKS_DESK_KEYRING", "off")
            .env_remove("PAKS_DESK_DATA_DIR")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .env_remove("all_proxy")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        c
    }

    fn log_file(&self) -> anyhow::Result<File> {
        crate::open_log(&self.log)
    }

    /// Runs one command to its end; an error names the command and its stderr.
    pub async fn run<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        limit: Duration,
    ) -> anyhow::Result<Output> {
        let words =
            || args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>().join(" ");
        let out = tokio::time::timeout(limit, self.command().args(args).output())
            .await
            .with_context(|| format!("desk {}: `{}` took over {limit:?}", self.index, words()))?
            .with_context(|| format!("desk {}: running `{}`", self.index, words()))?;
        if !out.status.success() {
            bail!(
                "desk {}: `{}` failed ({}): {}",
                self.index,
                words(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out)
    }

    /// Runs `sync --until-idle` with its output in the desk's log; false if it was stopped at
    /// `limit` (or failed).
    pub async fn sync_until_idle(&self, limit: Duration) -> anyhow::Result<bool> {
        let log = self.log_file()?;
        let mut child = self
            .command()
            .args(["sync", "--until-idle"])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => Ok(status?.success()),
            Err(_) => {
                child.start_kill()?;
                child.wait().await?;
                Ok(false)
            }
        }
    }

    pub async fn json<S: AsRef<OsStr>>(&self, args: &[S]) -> anyhow::Result<serde_json::Value> {
        let out = self.run(args, COMMAND_TIMEOUT).await?;
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("desk {}: the output of a command is not JSON", self.index))
    }

    pub async fn set_up(&self, paks_url: &str, token: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let name = format!("Focal point {}", self.index);
        let email = format!("desk{:02}@soak.example.org", self.index);
        self.run(
            &[
                "profile",
                "set",
                "--name",
                &name,
                "--institution",
                "Ministry of Posts and Telecommunications",
                "--email",
                &email,
                "--country",
                self.country,
            ],
            COMMAND_TIMEOUT,
        )
        .await?;
        self.run(&["connect", paks_url, "--token", token], COMMAND_TIMEOUT).await?;
        Ok(())
    }

    /// Writes a complete case, attaches `files`, and submits it. Returns what PAKS must get.
    pub async fn submit_new_case(
        &self,
        serial: u64,
        files: &[PathBuf],
    ) -> anyhow::Result<SubmittedCase> {
        let title = format!("Soak case {serial} of desk {} ({})", self.index, self.country);
        let out = self
            .run(&["case", "new", "--title", &title, "--country", self.country], COMMAND_TIMEOUT)
            .await?;
        let id: i64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("desk {}: `case new` printed no id", self.index))?;
        let id_arg = id.to_string();
        for (field, text) in [
            ("summary", "District offices file their returns online instead of on paper."),
            ("problem", "Paper returns took weeks to reach the capital over poor roads."),
            ("solution", "A web form that works offline and sends when a link exists."),
            ("results", "Returns arrive in days; the error rate fell by half."),
        ] {
            self.run(&["case", "set", &id_arg, field, text], COMMAND_TIMEOUT).await?;
        }
        self.run(
            &[
                "case",
                "link",
                &id_arg,
                "--mdg",
                "8.F",
                "--indicator",
                "8.16",
                "--note",
                "Online services for district offices",
            ],
            COMMAND_TIMEOUT,
        )
        .await?;
        let mut sent = Vec::new();
        for path in files {
            let report = self
                .json(&[
                    OsStr::new("attach"),
                    OsStr::new(&id_arg),
                    path.as_os_str(),
                    OsStr::new("--json"),
                ])
                .await?;
            let attached = &report["attachment"];
            let sha256 = attached["sha256"].as_str().context("attach gave no sha256")?;
            let size = attached["size"].as_u64().context("attach gave no size")?;
            let name = attached["name"].as_str().context("attach gave no name")?;
            let (want_sha, want_size) = sha256_of_file(path)?;
            if sha256 != want_sha || size != want_size {
                bail!(
                    "desk {}: attach stored {name} as {sha256} ({size} bytes), the file is {want_sha} ({want_size} bytes)",
                    self.index
                );
            }
            sent.push(SentFile { name: name.to_owned(), sha256: want_sha, size });
        }
        self.run(&["submit", &id_arg], COMMAND_TIMEOUT).await?;
        Ok(SubmittedCase { desk: self.index, case_id: id, files: sent })
    }

    /// Keeps a `sync` process running until `stop` turns true; a message on `kill` SIGKILLs
    /// the one running.
    pub async fn supervise_sync(
        &self,
        mode: SyncMode,
        until_idle_limit: Duration,
        mut kill: mpsc::Receiver<()>,
        mut stop: watch::Receiver<bool>,
        mut rng: Rng,
        counters: &SyncCounters,
    ) -> anyhow::Result<()> {
        while !*stop.borrow() {
            // A kill asked for while nothing ran is not carried over to the next process.
            while kill.try_recv().is_ok() {}
            let mut cmd = self.command();
            cmd.arg("sync");
            if mode == SyncMode::UntilIdle {
                cmd.arg("--until-idle");
            }
            let log = self.log_file()?;
            let mut child = cmd.stdout(log.try_clone()?).stderr(log).spawn()?;
            counters.started.fetch_add(1, Ordering::Relaxed);
            let limit = match mode {
                SyncMode::UntilIdle => until_idle_limit,
                SyncMode::Worker => Duration::from_secs(365 * 24 * 3600),
            };
            tokio::select! {
                status = child.wait() => {
                    if !status?.success() {
                        counters.exited_with_error.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(()) = kill.recv() => {
                    child.start_kill()?;
                    child.wait().await?;
                    counters.killed.fetch_add(1, Ordering::Relaxed);
                }
                _ = tokio::time::sleep(limit) => {
                    child.start_kill()?;
                    child.wait().await?;
                    counters.until_idle_timeouts.fetch_add(1, Ordering::Relaxed);
                }
                _ = stop.changed() => {
                    child.start_kill()?;
                    child.wait().await?;
                    return Ok(());
                }
            }
            // The app's worker runs on; a script runs `--until-idle` now and then.
            let pause = match mode {
                SyncMode::Worker => rng.seconds(0.5, 3.0),
                SyncMode::UntilIdle => rng.seconds(2.0, 10.0),
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return Ok(()),
            }
        }
        Ok(())
    }
}

/// The files for one case: 0–1 real documents and 1–2 generated ones of 10 KB to `max_bytes`.
/// Generated files are written to `dir`; the caller deletes them once attached.
pub fn files_for_case(
    rng: &mut Rng,
    fixtures: &Path,
    dir: &Path,
    serial: u64,
    max_bytes: u64,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if rng.chance(0.5)
        && let Some(name) = rng.pick(&FIXTURES)
    {
        files.push(fixtures.join(name));
    }
    for k in 0..rng.below(1, 3) {
        let size = rng.log_uniform(10 * 1024, max_bytes);
        let mut bytes = vec![0u8; size as usize];
        rng.fill(&mut bytes);
        let path = dir.join(format!("survey-data-{serial}-{k}.bin"));
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    Ok(files)
}

/// A file's SHA-256 (hex) and size, read in full.
pub fn sha256_of_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}
