//! Corpus benchmark (not a test): share of files indexed and time against `pdftotext`,
//! and slide text against python-pptx. See docs/extraction.md.
//!
//! cargo run --release -p desk-extract --example corpus_bench -- \
//!     CORPUS_DIR WORKER_BIN [PPTX_REFERENCE_JSON]
//!
//! With `PAKS_CORPUS_DUMP=FILE` it also writes one line per file (name, outcome, engine, pages,
//! a hash of the text), so two builds can be shown to read every file the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use desk_extract::{DocKind, Limits, Outcome, WorkerCommand, extract_in_process, run_isolated};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [corpus, worker_bin, rest @ ..] = args.as_slice() else {
        return Err("usage: corpus_bench CORPUS_DIR WORKER_BIN [PPTX_REFERENCE_JSON]".into());
    };
    let worker = WorkerCommand::new(worker_bin);
    let limits = Limits::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();

    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    let (mut pdfs, mut poppler_reads, mut both_read, mut host_crashes, mut errors) =
        (0, 0, 0, 0, 0);
    let (mut ours_time, mut poppler_time) = (Duration::ZERO, Duration::ZERO);
    let mut missed = Vec::new();
    let mut slowest: Vec<(Duration, Duration, String)> = Vec::new();
    let mut dump = Vec::new();
    for path in &files {
        let t = Instant::now();
        let ours =
            std::panic::catch_unwind(|| run_isolated(path, &limits, &worker)).map_err(|_| ());
        let took = t.elapsed();
        let (kind, indexed, label) = match &ours {
            Err(()) => {
                host_crashes += 1;
                (DocKind::Other, false, "host crashed".to_string())
            }
            Ok(Err(e)) => {
                errors += 1;
                (DocKind::Other, false, format!("error: {e}"))
            }
            Ok(Ok(e)) => (e.kind, e.outcome.has_text(), outcome_name(&e.outcome)),
        };
        *outcomes.entry(format!("{kind:?} {label}")).or_default() += 1;
        dump.push(format!("{}\t{label}\t{}", path.display(), text_digest(&ours)));
        if kind != DocKind::Pdf {
            continue;
        }
        pdfs += 1;
        ours_time += took;
        let t = Instant::now();
        let poppler = pdftotext(path);
        poppler_time += t.elapsed();
        slowest.push((took, t.elapsed(), format!("{} [{}]", path.display(), engine_of(&ours))));
        if poppler {
            poppler_reads += 1;
            if indexed {
                both_read += 1;
            } else {
                missed.push(format!("{} -> {label}", path.display()));
            }
        }
    }
    println!("files: {}", files.len());
    for (k, n) in &outcomes {
        println!("  {n:5}  {k}");
    }
    println!(
        "PDFs: {pdfs}; pdftotext reads {poppler_reads}; of those we index {both_read} ({:.1}%)",
        100.0 * f64::from(both_read) / f64::from(poppler_reads.max(1))
    );
    println!("host crashes: {host_crashes}; errors returned: {errors}");
    println!(
        "PDF time: ours {:.2} s, pdftotext {:.2} s, ratio {:.2}",
        ours_time.as_secs_f64(),
        poppler_time.as_secs_f64(),
        ours_time.as_secs_f64() / poppler_time.as_secs_f64().max(1e-9)
    );
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0.saturating_sub(s.1)));
    for (ours, theirs, name) in slowest.iter().take(12) {
        println!(
            "  slow: ours {:7.0} ms, pdftotext {:7.0} ms  {name}",
            ours.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3
        );
    }
    for m in &missed {
        println!("  missed: {m}");
    }
    if let Some(out) = std::env::var_os("PAKS_CORPUS_DUMP") {
        std::fs::write(out, dump.join("\n") + "\n")?;
    }
    if let Some(reference) = rest.first() {
        compare_decks(Path::new(reference), &limits)?;
    }
    Ok(())
}

fn engine_of(
    r: &Result<Result<desk_extract::Extraction, desk_extract::ExtractError>, ()>,
) -> String {
    match r {
        Ok(Ok(e)) => e.engine.clone(),
        _ => "-".to_string(),
    }
}

/// Engine, unit count and a hash of every unit's text and notes.
fn text_digest(
    r: &Result<Result<desk_extract::Extraction, desk_extract::ExtractError>, ()>,
) -> String {
    use std::hash::{Hash, Hasher};
    let Ok(Ok(e)) = r else { return "-".into() };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for unit in &e.units {
        (unit.number, &unit.text, &unit.notes).hash(&mut hasher);
    }
    format!("{}\t{} units\t{:016x}", e.engine, e.units.len(), hasher.finish())
}

fn outcome_name(o: &Outcome) -> String {
    match o {
        Outcome::Damaged { reason } if reason.contains("crashed") => {
            "damaged (worker crashed)".into()
        }
        Outcome::NotSupported { reason } => format!("not supported ({reason})"),
        other => {
            let json = serde_json::to_value(other).unwrap_or_default();
            json["status"].as_str().unwrap_or("?").to_string()
        }
    }
}

/// pdftotext can read the file: exit 0 and some visible text.
fn pdftotext(path: &Path) -> bool {
    Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .stderr(Stdio::null())
        .output()
        .map(|o| o.status.success() && o.stdout.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or(false)
}

/// Slide text and notes against python-pptx's reading (bench/pptx_reference.py), and
/// in-process time per deck.
fn compare_decks(reference: &Path, limits: &Limits) -> Result<(), Box<dyn std::error::Error>> {
    let reference: BTreeMap<String, Option<Vec<serde_json::Value>>> =
        serde_json::from_str(&std::fs::read_to_string(reference)?)?;
    let (mut read, mut same, mut total_time) = (0u32, 0u32, Duration::ZERO);
    const ROUNDS: u32 = 20;
    for (path, slides) in &reference {
        let Some(slides) = slides else { continue };
        read += 1;
        let path = Path::new(path);
        let e = extract_in_process(path, limits)?;
        let t = Instant::now();
        for _ in 0..ROUNDS {
            let _ = extract_in_process(path, limits)?;
        }
        total_time += t.elapsed() / ROUNDS;
        let ours: Vec<(String, Option<String>)> =
            e.units.iter().map(|u| (u.text.clone(), u.notes.clone())).collect();
        let theirs: Vec<(String, Option<String>)> = slides
            .iter()
            .map(|s| {
                let notes = s["notes"].as_str().filter(|n| !n.is_empty()).map(str::to_string);
                (s["text"].as_str().unwrap_or_default().to_string(), notes)
            })
            .collect();
        if ours == theirs {
            same += 1;
        } else {
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            println!(
                "  differs: {} (slides {} vs {}, first difference at {:?})",
                path.display(),
                ours.len(),
                theirs.len(),
                first.map(|i| i + 1)
            );
        }
    }
    println!(
        "decks python-pptx reads: {read}; identical text and notes: {same}; mean time per deck {:.3} ms (in-process, file cached)",
        total_time.as_secs_f64() * 1000.0 / f64::from(read.max(1))
    );
    Ok(())
}
