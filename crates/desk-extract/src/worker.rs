//! The isolated worker: one document per process, killed past its time or memory limit.
//!
//! Contract: the host spawns `program args…` (for a re-executed app, the app itself with
//! [`WORKER_ARG`] first), writes one JSON job to its stdin and closes it. The worker prints
//! `PAGES_PREFIX<n>` lines on stdout as it learns the page count, writes its reply as JSON to
//! the job's result file, and exits 0. Anything else on stdout or stderr is ignored.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::detect::detect;
use crate::error::ExtractError;
use crate::extract::{extract_in_process, extract_watched};
use crate::extraction::{Extraction, Outcome};
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::ocr::OcrProgress;

/// The argument with which a host binary is re-executed as the worker.
pub const WORKER_ARG: &str = "--extract-worker";
const PAGES_PREFIX: &str = "\u{1e}paks-extract-pages ";
const OCR_PLANNED_PREFIX: &str = "\u{1e}paks-extract-ocr-planned ";
const OCR_DONE_PREFIX: &str = "\u{1e}paks-extract-ocr-done ";
/// How often a running job looks at its cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(100);
const MAX_JOB_BYTES: u64 = 1 << 20;
const STDERR_TAIL: usize = 8 * 1024;

/// The program the host runs as the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Variables set for the worker on top of the host's environment (e.g. `PAKS_SOFFICE`).
    pub env: Vec<(OsString, OsString)>,
}

impl WorkerCommand {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self { program: program.into(), args: Vec::new(), env: Vec::new() }
    }

    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    #[must_use]
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The running executable re-executed with [`WORKER_ARG`]; its `main` must call
    /// [`run_worker_if_requested`] first thing.
    pub fn current_exe() -> Result<Self, ExtractError> {
        let exe = std::env::current_exe()?;
        Ok(Self::new(exe).arg(WORKER_ARG))
    }
}

/// Test-only misbehaviours of the worker, to prove the host survives them.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestHook {
    /// Panics outside any `catch_unwind`.
    Panic,
    /// Never finishes.
    Hang,
    /// Reports this many pages, then never finishes.
    ReportPagesThenHang(u32),
    /// Allocates and touches memory until it is stopped.
    EatMemory,
}

/// No misbehaviour exists outside test builds.
#[cfg(not(feature = "test-hooks"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TestHook {}

#[derive(Debug, Serialize, Deserialize)]
struct Job {
    path: PathArg,
    limits: Limits,
    result: PathArg,
    #[serde(default)]
    hook: Option<TestHook>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Done(Extraction),
    Failed(String),
}

/// A path that survives JSON whatever its bytes: file names need not be UTF-8.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PathArg(
    #[cfg(unix)] Vec<u8>,
    #[cfg(windows)] Vec<u16>,
    #[cfg(not(any(unix, windows)))] String,
);

impl PathArg {
    fn new(path: &Path) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            Self(path.as_os_str().as_bytes().to_vec())
        }
        #[cfg(windows)]
        {
            use std::os::windows::ffi::OsStrExt;
            Self(path.as_os_str().encode_wide().collect())
        }
        #[cfg(not(any(unix, windows)))]
        {
            Self(path.to_string_lossy().into_owned())
        }
    }

    fn to_path(&self) -> PathBuf {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            PathBuf::from(std::ffi::OsStr::from_bytes(&self.0))
        }
        #[cfg(windows)]
        {
            use std::os::windows::ffi::OsStringExt;
            PathBuf::from(OsString::from_wide(&self.0))
        }
        #[cfg(not(any(unix, windows)))]
        {
            PathBuf::from(&self.0)
        }
    }
}

/// Runs the worker and returns `Some(exit code)` when this process was started with
/// [`WORKER_ARG`] as its first argument; `None` otherwise. Call it first thing in `main`.
pub fn run_worker_if_requested() -> Option<ExitCode> {
    (std::env::args_os().nth(1).as_deref() == Some(WORKER_ARG.as_ref())).then(worker_main)
}

/// The worker: reads one job from stdin, extracts, writes the reply to the job's result file.
pub fn worker_main() -> ExitCode {
    let mut input = String::new();
    if std::io::stdin().take(MAX_JOB_BYTES).read_to_string(&mut input).is_err() {
        return ExitCode::from(2);
    }
    let Ok(job) = serde_json::from_str::<Job>(&input) else {
        return ExitCode::from(2);
    };
    if let Some(hook) = job.hook {
        misbehave(hook);
    }
    let mut report = |pages: u32| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{PAGES_PREFIX}{pages}");
        let _ = out.flush();
    };
    let mut report_ocr = |progress: OcrProgress| {
        let mut out = std::io::stdout().lock();
        let _ = match progress {
            OcrProgress::Planned(n) => writeln!(out, "{OCR_PLANNED_PREFIX}{n}"),
            OcrProgress::Done(n) => writeln!(out, "{OCR_DONE_PREFIX}{n}"),
        };
        let _ = out.flush();
    };
    let reply =
        match extract_watched(&job.path.to_path(), &job.limits, &mut report, &mut report_ocr) {
            Ok(e) => Reply::Done(e),
            Err(e) => Reply::Failed(e.to_string()),
        };
    let result = job.result.to_path();
    let Ok(json) = serde_json::to_vec(&reply) else {
        return ExitCode::from(3);
    };
    // Written aside and renamed, so the host never reads half a reply.
    let partial = result.with_extension("partial");
    if std::fs::write(&partial, json).and_then(|()| std::fs::rename(&partial, &result)).is_err() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

#[cfg(not(feature = "test-hooks"))]
fn misbehave(hook: TestHook) {
    match hook {}
}

#[cfg(feature = "test-hooks")]
fn misbehave(hook: TestHook) {
    match hook {
        TestHook::Panic => panic!("test hook: worker panics"),
        TestHook::Hang => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        TestHook::ReportPagesThenHang(n) => {
            let _ = writeln!(std::io::stdout(), "{PAGES_PREFIX}{n}");
            let _ = std::io::stdout().flush();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        TestHook::EatMemory => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 16 << 20]);
                if hoard.len() > 4096 {
                    // 64 GiB without being stopped: the limit is not working.
                    std::process::exit(4);
                }
            }
        }
    }
}

/// Extracts `path` in a worker process started from `worker`, within `limits`.
/// Content that crashes, loops or eats memory becomes an [`Outcome`]; `Err` is for files
/// that cannot be read and workers that cannot be started.
pub fn run_isolated(
    path: &Path,
    limits: &Limits,
    worker: &WorkerCommand,
) -> Result<Extraction, ExtractError> {
    run_job(path, limits, worker, None, &AtomicBool::new(false), &mut |_| {})
}

/// How far OCR of a file has got: `done` of `total` pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrStatus {
    pub done: u32,
    pub total: u32,
}

/// [`run_isolated`] that stops the worker (→ [`ExtractError::Cancelled`]) once `cancel` is
/// set, and tells `on_ocr` how many pages OCR has read of how many.
pub fn run_isolated_watched(
    path: &Path,
    limits: &Limits,
    worker: &WorkerCommand,
    cancel: &AtomicBool,
    on_ocr: &mut dyn FnMut(OcrStatus),
) -> Result<Extraction, ExtractError> {
    run_job(path, limits, worker, None, cancel, on_ocr)
}

/// [`run_isolated`] with a test-only misbehaviour of the worker.
#[cfg(feature = "test-hooks")]
pub fn run_isolated_with_hook(
    path: &Path,
    limits: &Limits,
    worker: &WorkerCommand,
    hook: TestHook,
) -> Result<Extraction, ExtractError> {
    run_job(path, limits, worker, Some(hook), &AtomicBool::new(false), &mut |_| {})
}

fn run_job(
    path: &Path,
    limits: &Limits,
    worker: &WorkerCommand,
    hook: Option<TestHook>,
    cancel: &AtomicBool,
    on_ocr: &mut dyn FnMut(OcrStatus),
) -> Result<Extraction, ExtractError> {
    let started = Instant::now();
    let detected = std::panic::catch_unwind(|| detect(path))
        .unwrap_or_else(|_| Err(ExtractError::WorkerProtocol("detection crashed".into())))?;
    let needs_worker = detected.size > 0
        && detected.size <= limits.max_file_bytes
        && matches!(
            detected.kind,
            DocKind::Pdf
                | DocKind::Pptx
                | DocKind::Ppsx
                | DocKind::Potx
                | DocKind::Docx
                | DocKind::Xlsx
                | DocKind::Odp
                | DocKind::Odt
                | DocKind::Ppt
                | DocKind::Doc
        )
        || (matches!(detected.kind, DocKind::Png | DocKind::Jpeg | DocKind::Tiff)
            && !limits.ocr_languages.trim().is_empty()
            && detected.size <= limits.max_file_bytes);
    if !needs_worker && hook.is_none() {
        // Nothing here parses the content beyond what detection already did.
        return extract_in_process(path, limits);
    }
    let memory = if matches!(detected.kind, DocKind::Ppt | DocKind::Doc) {
        limits.soffice_memory_bytes
    } else {
        limits.memory_bytes
    };

    let dir = tempfile::tempdir()?;
    let result = dir.path().join("reply.json");
    let job = Job {
        path: PathArg::new(path),
        limits: limits.clone(),
        result: PathArg::new(&result),
        hook,
    };
    let job = serde_json::to_vec(&job).map_err(|e| ExtractError::BadJob(e.to_string()))?;

    let mut command = Command::new(&worker.program);
    command
        .args(&worker.args)
        .envs(worker.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a LibreOffice it started dies with it.
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|source| ExtractError::WorkerSpawn {
        program: worker.program.display().to_string(),
        source,
    })?;
    // The limit is set before the job is written, and the worker reads the job first.
    if let Err(e) = limit_memory(&child, memory) {
        kill(&mut child);
        return Err(ExtractError::WorkerSpawn {
            program: worker.program.display().to_string(),
            source: e,
        });
    }

    let (tx, rx) = mpsc::channel::<Option<Said>>();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let number = |prefix: &str| line.strip_prefix(prefix)?.trim().parse::<u32>().ok();
                let said = number(PAGES_PREFIX)
                    .map(Said::Pages)
                    .or_else(|| number(OCR_PLANNED_PREFIX).map(Said::OcrPlanned))
                    .or_else(|| number(OCR_DONE_PREFIX).map(Said::OcrDone));
                if let Some(said) = said {
                    let _ = tx.send(Some(said));
                }
            }
            let _ = tx.send(None);
        });
    }
    let stderr_tail = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 4096];
            let mut stderr = stderr;
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 2 * STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        })
    });
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that died at once is reported through its exit status below.
        let _ = stdin.write_all(&job);
    }

    let mut pages = 0u32;
    let mut ocr = OcrStatus { done: 0, total: 0 };
    let mut stdout_open = true;
    let status = loop {
        let allowed = limits.timeout_with_ocr(pages, ocr.total);
        let deadline = started + allowed;
        let now = Instant::now();
        if now >= deadline {
            kill(&mut child);
            return Ok(timed_out(detected.kind, allowed));
        }
        if cancel.load(Ordering::Relaxed) {
            kill(&mut child);
            return Err(ExtractError::Cancelled);
        }
        if stdout_open {
            match rx.recv_timeout((deadline - now).min(CANCEL_POLL)) {
                Ok(Some(Said::Pages(n))) => pages = n,
                Ok(Some(Said::OcrPlanned(n))) => {
                    ocr = OcrStatus { done: 0, total: n };
                    on_ocr(ocr);
                }
                Ok(Some(Said::OcrDone(n))) => {
                    ocr.done = n.min(ocr.total);
                    on_ocr(ocr);
                }
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => stdout_open = false,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        match child.try_wait()? {
            Some(status) => break status,
            None if stdout_open => {}
            None => std::thread::sleep(
                Duration::from_millis(2).min(deadline - Instant::now().min(deadline)),
            ),
        }
    };
    kill_group(&child);
    let stderr = stderr_tail.and_then(|t| t.join().ok()).unwrap_or_default();

    let reply = std::fs::read(&result).ok().and_then(|b| serde_json::from_slice::<Reply>(&b).ok());
    match reply {
        Some(Reply::Done(mut e)) if status.success() => {
            e.kind = detected.kind;
            Ok(e)
        }
        Some(Reply::Failed(msg)) if status.success() => Err(ExtractError::WorkerFailed(msg)),
        _ => Ok(crashed(detected, status, &stderr, memory)),
    }
}

/// What the worker says on stdout while it works.
enum Said {
    Pages(u32),
    OcrPlanned(u32),
    OcrDone(u32),
}

fn timed_out(kind: DocKind, after: Duration) -> Extraction {
    let after_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
    Extraction::without_text(kind, "none", Outcome::TimedOut { after_ms })
}

fn crashed(detected: crate::Detected, status: ExitStatus, stderr: &str, memory: u64) -> Extraction {
    let out_of_memory = stderr.contains("memory allocation of")
        || stderr.contains("out of memory")
        || stderr.contains("failed to allocate")
        || stderr.contains("Cannot allocate memory");
    let outcome = if out_of_memory {
        Outcome::MemoryLimit { limit_mb: memory >> 20 }
    } else {
        Outcome::Damaged { reason: format!("the text reader crashed on it ({})", describe(status)) }
    };
    let mut e = Extraction::without_text(detected.kind, "none", outcome);
    e.extension_disagrees = detected.extension_disagrees;
    e
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal {sig}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    }
}

#[cfg(target_os = "linux")]
fn limit_memory(child: &Child, bytes: u64) -> std::io::Result<()> {
    use rustix::process::{Pid, Resource, Rlimit, prlimit};
    let limit = Rlimit { current: Some(bytes), maximum: Some(bytes) };
    prlimit(Some(Pid::from_child(child)), Resource::As, limit)
        .map(|_| ())
        .map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn limit_memory(_child: &Child, _bytes: u64) -> std::io::Result<()> {
    // No portable way to cap another process's memory from outside; the time limit
    // still applies.
    Ok(())
}

fn kill(child: &mut Child) {
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)]
fn kill_group(child: &Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}
