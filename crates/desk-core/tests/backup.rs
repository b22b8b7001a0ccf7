#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Backups of the local store, on real SQLite files: a damaged database is named as such,
//! restoring brings the cases back and keeps the damaged file aside, a backup comes before a
//! migration, daily backups rotate (the clock is driven, not waited for).

#[path = "support/damage.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use desk_core::clock::ManualClock;
use desk_core::store::backup::{self, BackupKind, KEEP_DAILY};
use desk_core::{CaseField, CaseFilter, Store};
use support::damage_store_file;

const DAY_SECS: i64 = 24 * 60 * 60;
const START: i64 = 1_796_189_384_000; // 2026-12-02T05:29:44Z

fn db(dir: &Path) -> std::path::PathBuf {
    dir.join("paks-desk.sqlite3")
}

/// A store with 40 cases, each with a summary: the cases table spans many pages.
fn store_with_cases(dir: &Path) -> Store {
    let store = Store::open(dir).unwrap();
    for n in 0..40 {
        let case = store.create_case(&format!("Case {n}"), Some("LAO")).unwrap();
        store
            .set_field(case.id, CaseField::Summary, &"One window for services. ".repeat(20))
            .unwrap();
    }
    store
}

fn titles(store: &Store) -> Vec<String> {
    let mut titles: Vec<String> =
        store.list_cases(&CaseFilter::default()).unwrap().into_iter().map(|c| c.title).collect();
    titles.sort();
    titles
}

fn damage(db: &Path) {
    damage_store_file(db).unwrap();
}

#[test]
fn a_damaged_database_is_refused_as_damaged_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_cases(dir.path()));
    damage(&db(dir.path()));
    let damaged = fs::read(db(dir.path())).unwrap();

    let err = Store::open(dir.path()).err().expect("a damaged store must not open");
    assert_eq!(err.code(), "database_damaged", "{err:?}");
    assert!(err.to_string().contains("backup restore"), "the message names the way out: {err}");
    assert_eq!(fs::read(db(dir.path())).unwrap(), damaged, "nothing is written to it");
}

#[test]
fn restoring_brings_the_cases_back_and_keeps_the_damaged_files_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_cases(dir.path());
    let wanted = titles(&store);
    let made = store.backup(BackupKind::Manual).unwrap();
    assert_eq!(made.kind, BackupKind::Manual);
    drop(store);
    damage(&db(dir.path()));
    let damaged = fs::read(db(dir.path())).unwrap();
    // A WAL left beside the damaged file must go aside with it: replayed onto the restored
    // database it would damage that too.
    fs::write(dir.path().join("paks-desk.sqlite3-wal"), b"stale wal").unwrap();
    fs::write(dir.path().join("paks-desk.sqlite3-shm"), b"stale shm").unwrap();

    let restored = backup::restore(dir.path(), None, START).unwrap();
    assert_eq!(restored.backup.name, made.name);
    let aside: Vec<String> = restored
        .set_aside
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        aside,
        [
            "paks-desk-before-restore-2026-12-02T05-29-44Z.sqlite3",
            "paks-desk-before-restore-2026-12-02T05-29-44Z.sqlite3-wal",
            "paks-desk-before-restore-2026-12-02T05-29-44Z.sqlite3-shm",
        ]
    );
    assert_eq!(fs::read(&restored.set_aside[0]).unwrap(), damaged, "the damaged file is kept");
    assert_eq!(fs::read(&restored.set_aside[1]).unwrap(), b"stale wal");

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(titles(&store), wanted, "every case is back");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_damaged_or_unknown_backup_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_cases(dir.path());
    let good = store.backup(BackupKind::Manual).unwrap();
    let clock_later = START + 1000 * DAY_SECS * 400;
    drop(store);
    // A newer backup that is damaged: the newest good one is the older.
    let damaged_name = "paks-desk-2030-01-01T00-00-00Z-v2-manual.sqlite3";
    let damaged_path = backup::backup_dir(dir.path()).join(damaged_name);
    fs::copy(backup::backup_dir(dir.path()).join(&good.name), &damaged_path).unwrap();
    damage(&damaged_path);
    assert_eq!(backup::list(dir.path()).unwrap()[0].name, damaged_name, "newest first");
    assert_eq!(backup::newest_good(dir.path()).unwrap().unwrap().name, good.name);

    let before = fs::read(db(dir.path())).unwrap();
    let err = backup::restore(dir.path(), Some(damaged_name), clock_later).unwrap_err();
    assert_eq!(err.code(), "database_damaged", "{err:?}");
    let err = backup::restore(dir.path(), Some("nope.sqlite3"), clock_later).unwrap_err();
    assert_eq!(err.code(), "backup_not_found", "{err:?}");
    assert_eq!(fs::read(db(dir.path())).unwrap(), before, "a refused restore changes nothing");

    let empty = tempfile::tempdir().unwrap();
    let err = backup::restore(empty.path(), None, clock_later).unwrap_err();
    assert_eq!(err.code(), "no_backup", "{err:?}");
}

#[test]
fn a_backup_is_made_before_a_migration() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The store as the first release left it: schema version 1, one case.
        let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
        conn.execute_batch(include_str!("../migrations/0001_initial.sql")).unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
        conn.execute("INSERT INTO settings (key, value) VALUES ('written_by', 'release 1')", [])
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(START));
    let store = Store::open_with_clock(dir.path(), clock).unwrap();
    let latest = desk_core::store::migrations::latest_version();
    assert!(latest > 1, "this test needs a migration after the first");

    let before: Vec<_> = backup::list(dir.path())
        .unwrap()
        .into_iter()
        .filter(|b| b.kind == BackupKind::BeforeMigration)
        .collect();
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0].name, "paks-desk-2026-12-02T05-29-44Z-v1-before-migration.sqlite3");
    assert_eq!(before[0].schema_version, 1);
    let kept =
        rusqlite::Connection::open(backup::backup_dir(dir.path()).join(&before[0].name)).unwrap();
    let version: i64 = kept.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1, "the backup holds the database as it was before the migration");
    let value: String = kept
        .query_row("SELECT value FROM settings WHERE key = 'written_by'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(value, "release 1");
    let journal: String = kept.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "delete", "a backup is one self-contained file");
    drop(store);

    // Opening the migrated store again makes no second one.
    drop(Store::open(dir.path()).unwrap());
    let count = backup::list(dir.path())
        .unwrap()
        .iter()
        .filter(|b| b.kind == BackupKind::BeforeMigration)
        .count();
    assert_eq!(count, 1);
}

#[test]
fn daily_backups_rotate_keeping_the_last_seven() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = Store::open_with_clock(dir.path(), clock.clone()).unwrap();
    let case = store.create_case("Day 0", Some("BTN")).unwrap();
    drop(store);
    assert!(backup::list(dir.path()).unwrap().is_empty(), "a new, empty store needs no backup");
    // A backup that a crash interrupted: never listed, cleaned by the next one.
    fs::create_dir_all(backup::backup_dir(dir.path())).unwrap();
    let half =
        backup::backup_dir(dir.path()).join(".paks-desk-2026-12-01T00-00-00Z-v2-daily.sqlite3.tmp");
    fs::write(&half, b"half a backup").unwrap();

    for day in 1..=10 {
        let store = Store::open_with_clock(dir.path(), clock.clone()).unwrap();
        assert!(store.backup_if_due().unwrap().is_some(), "day {day}: the first is due");
        store.set_field(case.id, CaseField::Title, &format!("Day {day}")).unwrap();
        drop(store);
        // Opened again the same day: no second daily backup.
        clock.advance_secs(60 * 60);
        let again = Store::open_with_clock(dir.path(), clock.clone()).unwrap();
        assert_eq!(again.backup_if_due().unwrap(), None, "day {day}: one a day");
        drop(again);
        let daily: Vec<_> = backup::list(dir.path())
            .unwrap()
            .into_iter()
            .filter(|b| b.kind == BackupKind::Daily)
            .collect();
        assert_eq!(daily.len(), (day as usize).min(KEEP_DAILY), "day {day}: {daily:?}");
        clock.advance_secs(DAY_SECS - 60 * 60);
    }
    assert!(!half.exists(), "the half-written backup was cleaned up");

    let daily: Vec<_> = backup::list(dir.path()).unwrap();
    let oldest_kept = START + 3 * DAY_SECS * 1000;
    assert_eq!(daily.last().unwrap().taken_at, oldest_kept, "the oldest were dropped: {daily:?}");
    // The newest daily backup was taken when day 10 began: it holds day 9's title.
    let newest =
        rusqlite::Connection::open(backup::backup_dir(dir.path()).join(&daily[0].name)).unwrap();
    let title: String =
        newest.query_row("SELECT title FROM cases WHERE id = ?1", [case.id], |r| r.get(0)).unwrap();
    assert_eq!(title, "Day 9");
}

#[cfg(unix)]
#[test]
fn the_data_folder_it_creates_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("paks-desk");
    let store = store_with_cases(&data);
    store.backup(BackupKind::Manual).unwrap();
    for folder in [data.parent().unwrap(), &data, &backup::backup_dir(&data)] {
        let mode = fs::metadata(folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is {mode:o}", folder.display());
    }
}

#[test]
fn a_running_app_makes_its_daily_backup_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store.create_case("Kept while the app runs", Some("BTN")).unwrap();
    Store::keep_daily_backups(&store).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let daily = backup::list(dir.path()).unwrap();
        if daily.iter().any(|b| b.kind == BackupKind::Daily) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no daily backup after 30 s: {daily:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
