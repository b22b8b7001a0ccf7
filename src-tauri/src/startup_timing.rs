//! How long the window took to ask for its first case list after launch, and to show it, in
//! the log: the figures a slow start is diagnosed with (and the launch benchmark reads).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static LAUNCHED: OnceLock<Instant> = OnceLock::new();
static LIST_ASKED: AtomicBool = AtomicBool::new(false);
static LIST_SHOWN: AtomicBool = AtomicBool::new(false);

pub fn note_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

pub fn note_case_list() {
    note_once(&LIST_ASKED, "the window asked for its first case list");
}

pub fn note_list_shown() {
    note_once(&LIST_SHOWN, "the window showed its first case list");
}

fn note_once(seen: &AtomicBool, what: &'static str) {
    if seen.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(launched) = LAUNCHED.get() {
        tracing::info!(ms = launched.elapsed().as_millis() as u64, "{what}");
    }
}
