#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! A child process saves fields in a loop and prints each acknowledged save; the parent SIGKILLs
//! it at a random moment, 200 times, and checks after each kill that the database is sound and
//! every acknowledged save is there. Runs without the test harness so that the same binary can be
//! the child.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use desk_core::{CaseField, Store};

const KILLS: u32 = 200;
const CHILD_ENV: &str = "PAKS_DESK_CRASH_CHILD";
const FIELDS: [CaseField; 5] = [
    CaseField::Summary,
    CaseField::Problem,
    CaseField::Solution,
    CaseField::Results,
    CaseField::Obstacles,
];

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
    }
    match parent() {
        Ok(()) => println!("crash_safety: {KILLS} passed, 0 failed"),
        Err(message) => {
            println!("crash_safety: 0 passed, 1 failed");
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
}

/// Saves `round:n` into field `n % 5` forever, printing `ack n` after each save returns.
fn child(dir: &Path) -> ! {
    let store = Store::open(dir).expect("child opens the store");
    let round: String = std::env::var("PAKS_DESK_CRASH_ROUND").expect("round");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut n = 0u64;
    loop {
        let field = FIELDS[(n % 5) as usize];
        store.set_field(1, field, &format!("{round}:{n}")).expect("save");
        writeln!(out, "ack {n}").expect("stdout");
        out.flush().expect("stdout");
        n += 1;
    }
}

fn parent() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    {
        let store = Store::open(dir.path()).map_err(|e| e.to_string())?;
        store.create_case("Crash test", Some("LAO")).map_err(|e| e.to_string())?;
    }
    let mut seed =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(7, |d| d.as_nanos() as u64) | 1;
    println!("crash_safety: seed {seed}");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut total_acks = 0u64;
    for round in 0..KILLS {
        let acks_before_kill = next(&mut seed) % 40;
        let extra_micros = next(&mut seed) % 3000;
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, dir.path())
            .env("PAKS_DESK_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no child stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut last_ack: Option<u64> = None;
        while last_ack.map_or(0, |n| n + 1) <= acks_before_kill {
            match lines.next() {
                Some(Ok(line)) => {
                    let n = line.strip_prefix("ack ").and_then(|n| n.parse().ok());
                    last_ack = Some(n.ok_or_else(|| format!("odd child line {line:?}"))?);
                }
                _ => return Err(format!("round {round}: child died before being killed")),
            }
        }
        std::thread::sleep(Duration::from_micros(extra_micros));
        child.kill().map_err(|e| e.to_string())?;
        // Acks the child printed before the kill landed count too.
        for line in lines.map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("ack ").and_then(|n| n.parse().ok()) {
                last_ack = Some(n);
            }
        }
        child.wait().map_err(|e| e.to_string())?;
        let last = last_ack.ok_or("no ack")?;
        total_acks += last + 1;

        let store = Store::open(dir.path()).map_err(|e| format!("round {round}: reopen: {e}"))?;
        let check = store.integrity_check().map_err(|e| e.to_string())?;
        if check != "ok" {
            return Err(format!("round {round}: integrity_check says {check}"));
        }
        let case = store.case(1).map_err(|e| e.to_string())?;
        for (slot, field) in FIELDS.iter().enumerate() {
            let Some(acked) = (0..=last).rev().find(|n| n % 5 == slot as u64) else { continue };
            let stored = case.field(*field);
            let (stored_round, stored_n) = stored
                .split_once(':')
                .and_then(|(r, n)| Some((r.parse::<u32>().ok()?, n.parse::<u64>().ok()?)))
                .ok_or_else(|| format!("round {round}: {field:?} holds {stored:?}"))?;
            if stored_round != round || stored_n < acked {
                return Err(format!(
                    "round {round}: acknowledged save {round}:{acked} of {field:?} lost; found {stored:?}"
                ));
            }
        }
    }
    println!("crash_safety: {KILLS} kills, {total_acks} acknowledged saves, none lost");
    Ok(())
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
