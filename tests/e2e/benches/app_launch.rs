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
//!   `startup_list_shown` from a `requestAnimationFrame` after the list is in the DOM);
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
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let ppid = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
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

fn app_pid(app: &Path) -> Option<u32> {
    let wanted = std::fs::canonicalize(app).ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        (exe == wanted).then_some(pid)
    })
}

/// Starts the app itself and times it to its "first case list" log lines: asked, shown.
fn direct_launch(data: &Path) -> (Duration, Duration) {
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
    let (mut asked, mut shown) = (None, None);
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("asked for its first case list") {
            asked = Some(started.elapsed());
        }
        if line.contains("showed its first case list") {
            shown = Some(started.elapsed());
            break;
        }
    }
    let pid = rustix::process::Pid::from_child(&child);
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    let _ = child.wait();
    (
        asked.expect("the app never asked for its case list"),
        shown.expect("the app never showed its case list"),
    )
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
    let (asked, shown): (Vec<Duration>, Vec<Duration>) =
        (0..RUNS).map(|_| direct_launch(&data.path().join("data"))).unzip();
    let mut launches = Vec::new();
    let mut pss = Vec::new();
    let mut breakdown = String::new();
    // The app as a focal point gets it (drawn on the CPU), not as the screenshot tests ask.
    let default_drawing = [("PAKS_DESK_GPU", "0".to_owned())];
    with_drivers_env(&data.path().join("data"), &default_drawing, async |drivers, app| {
        for _ in 0..RUNS {
            let started = Instant::now();
            let client = new_session(drivers, app).await?;
            find(&client, "new-case").await?;
            launches.push(started.elapsed());
            tokio::time::sleep(Duration::from_secs(5)).await;
            if let Some(pid) = app_pid(app) {
                let processes = tree(pid);
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
            }
            client.close().await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
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
    } else {
        println!("idle PSS: the app process was not found");
    }
}
