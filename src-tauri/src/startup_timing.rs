//! How long the window took to ask for its first case list after launch, in the log: the
//! figure a slow start is diagnosed with (and the launch benchmark reads).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static LAUNCHED: OnceLock<Instant> = OnceLock::new();
static LIST_ASKED: AtomicBool = AtomicBool::new(false);

pub fn note_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

pub fn note_case_list() {
    if LIST_ASKED.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(launched) = LAUNCHED.get() {
        tracing::info!(
            ms = launched.elapsed().as_millis() as u64,
            "the window asked for its first case list"
        );
    }
}
