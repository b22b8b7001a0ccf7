//! How long the window took to ask for its first case list after launch, and to show it, in
//! the log: the figures a slow start is diagnosed with (and the launch benchmark reads).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use ts_rs::TS;

static LAUNCHED: OnceLock<(Instant, SystemTime)> = OnceLock::new();
static LIST_ASKED: AtomicBool = AtomicBool::new(false);
static LIST_SHOWN: AtomicBool = AtomicBool::new(false);

/// When the page reached each step of its start, in milliseconds since the Unix epoch
/// (`performance.timeOrigin + performance.now()` in the page).
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[ts(export)]
pub struct PageMarks {
    /// The web view began loading the page.
    pub navigation_started: f64,
    /// The page's script began to run.
    pub script_started: f64,
    /// The catalogs, the profile and the first cases arrived.
    pub data_loaded: f64,
    /// The case list was in the document.
    pub list_rendered: f64,
    /// The next frame began (a `requestAnimationFrame` callback).
    pub frame_started: f64,
    /// That frame was done: style, layout and paint (a task queued from that callback).
    pub frame_done: f64,
}

pub fn note_launch() {
    LAUNCHED.get_or_init(|| (Instant::now(), SystemTime::now()));
}

pub fn note_case_list() {
    if !LIST_ASKED.swap(true, Ordering::Relaxed) {
        log_since_launch("the window asked for its first case list");
    }
}

pub fn note_list_shown(marks: PageMarks) {
    if LIST_SHOWN.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some((_, launched_at)) = LAUNCHED.get() {
        let launched = launched_at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let since_launch = |epoch_ms: f64| (epoch_ms - launched * 1000.0).round() as i64;
        tracing::info!(
            navigation_started = since_launch(marks.navigation_started),
            script_started = since_launch(marks.script_started),
            data_loaded = since_launch(marks.data_loaded),
            list_rendered = since_launch(marks.list_rendered),
            frame_started = since_launch(marks.frame_started),
            frame_done = since_launch(marks.frame_done),
            "the page's start, in ms since launch"
        );
    }
    log_since_launch("the window showed its first case list");
}

fn log_since_launch(what: &'static str) {
    if let Some((launched, _)) = LAUNCHED.get() {
        tracing::info!(ms = launched.elapsed().as_millis() as u64, "{what}");
    }
}
