#![allow(clippy::unwrap_used)] // A benchmark harness: a panic is the failure report.
//! Launch time and idle memory of the real app under Xvfb, driven by WebDriver (a harness, not a
//! test: it prints figures and asserts none).
//!
//! ```sh
//! cargo build --release -p paks-desk -p desk-cli
//! PAKS_DESK_APP=target/release/paks-desk PAKS_DESK_CLI=target/release/paks-desk-cli \
//!   xvfb-run -a cargo bench -p paks-desk-e2e --bench app_launch
//! ```
//!
//! - launch -> first case list asked for, and shown, without WebDriver: the app started directly
//!   (under the same Xvfb), timed from the spawn to its log lines saying the window asked for its
//!   first case list and that the list was rendered and a frame painted (the window calls
//!   `startup_list_shown` from a `requestAnimationFrame` after the list is in the DOM), and
//!   when the page reached each step of its start (the app's log line "the page's start");
//! - launch -> interactive case list: from asking tauri-driver for a session (which starts the
//!   app) to the case list's "New case" button being present, over a store of 500 cases. The
//!   WebDriver round trips are included, so this is an upper bound.
//! - idle memory: PSS (proportional set size) of the app and every process under it (WebKit's
//!   web and network processes), read from /proc/PID/smaps_rollup after 5 s idle.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const RUNS: usize = 7;
const CASES: usize = 500;

fn populate(data: &Path) {
    let run = |args: &[&str]| desk_cli(data, args).unwrap();
    run(&[
        "profile",
        "set",
        "--name",
        "Bench",
        "--institution",
        "Bench",
        "--email",
        "b@example.org",
        "--country",
        "LAO",
    ]);
    for i in 0..CASES {
        run(&["case", "new", "--title", &format!("Case {i}"), "--country", "LAO"]);
    }
}

/// Every process whose parent chain reaches `root`, and `root`.
fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Some(stat) = stat_after_name(pid) else { continue };
        let ppid = stat.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        parents.push((pid, ppid));
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found
}

/// PSS in KiB of each mapped file (anonymous memory as "[anon]") summed over `processes`,
/// largest first.
fn pss_by_file(processes: &[u32]) -> Vec<(String, u64)> {
    let mut by_file = std::collections::HashMap::<String, u64>::new();
    for pid in processes {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let mut file = String::new();
        for line in smaps.lines() {
            let mut fields = line.split_whitespace();
            let first = fields.next().unwrap_or_default();
            if let Some(kib) = first.strip_prefix("Pss:").and(fields.next()) {
                *by_file.entry(file.clone()).or_default() += kib.parse::<u64>().unwrap_or(0);
            } else if first.contains('-') && !first.ends_with(':') {
                // A mapping's header: address range, perms, offset, device, inode, then the path.
                file = line.split_whitespace().nth(5).unwrap_or("[anon]").to_owned();
            }
        }
    }
    let mut sorted: Vec<_> = by_file.into_iter().collect();
    sorted.sort_by_key(|(_, kib)| std::cmp::Reverse(*kib));
    sorted
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The fields of /proc/PID/stat after the command name (state, parent, …).
fn stat_after_name(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')').map(|(_, rest)| rest.to_owned())
}

/// Whether a process still runs (a zombie has exited).
fn running(pid: u32) -> bool {
    stat_after_name(pid).is_some_and(|stat| stat.split_whitespace().next() != Some("Z"))
}

/// Waits for the processes of the last launch to exit: a launch while the last one's WebKit
/// processes still shut down waits some 500 ms for them (one launch in three here, when
/// relaunched at once), which says nothing about a launch a focal point makes.
fn wait_exited(processes: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && processes.iter().any(|p| running(*p)) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One launch: times to the first case list asked for and shown, and the page's marks.
struct Launch {
    asked: Duration,
    shown: Duration,
    /// When the page reached each step, ms since launch, as the app logged them.
    page_marks: String,
}

/// Starts the app itself and times it to its "first case list" log lines: asked, shown.
fn direct_launch(data: &Path) -> Launch {
    use std::io::BufRead;
    let started = Instant::now();
    let mut child = Command::new(app_binary())
        .env("PAKS_DESK_DATA_DIR", data)
        .env("PAKS_DESK_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (mut asked, mut shown, mut page_marks) = (None, None, String::new());
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some((_, marks)) = line.split_once("ms since launch") {
            page_marks = marks.trim().to_owned();
        }
        if line.contains("asked for its first case list") {
            asked = Some(started.elapsed());
        }
        if line.contains("showed its first case list") {
            shown = Some(started.elapsed());
            break;
        }
    }
    let processes = tree(child.id());
    let pid = rustix::process::Pid::from_child(&child);
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    let _ = child.wait();
    wait_exited(&processes);
    Launch {
        asked: asked.expect("the app never asked for its case list"),
        shown: shown.expect("the app never showed its case list"),
        page_marks,
    }
}

fn spread(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "median {:?}, min {:?}, max {:?}",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    )
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    populate(&data.path().join("data"));
    let direct: Vec<Launch> = (0..RUNS).map(|_| direct_launch(&data.path().join("data"))).collect();
    let asked = direct.iter().map(|l| l.asked).collect();
    let shown = direct.iter().map(|l| l.shown).collect();
    let mut launches = Vec::new();
    let mut pss = Vec::new();
    let mut breakdown = String::new();
    let mut by_file = Vec::new();
    // The app as a focal point gets it (drawn on the CPU), not as the screenshot tests ask.
    let default_drawing = [("PAKS_DESK_GPU", "0".to_owned())];
    let data_dir = data.path().join("data");
    with_drivers_env(&data_dir, &default_drawing, async |drivers, app| {
        for _ in 0..RUNS {
            let started = Instant::now();
            let client = new_session(drivers, app).await?;
            find(&client, "new-case").await?;
            launches.push(started.elapsed());
            tokio::time::sleep(Duration::from_secs(5)).await;
            let mut processes = Vec::new();
            if let Some(pid) = app_pid(app, &data_dir) {
                processes = tree(pid);
                pss.push(processes.iter().copied().map(pss_kib).sum::<u64>());
                breakdown = processes
                    .iter()
                    .map(|p| {
                        let name =
                            std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                        format!("{} {:.0} MiB", name.trim(), pss_kib(*p) as f64 / 1024.0)
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                by_file = pss_by_file(&processes);
            }
            client.close().await?;
            if processes.is_empty() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            wait_exited(&processes);
        }
        Ok(())
    })
    .await
    .unwrap();
    launches.sort();
    pss.sort_unstable();
    let app = std::env::var("PAKS_DESK_APP").unwrap_or_else(|_| "target/debug/paks-desk".into());
    println!("app: {app}, {CASES} cases, {RUNS} launches");
    println!("launch -> first case list asked for (no WebDriver): {}", spread(asked));
    println!("launch -> first case list shown (no WebDriver): {}", spread(shown));
    if let Some(last) = direct.last() {
        println!("  last launch, the page's steps in ms since launch: {}", last.page_marks);
    }
    println!(
        "launch -> interactive case list: median {:?}, min {:?}, max {:?}",
        launches[launches.len() / 2],
        launches[0],
        launches[launches.len() - 1]
    );
    if let Some(median) = pss.get(pss.len() / 2) {
        println!(
            "idle PSS of the app and its WebKit processes: median {:.0} MiB",
            *median as f64 / 1024.0
        );
        println!("  last run, per process: {breakdown}");
        println!("  last run, by file over all three processes (the ten largest):");
        for (file, kib) in by_file.iter().take(10) {
            println!("    {:5.1} MiB {file}", *kib as f64 / 1024.0);
        }
    } else {
        println!("idle PSS: the app process was not found");
    }
}
