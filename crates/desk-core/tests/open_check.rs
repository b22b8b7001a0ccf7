#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! When opening a store checks the file (`quick_check`): not after a clean close that left it
//! unchanged, but after a crash, a change by anything else, or a week.

#[path = "support/damage.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;

use desk_core::clock::ManualClock;
use desk_core::{CaseField, Store};

const DAY_SECS: i64 = 24 * 60 * 60;
const START: i64 = 1_796_189_384_000; // 2026-12-02T05:29:44Z

fn open(dir: &Path, clock: &Arc<ManualClock>) -> Store {
    Store::open_with_clock(dir, clock.clone()).unwrap()
}

#[test]
fn a_store_closed_cleanly_and_unchanged_opens_without_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = open(dir.path(), &clock);
    store.create_case("Kept", Some("LAO")).unwrap();
    drop(store);

    let store = open(dir.path(), &clock);
    assert!(!store.checked_at_open(), "closed cleanly a moment ago: no check needed");
    let case = store.create_case("Second", Some("NPL")).unwrap();
    store.set_field(case.id, CaseField::Summary, "Written, then closed cleanly.").unwrap();
    drop(store);
    assert!(!open(dir.path(), &clock).checked_at_open(), "each clean close is recorded");
}

#[test]
fn a_store_without_a_record_of_a_clean_close_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = open(dir.path(), &clock);
    store.create_case("Made by an older build", Some("BTN")).unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("store-closed-cleanly")).unwrap();

    assert!(open(dir.path(), &clock).checked_at_open());
}

#[test]
fn a_file_changed_after_the_clean_close_is_checked_and_its_damage_found() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = open(dir.path(), &clock);
    for n in 0..40 {
        let case = store.create_case(&format!("Case {n}"), Some("KIR")).unwrap();
        store.set_field(case.id, CaseField::Summary, &"Island services. ".repeat(30)).unwrap();
    }
    drop(store);
    support::damage_store_file(&dir.path().join("paks-desk.sqlite3")).unwrap();

    let err = Store::open_with_clock(dir.path(), clock).err().expect("damage must be found");
    assert_eq!(err.code(), "database_damaged", "{err:?}");
}

#[test]
fn a_crash_that_leaves_the_write_ahead_log_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let running = open(dir.path(), &clock);
    running.create_case("Before", Some("LAO")).unwrap();
    // The CLI opens and closes beside the running app: a clean close is recorded...
    drop(open(dir.path(), &clock));
    // ...then the app writes and dies without closing: its writes are only in the log.
    running.create_case("After, only in the log", Some("LAO")).unwrap();
    std::mem::forget(running);

    let reopened = open(dir.path(), &clock);
    assert!(reopened.checked_at_open(), "a log left behind means a crash");
    let titles: Vec<String> = reopened
        .list_cases(&desk_core::CaseFilter::default())
        .unwrap()
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert!(titles.contains(&"After, only in the log".to_owned()), "{titles:?}");
}

#[test]
fn a_week_after_the_last_check_the_store_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    drop(open(dir.path(), &clock));

    clock.advance_secs(6 * DAY_SECS);
    assert!(!open(dir.path(), &clock).checked_at_open(), "six days: the last check holds");
    clock.advance_secs(DAY_SECS);
    let store = open(dir.path(), &clock);
    assert!(store.checked_at_open(), "seven days since the check, though closed cleanly since");
    drop(store);
    assert!(!open(dir.path(), &clock).checked_at_open(), "the new check is recorded");
}
