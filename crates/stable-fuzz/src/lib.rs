//! Runs a fuzz target's body on stable Rust as a bounded, reproducible test.
//!
//! Every file of the target's committed corpus (`fuzz/corpus/<target>/`) is replayed, then
//! corpus entries are mutated — libFuzzer's kinds of byte mutation, plus the tokens of the
//! target's dictionary (`fuzz/dict/*.dict`, libFuzzer's format) — by an RNG with a fixed seed,
//! for a fixed number of inputs. cargo-fuzz (`fuzz/`, nightly) runs the same bodies with
//! coverage feedback; this keeps them running in every `cargo test`.
//!
//! A body fails by panicking (an `assert!` of the property it checks, or a bug in the parser).
//! A failing input is saved under `target/fuzz-failures/<target>/` and the panic names it, with
//! the seed and the input's number, so the run can be repeated exactly. An input taking longer
//! than the target's input timeout fails the run as a hang. Every allocation of a binary that
//! links this crate (the fuzz tests and fuzz/'s targets, never the app) goes through a capped
//! allocator: past [`MEMORY_LIMIT`] at once the process aborts ("memory allocation of N bytes
//! failed") and the input it was running is left in `target/fuzz-failures/<target>/running`.
//! `PAKS_FUZZ_SEED` and `PAKS_FUZZ_INPUTS` change the seed and the number of mutated inputs.

use std::alloc::System;
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{Seek, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

mod mutate;
pub mod parts;

pub use mutate::Rng;

/// Memory all threads of a fuzz test binary may hold at once.
pub const MEMORY_LIMIT: usize = 2 << 30;

#[global_allocator]
static ALLOCATOR: cap::Cap<System> = cap::Cap::new(System, MEMORY_LIMIT);

/// Bytes allocated now by the whole process.
pub fn allocated() -> usize {
    ALLOCATOR.allocated()
}

/// The workspace's root folder.
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.ancestors().nth(2).unwrap_or(here).to_path_buf()
    })
}

/// The committed corpus of `target`.
pub fn corpus_dir(target: &str) -> PathBuf {
    workspace_root().join("fuzz/corpus").join(target)
}

/// One target's bounded run.
pub struct Target {
    name: String,
    seeds: Vec<(String, Vec<u8>)>,
    dictionary: Vec<Vec<u8>>,
    inputs: u64,
    max_len: usize,
    input_timeout: Duration,
    time_cap: Duration,
    seed: u64,
}

/// What a run did, for the test to print or check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub replayed: usize,
    pub mutated: u64,
    /// True when the run stopped at its time cap before all mutated inputs were tried.
    pub stopped_at_time_cap: bool,
    pub elapsed: Duration,
}

impl Target {
    /// A run of target `name` over its committed corpus and `inputs` mutated inputs
    /// (`PAKS_FUZZ_INPUTS` overrides the number; `PAKS_FUZZ_SEED` the seed, by default one
    /// made from the name).
    pub fn new(name: &str, inputs: u64) -> Self {
        let from_env = |var: &str| std::env::var(var).ok().and_then(|v| v.parse().ok());
        Self {
            name: name.to_owned(),
            seeds: Vec::new(),
            dictionary: Vec::new(),
            inputs: from_env("PAKS_FUZZ_INPUTS").unwrap_or(inputs),
            max_len: 1 << 20,
            input_timeout: Duration::from_secs(10),
            time_cap: Duration::from_secs(60),
            seed: from_env("PAKS_FUZZ_SEED").unwrap_or_else(|| fnv1a(name.as_bytes())),
        }
    }

    /// Adds a seed made at run time (e.g. a valid bag written by the exporter).
    #[must_use]
    pub fn seed(mut self, label: &str, bytes: Vec<u8>) -> Self {
        self.seeds.push((label.to_owned(), bytes));
        self
    }

    /// Adds the tokens of `fuzz/dict/<name>.dict`.
    #[must_use]
    pub fn dictionary(mut self, name: &str) -> Self {
        let path = workspace_root().join("fuzz/dict").join(format!("{name}.dict"));
        let text = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("cannot read the dictionary {}: {e}", path.display()));
        self.dictionary.extend(parse_dictionary(&text));
        self
    }

    /// Longest mutated input.
    #[must_use]
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = n;
        self
    }

    /// Longest time one input may take before the run fails as a hang.
    #[must_use]
    pub fn input_timeout(mut self, d: Duration) -> Self {
        self.input_timeout = d;
        self
    }

    /// Longest time the mutation phase may take; past it the run stops early and says so.
    #[must_use]
    pub fn time_cap(mut self, d: Duration) -> Self {
        self.time_cap = d;
        self
    }

    /// Replays the corpus and the seeds, then the mutated inputs, through `body`. Panics, naming
    /// the saved input, when `body` panics or takes longer than the input timeout.
    pub fn run<F>(self, body: F) -> Report
    where
        F: FnMut(&[u8]) + Send + 'static,
    {
        let started = Instant::now();
        let mut corpus = read_corpus(&corpus_dir(&self.name));
        corpus.extend(self.seeds.iter().cloned());
        assert!(
            !corpus.is_empty(),
            "the target {} has no corpus in {} and no seed",
            self.name,
            corpus_dir(&self.name).display()
        );
        let runner = Runner::start(body);
        let mut running = RunningInput::create(&self.name);
        for (label, bytes) in &corpus {
            running.record(bytes);
            self.check(&runner, bytes, &format!("corpus file {label}"));
        }
        let mut rng = Rng::new(self.seed);
        let entries: Vec<&[u8]> = corpus.iter().map(|(_, b)| b.as_slice()).collect();
        let mut mutated = 0;
        let mut stopped_at_time_cap = false;
        let mutation_started = Instant::now();
        for i in 0..self.inputs {
            if mutation_started.elapsed() > self.time_cap {
                stopped_at_time_cap = true;
                break;
            }
            let input = mutate::mutated(&mut rng, &entries, &self.dictionary, self.max_len);
            running.record(&input);
            self.check(&runner, &input, &format!("mutated input {i} (seed {})", self.seed));
            mutated += 1;
        }
        running.remove();
        let report = Report {
            replayed: corpus.len(),
            mutated,
            stopped_at_time_cap,
            elapsed: started.elapsed(),
        };
        eprintln!(
            "fuzz target {}: {} corpus inputs replayed, {} mutated inputs (seed {}) in {:.1} s{}",
            self.name,
            report.replayed,
            report.mutated,
            self.seed,
            report.elapsed.as_secs_f64(),
            if stopped_at_time_cap { ", stopped at the time cap" } else { "" }
        );
        report
    }

    fn check(&self, runner: &Runner, input: &[u8], what: &str) {
        let failure = match runner.run(input, self.input_timeout) {
            Outcome::Passed => return,
            Outcome::Panicked(message) => format!("panicked: {message}"),
            Outcome::Hung => {
                format!("took longer than {} s (a hang?)", self.input_timeout.as_secs_f64())
            }
        };
        let saved = save_failure(&self.name, input);
        panic!(
            "fuzz target {}: {what} {failure}\ninput ({} bytes) saved as {}; replay it with \
             `scripts/fuzz.sh {} 0 {}` or add it to fuzz/corpus/{}/",
            self.name,
            input.len(),
            saved.display(),
            self.name,
            saved.display(),
            self.name
        );
    }
}

enum Outcome {
    Passed,
    Panicked(String),
    Hung,
}

/// The body on a thread of its own, so that a hang is seen and reported rather than waited for.
struct Runner {
    inputs: mpsc::Sender<Vec<u8>>,
    results: mpsc::Receiver<Result<(), String>>,
}

impl Runner {
    fn start<F>(mut body: F) -> Self
    where
        F: FnMut(&[u8]) + Send + 'static,
    {
        install_quiet_panic_hook();
        let (inputs, input_rx) = mpsc::channel::<Vec<u8>>();
        let (result_tx, results) = mpsc::channel();
        std::thread::spawn(move || {
            QUIET.with(|q| q.set(true));
            for input in input_rx {
                LAST_PANIC.with(|p| p.borrow_mut().clear());
                let result = catch_unwind(AssertUnwindSafe(|| body(&input)))
                    .map_err(|payload| panic_message(payload.as_ref()));
                if result_tx.send(result).is_err() {
                    break;
                }
            }
        });
        Self { inputs, results }
    }

    fn run(&self, input: &[u8], timeout: Duration) -> Outcome {
        if self.inputs.send(input.to_vec()).is_err() {
            return Outcome::Panicked("the body's thread is gone".into());
        }
        match self.results.recv_timeout(timeout) {
            Ok(Ok(())) => Outcome::Passed,
            Ok(Err(message)) => Outcome::Panicked(message),
            Err(mpsc::RecvTimeoutError::Timeout) => Outcome::Hung,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Outcome::Panicked("the body's thread is gone".into())
            }
        }
    }
}

thread_local! {
    /// Set on the body's thread: panics there (including those a parser catches itself) are
    /// recorded instead of printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string());
            } else {
                previous(info);
            }
        }));
    });
}

/// The message and place of the panic that escaped the body (the hook saw it last).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let recorded = LAST_PANIC.with(|p| p.borrow().clone());
    if !recorded.is_empty() {
        return recorded;
    }
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Runs `body` for cargo-fuzz: panics that `body` catches itself (a third-party parser's, which
/// our code contains with `catch_unwind`) stay quiet, while libFuzzer's own hook would abort at
/// once on them; a panic that escapes `body` is printed and aborts, which libFuzzer reports.
pub fn abort_on_escaping_panic(body: impl FnOnce()) {
    install_quiet_panic_hook();
    QUIET.with(|q| q.set(true));
    LAST_PANIC.with(|p| p.borrow_mut().clear());
    let result = catch_unwind(AssertUnwindSafe(body));
    QUIET.with(|q| q.set(false));
    if let Err(payload) = result {
        eprintln!("panic that escaped the target: {}", panic_message(payload.as_ref()));
        std::process::abort();
    }
}

fn read_corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p)
                .unwrap_or_else(|e| panic!("cannot read the corpus file {}: {e}", p.display()));
            (p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes)
        })
        .collect()
}

fn failures_dir(target: &str) -> PathBuf {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target_dir.join("fuzz-failures").join(target)
}

/// The input being run, on disk, for when the process dies of it (out of memory) with no
/// chance to say which it was.
struct RunningInput {
    path: PathBuf,
    file: Option<File>,
}

impl RunningInput {
    fn create(target: &str) -> Self {
        let dir = failures_dir(target);
        let path = dir.join("running");
        let file = std::fs::create_dir_all(&dir).and_then(|()| File::create(&path)).ok();
        Self { path, file }
    }

    fn record(&mut self, input: &[u8]) {
        let written = self
            .file
            .as_mut()
            .map(|f| f.set_len(0).and_then(|()| f.rewind()).and_then(|()| f.write_all(input)));
        if matches!(written, Some(Err(_))) {
            self.file = None;
        }
    }

    fn remove(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.path);
    }
}

fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = failures_dir(target);
    let path = dir.join(format!("failure-{:016x}", fnv1a(input)));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input)) {
        eprintln!("cannot save the failing input as {}: {e}", path.display());
    }
    path
}

/// Tokens of a libFuzzer dictionary: `name="value"` or `"value"` lines, with `\\`, `\"` and
/// `\xAB` escapes; `#` starts a comment.
pub fn parse_dictionary(text: &[u8]) -> Vec<Vec<u8>> {
    let mut tokens = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let Some(open) = line.iter().position(|b| *b == b'"') else { continue };
        let Some(close) = line.iter().rposition(|b| *b == b'"').filter(|c| *c > open) else {
            continue;
        };
        let mut token = Vec::new();
        let mut body = line[open + 1..close].iter().copied();
        while let Some(b) = body.next() {
            if b != b'\\' {
                token.push(b);
                continue;
            }
            match body.next() {
                Some(b'x') => {
                    let hex: Vec<u8> = body.by_ref().take(2).collect();
                    let value =
                        std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                    token.extend(value);
                }
                Some(other) => token.push(other),
                None => {}
            }
        }
        if !token.is_empty() {
            tokens.push(token);
        }
    }
    tokens
}

/// FNV-1a, for seeds from names and names from inputs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_lines_unescape() {
        let tokens =
            parse_dictionary(b"# comment\nkw1=\"<a:t>\"\n\"\\x00\\\"q\\\\\"\n\nbad line\n");
        assert_eq!(tokens, vec![b"<a:t>".to_vec(), b"\0\"q\\".to_vec()]);
    }

    #[test]
    fn a_panicking_body_fails_the_run_and_saves_its_input() {
        let result = std::panic::catch_unwind(|| {
            Target::new("stable-fuzz-self-test", 0)
                .seed("fine", b"fine".to_vec())
                .seed("boom", b"boom".to_vec())
                .run(|data| assert!(data != b"boom", "planted failure"))
        });
        let message = panic_message(result.expect_err("the run must fail").as_ref());
        assert!(message.contains("corpus file boom panicked"), "{message}");
        assert!(message.contains("planted failure"), "{message}");
    }

    #[test]
    fn a_hanging_body_fails_the_run() {
        let result = std::panic::catch_unwind(|| {
            Target::new("stable-fuzz-self-test", 0)
                .seed("hang", b"hang".to_vec())
                .input_timeout(Duration::from_millis(200))
                .run(|_| std::thread::sleep(Duration::from_secs(3600)))
        });
        let message = panic_message(result.expect_err("the run must fail").as_ref());
        assert!(message.contains("took longer than"), "{message}");
    }

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let corpus: Vec<&[u8]> = vec![b"<a>hello</a>", b"%PDF-1.4 obj"];
        let dict = vec![b"endobj".to_vec()];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200).map(|_| mutate::mutated(&mut rng, &corpus, &dict, 64)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().all(|i| i.len() <= 64));
    }
}
