//! The soak test of issue 14: for a set time, desks (`paks-desk-cli` data folders) write cases
//! with real attachments and send them through a cutting proxy to one real `paks-server`, while
//! the server is SIGKILLed and restarted, the desks' `sync` processes are SIGKILLed and started
//! again, and the server's disk is filled and freed. Then a quiet phase lets every desk finish,
//! the operator publishes every case, and the checks run: every case at PAKS exactly once,
//! every file's SHA-256, no job stuck, no idempotency claim open, nothing in temp folders.
//! Exits 0 when every check passes, 1 when one fails, 2 when the harness itself could not run.
//!
//! It drives the built binaries as separate processes (as people run them), so it depends on no
//! crate of the workspace; `scripts/soak.sh MINUTES` builds them in release and runs it.

mod checks;
mod desk;
mod proxy;
mod rng;
mod server;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::checks::{Check, DeskJob, Evidence, Tally};
use crate::desk::{Desk, SubmittedCase, SyncCounters, SyncMode};
use crate::proxy::CuttingProxy;
use crate::rng::Rng;
use crate::server::{DiskFiller, PaksServer, SmallDisk};

/// ESCAP members, one focal point (and token) per desk.
const COUNTRIES: [&str; 20] = [
    "LAO", "BTN", "KIR", "NPL", "KHM", "MMR", "BGD", "MNG", "FJI", "VUT", "TLS", "WSM", "TON",
    "TUV", "SLB", "PNG", "LKA", "MDV", "AFG", "THA",
];

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The soak test: desks, a cutting proxy, one paks-server, faults; then checks.
#[derive(Parser, Debug)]
#[command(name = "paks-soak")]
struct Options {
    /// Minutes of faults (the quiet phase and the checks come after).
    #[arg(long, env = "SOAK_MINUTES", default_value_t = 30.0)]
    minutes: f64,
    /// Desks (separate data folders, one focal point each).
    #[arg(long, env = "SOAK_DESKS", default_value_t = 20)]
    desks: usize,
    /// Seed of every random choice (printed; default from the clock).
    #[arg(long, env = "SOAK_SEED")]
    seed: Option<u64>,
    /// Folder holding paks-server and paks-desk-cli.
    #[arg(long, env = "SOAK_BIN_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release"))]
    bin_dir: PathBuf,
    /// Where the run's logs, the server's database and the report are kept.
    #[arg(long, env = "SOAK_OUT", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/soak"))]
    out: PathBuf,
    /// Where the desks' and the server's folders are made (removed at the end).
    #[arg(long, env = "SOAK_WORK", default_value = "/var/tmp")]
    work: PathBuf,
    /// Size of the server's own tmpfs.
    #[arg(long, env = "SOAK_SERVER_FS_MIB", default_value_t = 2048)]
    server_fs_mib: u64,
    /// Without a tmpfs (no rights to mount), a disk fill writes at most this much.
    #[arg(long, env = "SOAK_FILL_CAP_MIB", default_value_t = 256)]
    fill_cap_mib: u64,
    /// Mean seconds between two cases of one desk.
    #[arg(long, env = "SOAK_CASE_EVERY_S", default_value_t = 40.0)]
    case_every_s: f64,
    /// Largest generated attachment.
    #[arg(long, env = "SOAK_MAX_FILE_KIB", default_value_t = 4096)]
    max_file_kib: u64,
    /// Share of connections the proxy resets after a random number of bytes.
    #[arg(long, env = "SOAK_CUT_PROBABILITY", default_value_t = 0.3)]
    cut_probability: f64,
    /// Share of submission POSTs whose connection is reset within 30 ms of the request.
    #[arg(long, env = "SOAK_ANSWER_CUT_PROBABILITY", default_value_t = 0.25)]
    answer_cut_probability: f64,
    /// Mean seconds between server SIGKILLs.
    #[arg(long, env = "SOAK_SERVER_KILL_EVERY_S", default_value_t = 45.0)]
    server_kill_every_s: f64,
    /// Mean seconds between SIGKILLs of a desk's sync (any desk).
    #[arg(long, env = "SOAK_DESK_KILL_EVERY_S", default_value_t = 8.0)]
    desk_kill_every_s: f64,
    /// Mean seconds between disk fills.
    #[arg(long, env = "SOAK_DISK_FILL_EVERY_S", default_value_t = 75.0)]
    disk_fill_every_s: f64,
    /// Mean seconds between link outages.
    #[arg(long, env = "SOAK_OUTAGE_EVERY_S", default_value_t = 40.0)]
    outage_every_s: f64,
    /// Limit of the quiet phase in minutes (default: half the fault time, 3 to 10).
    #[arg(long, env = "SOAK_QUIET_MINUTES")]
    quiet_minutes: Option<f64>,
    /// Keep the work folder (desks' data, server files) instead of removing it.
    #[arg(long, env = "SOAK_KEEP")]
    keep: bool,
}

impl Options {
    fn quiet_limit(&self) -> Duration {
        let minutes = self.quiet_minutes.unwrap_or((self.minutes / 2.0).clamp(3.0, 10.0));
        Duration::from_secs_f64(minutes * 60.0)
    }
}

fn main() -> ExitCode {
    let opts = Options::parse();
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("soak: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: &Options) -> anyhow::Result<bool> {
    let seed = opts.seed.unwrap_or_else(seed_from_clock);
    println!("soak: seed {seed} (SOAK_SEED={seed} draws the same faults again)");
    let bins = Binaries::find(&opts.bin_dir)?;
    let fixtures = PathBuf::from(WORKSPACE).join("crates/desk-extract/tests/fixtures");
    let work = opts.work.join(format!("paks-soak-{seed}-{}", std::process::id()));
    let out = opts.out.join(format!("run-{seed}"));
    std::fs::create_dir_all(work.join("generated"))?;
    std::fs::create_dir_all(out.join("logs"))?;
    let mut disk = SmallDisk::mount(&work.join("server-fs"), opts.server_fs_mib)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let setup = Setup { opts, seed, bins, fixtures, work: work.clone(), out: out.clone() };
    let result = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = soak(&setup, &disk) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted (SIGINT)")),
            _ = term.recv() => Err(anyhow::anyhow!("interrupted (SIGTERM)")),
        }
    });
    // Dropping the runtime drops every child process handle: each is SIGKILLed (kill_on_drop).
    drop(runtime);
    std::thread::sleep(Duration::from_millis(300));
    disk.unmount();
    if opts.keep {
        println!("soak: work folder kept: {}", work.display());
    } else if let Err(e) = std::fs::remove_dir_all(&work) {
        eprintln!("soak: could not remove {}: {e}", work.display());
    }
    println!("soak: logs, report and the server's database: {}", out.display());
    result
}

fn seed_from_clock() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (nanos ^ (u64::from(std::process::id()) << 32)) % 1_000_000_000
}

struct Binaries {
    server: PathBuf,
    cli: PathBuf,
}

impl Binaries {
    fn find(dir: &Path) -> anyhow::Result<Self> {
        let b = Binaries { server: dir.join("paks-server"), cli: dir.join("paks-desk-cli") };
        for path in [&b.server, &b.cli] {
            if !path.is_file() {
                bail!(
                    "{} is missing: build it (cargo build --release -p paks-server -p desk-cli) or pass --bin-dir",
                    path.display()
                );
            }
        }
        Ok(b)
    }
}

struct Setup<'a> {
    opts: &'a Options,
    seed: u64,
    bins: Binaries,
    fixtures: PathBuf,
    work: PathBuf,
    out: PathBuf,
}

/// Faults as they were really done (counted when done, not when drawn).
#[derive(Default)]
struct FaultCounters {
    server_kills: AtomicU64,
    server_start_failures: AtomicU64,
    disk_fills: AtomicU64,
    disk_fill_bytes_max: AtomicU64,
    outages: AtomicU64,
    desk_kills_asked: AtomicU64,
}

/// What the desks' case writers gathered.
#[derive(Default)]
struct Submitted {
    cases: Mutex<Vec<SubmittedCase>>,
    errors: Mutex<Vec<String>>,
    /// Bytes the cases may still add on the server's small disk.
    budget_left: AtomicU64,
    budget_reached: AtomicBool,
}

impl Submitted {
    fn take_budget(&self, bytes: u64) -> bool {
        let taken = self
            .budget_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(bytes))
            .is_ok();
        if !taken {
            self.budget_reached.store(true, Ordering::SeqCst);
        }
        taken
    }
}

/// A log file that every start of a process appends to.
fn open_log(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn soak(setup: &Setup<'_>, disk: &SmallDisk) -> anyhow::Result<bool> {
    let opts = setup.opts;
    let mut rng = Rng::new(setup.seed);
    let logs = setup.out.join("logs");
    let port = free_port()?;
    let server_data = disk.root().join("data");
    let server = Arc::new(tokio::sync::Mutex::new(PaksServer::new(
        &setup.bins.server,
        &server_data,
        port,
        &logs.join("server.log"),
    )));
    let desks: Vec<Arc<Desk>> = (0..opts.desks)
        .map(|i| {
            Arc::new(Desk::new(
                i,
                COUNTRIES[i % COUNTRIES.len()],
                &setup.work,
                &setup.bins.cli,
                &logs,
            ))
        })
        .collect();

    // Set-up, without faults: focal points, the server, the proxy, each desk connected.
    let mut tokens = Vec::new();
    {
        let s = server.lock().await;
        for d in &desks {
            tokens.push(s.add_focal_point(d.country, &format!("Focal point {}", d.index)).await?);
        }
    }
    server.lock().await.start().await?;
    let target: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let proxy = Arc::new(
        CuttingProxy::start(target, opts.cut_probability, opts.answer_cut_probability, rng.fork())
            .await?,
    );
    let url = format!("http://{}", proxy.addr());
    let mut set_up = JoinSet::new();
    for (d, token) in desks.iter().zip(tokens) {
        let (d, url) = (d.clone(), url.clone());
        set_up.spawn(async move { d.set_up(&url, &token).await });
    }
    while let Some(r) = set_up.join_next().await {
        r??;
    }
    println!(
        "soak: {} desks connected to PAKS at 127.0.0.1:{port} through the proxy at {}; server data on {}",
        desks.len(),
        proxy.addr(),
        match &disk.why_not_mounted {
            None => format!("its own tmpfs of {} MiB", opts.server_fs_mib),
            Some(why) => format!("the work folder's disk (tmpfs not mounted: {why})"),
        }
    );

    // The faults phase.
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(opts.minutes * 60.0);
    let submitted = Arc::new(Submitted::default());
    let budget = if disk.is_mounted() { disk.size_bytes / 2 } else { u64::MAX };
    submitted.budget_left.store(budget, Ordering::SeqCst);
    let sync_counters = Arc::new(SyncCounters::default());
    let faults = Arc::new(FaultCounters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    proxy.set_quiet(false);

    let mut syncs = JoinSet::new();
    let mut kill_txs = Vec::new();
    let until_idle_limit = Duration::from_secs(180);
    for d in &desks {
        let (tx, rx) = mpsc::channel(1);
        kill_txs.push(tx);
        let mode = if d.index % 2 == 0 { SyncMode::Worker } else { SyncMode::UntilIdle };
        let (d, stop, r, c) = (d.clone(), stop_rx.clone(), rng.fork(), sync_counters.clone());
        syncs.spawn(async move { d.supervise_sync(mode, until_idle_limit, rx, stop, r, &c).await });
    }
    let mut writers = JoinSet::new();
    for d in &desks {
        let w = CaseWriter {
            desk: d.clone(),
            rng: rng.fork(),
            fixtures: setup.fixtures.clone(),
            generated: setup.work.join("generated"),
            every_s: opts.case_every_s,
            max_bytes: opts.max_file_kib * 1024,
            deadline,
            submitted: submitted.clone(),
        };
        writers.spawn(w.run());
    }
    let injector = FaultInjector {
        rng: rng.fork(),
        deadline,
        server: server.clone(),
        proxy: proxy.clone(),
        filler: Arc::new(DiskFiller::new(disk, opts.fill_cap_mib << 20)),
        kill_txs,
        counters: faults.clone(),
        opts_means: [
            opts.server_kill_every_s,
            opts.desk_kill_every_s,
            opts.disk_fill_every_s,
            opts.outage_every_s,
        ],
    };
    let progress =
        tokio::spawn(report_progress(started, deadline, submitted.clone(), faults.clone()));
    let injected = injector.run().await;
    while let Some(r) = writers.join_next().await {
        r??;
    }
    progress.abort();
    injected?;
    let fault_time = started.elapsed();

    // The quiet phase: no faults; every desk sends what is left, then the operator publishes
    // and every desk learns it.
    let quiet_started = Instant::now();
    let _ = stop_tx.send(true);
    while let Some(r) = syncs.join_next().await {
        r??;
    }
    proxy.set_quiet(true);
    server.lock().await.start_retrying(Duration::from_secs(90)).await?;
    let cases = submitted.cases.lock().map(|c| c.clone()).unwrap_or_default();
    println!(
        "soak: faults over after {:.1} min; {} cases submitted; quiet phase (limit {:.0} min)",
        fault_time.as_secs_f64() / 60.0,
        cases.len(),
        opts.quiet_limit().as_secs_f64() / 60.0
    );
    let quiet_deadline = quiet_started + opts.quiet_limit();
    let quiet_timeouts = send_everything(&desks, quiet_deadline).await?;
    let published = publish_all(&setup.bins.server, &server_data).await?;
    let review_timeouts = learn_reviews(&desks, quiet_deadline).await?;
    let quiet_time = quiet_started.elapsed();

    // Stop the server, then gather what is known and check it.
    let stopped_on_term = server.lock().await.stop(Duration::from_secs(20)).await?;
    for name in ["paks.sqlite3", "paks.sqlite3-wal", "paks.sqlite3-shm"] {
        let from = server_data.join(name);
        if from.exists() {
            std::fs::copy(&from, setup.out.join(name))?;
        }
    }
    let snapshot = checks::read_server(&server_data.join("paks.sqlite3"))?;
    let mut jobs: Vec<DeskJob> = Vec::new();
    let mut leftovers = checks::temp_leftovers(&server_data)?;
    for d in &desks {
        jobs.extend(checks::jobs_of_outbox(d.index, &d.json(&["outbox", "--json"]).await?)?);
        leftovers.extend(checks::temp_leftovers(&d.dir)?);
    }
    // Named from the work folder: `server-fs/data/uploads/…`, `desk-03/attachments/tmp/…`.
    let leftovers: Vec<PathBuf> = leftovers
        .iter()
        .map(|p| p.strip_prefix(&setup.work).map_or_else(|_| p.clone(), Path::to_path_buf))
        .collect();
    let errors = submitted.errors.lock().map(|e| e.clone()).unwrap_or_default();
    let evidence = Evidence {
        submitted: &cases,
        jobs: &jobs,
        server: &snapshot,
        uploads_dir: &server_data.join("uploads"),
        temp_leftovers: &leftovers,
        desk_command_errors: &errors,
    };
    let (checks, tally) = checks::evaluate(&evidence)?;
    let run = RunFigures {
        seed: setup.seed,
        desks: desks.len(),
        fault_time,
        quiet_time,
        quiet_timeouts: quiet_timeouts + review_timeouts,
        published,
        stopped_on_term,
        budget_reached: submitted.budget_reached.load(Ordering::SeqCst),
    };
    let text = report(
        opts,
        disk,
        &run,
        &cases,
        &faults,
        &sync_counters,
        &proxy,
        &checks,
        &tally,
        &snapshot,
    );
    println!("{text}");
    std::fs::write(setup.out.join("report.md"), &text)?;
    let mut problems = String::new();
    for c in checks.iter().filter(|c| !c.passed) {
        let _ = writeln!(problems, "## {}\n{}\n", c.name, c.problems.join("\n"));
    }
    std::fs::write(setup.out.join("problems.txt"), problems)?;
    Ok(checks.iter().all(|c| c.passed))
}

struct CaseWriter {
    desk: Arc<Desk>,
    rng: Rng,
    fixtures: PathBuf,
    generated: PathBuf,
    every_s: f64,
    max_bytes: u64,
    deadline: Instant,
    submitted: Arc<Submitted>,
}

impl CaseWriter {
    /// Writes and submits cases at random intervals until the deadline (or the disk budget).
    async fn run(mut self) -> anyhow::Result<()> {
        let mut serial = 0u64;
        let mut wait = self.rng.seconds(0.0, self.every_s);
        loop {
            if Instant::now() + wait >= self.deadline {
                return Ok(());
            }
            tokio::time::sleep(wait).await;
            wait = self.rng.seconds(0.5 * self.every_s, 1.5 * self.every_s);
            serial += 1;
            let files = desk::files_for_case(
                &mut self.rng,
                &self.fixtures,
                &self.generated,
                self.desk.index as u64 * 1_000_000 + serial,
                self.max_bytes,
            )?;
            let bytes: u64 =
                files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
            let outcome = if self.submitted.take_budget(bytes) {
                Some(self.desk.submit_new_case(serial, &files).await)
            } else {
                None
            };
            for f in files.iter().filter(|f| f.starts_with(&self.generated)) {
                std::fs::remove_file(f)?;
            }
            match outcome {
                None => return Ok(()),
                Some(Ok(case)) => {
                    if let Ok(mut cases) = self.submitted.cases.lock() {
                        cases.push(case);
                    }
                }
                Some(Err(e)) => {
                    if let Ok(mut errors) = self.submitted.errors.lock() {
                        errors.push(format!("{e:#}"));
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    ServerKill,
    DeskKill,
    DiskFill,
    Outage,
}

const FAULTS: [Fault; 4] = [Fault::ServerKill, Fault::DeskKill, Fault::DiskFill, Fault::Outage];

struct FaultInjector {
    rng: Rng,
    deadline: Instant,
    server: Arc<tokio::sync::Mutex<PaksServer>>,
    proxy: Arc<CuttingProxy>,
    filler: Arc<DiskFiller>,
    kill_txs: Vec<mpsc::Sender<()>>,
    counters: Arc<FaultCounters>,
    /// Mean seconds between faults, in the order of `FAULTS`.
    opts_means: [f64; 4],
}

impl FaultInjector {
    /// Draws each kind's next time from its own Poisson process; long faults (a restart, a
    /// full disk, an outage) run beside the others. Returns once the deadline has passed and
    /// every fault has ended: the server runs, the disk is freed, the link is up.
    async fn run(mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        let mut next: Vec<Instant> =
            self.opts_means.iter().map(|m| now + self.rng.exponential(*m)).collect();
        let mut running: JoinSet<anyhow::Result<()>> = JoinSet::new();
        let filling = Arc::new(AtomicBool::new(false));
        let outage = Arc::new(AtomicBool::new(false));
        while let Some((i, at)) = next.iter().copied().enumerate().min_by_key(|(_, at)| *at) {
            if at >= self.deadline {
                break;
            }
            tokio::time::sleep_until(at).await;
            next[i] = Instant::now() + self.rng.exponential(self.opts_means[i]);
            match FAULTS[i] {
                Fault::ServerKill => {
                    let down = self.rng.seconds(0.5, 4.0);
                    let (server, c) = (self.server.clone(), self.counters.clone());
                    running.spawn(async move {
                        // A restart still under way is not killed again.
                        let Ok(mut s) = server.try_lock() else { return Ok(()) };
                        s.sigkill().await?;
                        c.server_kills.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(down).await;
                        let failures = s.start_retrying(Duration::from_secs(90)).await?;
                        c.server_start_failures.fetch_add(u64::from(failures), Ordering::Relaxed);
                        Ok(())
                    });
                }
                Fault::DeskKill => {
                    if let Some(tx) = self.rng.pick(&self.kill_txs) {
                        // Counted by the desk when a process was running to be killed.
                        let _ = tx.try_send(());
                        self.counters.desk_kills_asked.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Fault::DiskFill => {
                    if filling.swap(true, Ordering::SeqCst) {
                        continue;
                    }
                    let hold = self.rng.seconds(5.0, 20.0);
                    let (filler, c, flag) =
                        (self.filler.clone(), self.counters.clone(), filling.clone());
                    running.spawn(async move {
                        let f = filler.clone();
                        let written = tokio::task::spawn_blocking(move || f.fill()).await??;
                        c.disk_fills.fetch_add(1, Ordering::Relaxed);
                        c.disk_fill_bytes_max.fetch_max(written, Ordering::Relaxed);
                        tokio::time::sleep(hold).await;
                        tokio::task::spawn_blocking(move || filler.free()).await??;
                        flag.store(false, Ordering::SeqCst);
                        Ok(())
                    });
                }
                Fault::Outage => {
                    if outage.swap(true, Ordering::SeqCst) {
                        continue;
                    }
                    let length = self.rng.seconds(1.0, 6.0);
                    let (proxy, c, flag) =
                        (self.proxy.clone(), self.counters.clone(), outage.clone());
                    running.spawn(async move {
                        proxy.begin_outage();
                        c.outages.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(length).await;
                        proxy.end_outage();
                        flag.store(false, Ordering::SeqCst);
                        Ok(())
                    });
                }
            }
        }
        tokio::time::sleep_until(self.deadline).await;
        while let Some(r) = running.join_next().await {
            r??;
        }
        Ok(())
    }
}

async fn report_progress(
    started: Instant,
    deadline: Instant,
    submitted: Arc<Submitted>,
    faults: Arc<FaultCounters>,
) {
    loop {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let cases = submitted.cases.lock().map(|c| c.len()).unwrap_or(0);
        println!(
            "soak: {:>4.1} of {:.1} min: {cases} cases submitted; server kills {}, disk fills {}, outages {}",
            started.elapsed().as_secs_f64() / 60.0,
            (deadline - started).as_secs_f64() / 60.0,
            faults.server_kills.load(Ordering::Relaxed),
            faults.disk_fills.load(Ordering::Relaxed),
            faults.outages.load(Ordering::Relaxed),
        );
    }
}

/// Whether every job of this outbox holds a receipt, or waits for a person (which no retry
/// changes).
fn all_sent(jobs: &[DeskJob]) -> bool {
    jobs.iter().all(|j| j.submission_id.is_some() || j.state == "needs_attention")
}

/// Runs `sync --until-idle` on every desk whose outbox still sends, round after round, until
/// everything holds a receipt or the deadline. Returns how many runs hit their time limit.
async fn send_everything(desks: &[Arc<Desk>], deadline: Instant) -> anyhow::Result<u64> {
    let mut timeouts = 0;
    let mut pending: Vec<Arc<Desk>> = desks.to_vec();
    while !pending.is_empty() && Instant::now() < deadline {
        let limit = (deadline - Instant::now()).min(Duration::from_secs(120));
        let mut runs = JoinSet::new();
        for d in pending.drain(..) {
            runs.spawn(async move {
                let finished = d.sync_until_idle(limit).await?;
                let jobs = checks::jobs_of_outbox(d.index, &d.json(&["outbox", "--json"]).await?)?;
                Ok::<_, anyhow::Error>((d, finished, all_sent(&jobs)))
            });
        }
        while let Some(r) = runs.join_next().await {
            let (d, finished, sent) = r??;
            if !finished {
                timeouts += 1;
            }
            if !sent {
                pending.push(d);
            }
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    Ok(timeouts)
}

/// The operator publishes every received submission (`paks-server review publish`).
async fn publish_all(server_bin: &Path, data: &Path) -> anyhow::Result<u64> {
    let run = |args: Vec<String>| async move {
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::process::Command::new(server_bin).arg("--data").arg(data).args(&args).output(),
        )
        .await
        .context("paks-server review took over 60 s")??;
        if !out.status.success() {
            bail!("paks-server {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let list =
        run(vec!["review".into(), "list".into(), "--state".into(), "received".into()]).await?;
    let mut published = 0;
    for id in list.lines().filter_map(|l| l.split('\t').next()).filter(|id| !id.is_empty()) {
        run(vec!["review".into(), "publish".into(), id.to_owned()]).await?;
        published += 1;
    }
    Ok(published)
}

/// Every desk asks at once for the review state of what it sent (`retry`, then
/// `sync --until-idle`), so that its jobs end as done. Returns the runs that hit their limit.
async fn learn_reviews(desks: &[Arc<Desk>], quiet_deadline: Instant) -> anyhow::Result<u64> {
    // However little of the quiet phase is left, the desks get a minute to hear the news.
    let limit = (quiet_deadline.saturating_duration_since(Instant::now()))
        .max(Duration::from_secs(60))
        .min(Duration::from_secs(180));
    let mut runs = JoinSet::new();
    for d in desks {
        let d = d.clone();
        runs.spawn(async move {
            let jobs = checks::jobs_of_outbox(d.index, &d.json(&["outbox", "--json"]).await?)?;
            for j in jobs.iter().filter(|j| j.state != "done" && j.submission_id.is_some()) {
                d.run(&["retry", &j.case_id.to_string()], Duration::from_secs(60)).await?;
            }
            d.sync_until_idle(limit).await
        });
    }
    let mut timeouts = 0;
    while let Some(r) = runs.join_next().await {
        if !r?? {
            timeouts += 1;
        }
    }
    Ok(timeouts)
}

struct RunFigures {
    seed: u64,
    desks: usize,
    fault_time: Duration,
    quiet_time: Duration,
    quiet_timeouts: u64,
    published: u64,
    stopped_on_term: bool,
    budget_reached: bool,
}

#[allow(clippy::too_many_arguments)] // One report of everything the run gathered.
fn report(
    opts: &Options,
    disk: &SmallDisk,
    run: &RunFigures,
    cases: &[SubmittedCase],
    faults: &FaultCounters,
    syncs: &SyncCounters,
    proxy: &CuttingProxy,
    checks: &[Check],
    tally: &Tally,
    server: &checks::ServerSnapshot,
) -> String {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let files: Vec<_> = cases.iter().flat_map(|c| c.files.iter()).collect();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let fixtures = files.iter().filter(|f| !f.name.ends_with(".bin")).count();
    let p = proxy.counters();
    let mut t = String::new();
    let _ = writeln!(t, "\n## Soak run, seed {}\n", run.seed);
    let _ = writeln!(t, "| what | figure |\n|---|---|");
    let mut row = |what: &str, figure: String| {
        let _ = writeln!(t, "| {what} | {figure} |");
    };
    row(
        "time",
        format!(
            "{:.1} min of faults, then {:.1} min quiet (sending limit {:.0} min, then the reviews; {} `sync --until-idle` runs hit their limit)",
            run.fault_time.as_secs_f64() / 60.0,
            run.quiet_time.as_secs_f64() / 60.0,
            opts.quiet_limit().as_secs_f64() / 60.0,
            run.quiet_timeouts
        ),
    );
    row(
        "desks",
        format!(
            "{} ({} with the long-lived `sync` worker, {} looping `sync --until-idle`)",
            run.desks,
            run.desks.div_ceil(2),
            run.desks / 2
        ),
    );
    row(
        "cases submitted",
        format!(
            "{}{}",
            cases.len(),
            if run.budget_reached {
                " (new cases stopped at the server disk's budget)"
            } else {
                ""
            }
        ),
    );
    row(
        "files",
        format!(
            "{} ({} real documents, {} generated), {:.1} MB",
            files.len(),
            fixtures,
            files.len() - fixtures,
            bytes as f64 / 1e6
        ),
    );
    row(
        "through the proxy",
        format!(
            "{} connections, {:.1} MB",
            load(&p.connections),
            load(&p.bytes_relayed) as f64 / 1e6
        ),
    );
    row(
        "server SIGKILLed and restarted",
        format!(
            "{} (start attempts that failed: {})",
            load(&faults.server_kills),
            load(&faults.server_start_failures)
        ),
    );
    row(
        "desk `sync` SIGKILLed",
        format!(
            "{} (of {} asked; {} sync processes started; {} `--until-idle` runs stopped after 180 s; {} exited non-zero)",
            load(&syncs.killed),
            load(&faults.desk_kills_asked),
            load(&syncs.started),
            load(&syncs.until_idle_timeouts),
            load(&syncs.exited_with_error)
        ),
    );
    row(
        "server disk filled and freed",
        match &disk.why_not_mounted {
            None => format!(
                "{} (tmpfs {} MiB, filled to 0 bytes free with up to {:.0} MB, held 5–20 s)",
                load(&faults.disk_fills),
                opts.server_fs_mib,
                load(&faults.disk_fill_bytes_max) as f64 / 1e6
            ),
            Some(why) => format!(
                "{} — NOT full: no tmpfs ({why}); each fill wrote at most {} MiB",
                load(&faults.disk_fills),
                opts.fill_cap_mib
            ),
        },
    );
    row(
        "link outages",
        format!(
            "{} (1–6 s; {} connections reset, {} refused)",
            load(&faults.outages),
            load(&p.reset_by_outage),
            load(&p.refused_during_outage)
        ),
    );
    row(
        "connections cut mid-stream",
        format!(
            "{} ({:.0}% of connections drawn)",
            load(&p.cut_mid_stream),
            opts.cut_probability * 100.0
        ),
    );
    row(
        "submission POSTs whose answer was cut off",
        format!(
            "{} of {} POSTs seen ({:.0}% drawn; reset 0–30 ms after the request)",
            load(&p.cut_awaiting_answer),
            load(&p.submission_posts),
            opts.answer_cut_probability * 100.0
        ),
    );
    row(
        "submissions at PAKS / published at the end",
        format!("{} / {}", server.submissions.len(), run.published),
    );
    row(
        "uploads at PAKS no submission uses",
        format!(
            "{} ({:.1} MB; expire after the upload TTL)",
            tally.upload_files_unused,
            tally.upload_bytes_unused as f64 / 1e6
        ),
    );
    row(
        "outbox jobs by state/phase",
        tally.jobs_by_state.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "),
    );
    row(
        "server stopped by SIGTERM within 20 s",
        (if run.stopped_on_term { "yes" } else { "no (SIGKILLed)" }).into(),
    );
    row("lost", format!("{} cases, {} files (goal: 0)", tally.lost_cases, tally.lost_files));
    let _ = writeln!(t, "\n| check | result | detail |\n|---|---|---|");
    for c in checks {
        let _ = writeln!(
            t,
            "| {} | {} | {} |",
            c.name,
            if c.passed { "PASS" } else { "FAIL" },
            c.detail.replace('|', "/")
        );
    }
    t
}
