#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Bad input gets a clear error and loses nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use desk_core::{CaseField, Error, Framework, LinkInput, Store, text_from_bytes};

fn store_with_text() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let case = store.create_case("Kept", Some("LAO")).unwrap();
    store.set_field(case.id, CaseField::Summary, "Kept summary").unwrap();
    (dir, store, case.id)
}

fn assert_intact(store: &Store, id: i64) {
    let case = store.case(id).unwrap();
    assert_eq!(case.field(CaseField::Title), "Kept");
    assert_eq!(case.field(CaseField::Summary), "Kept summary");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn unknown_country_and_target_are_refused_clearly() {
    let (_dir, store, id) = store_with_text();
    let err = store.set_field(id, CaseField::Country, "XYZ").unwrap_err();
    assert_eq!(err.code(), "unknown_country");
    assert!(err.to_string().contains("'XYZ' is not an ESCAP"), "{err}");
    let link = LinkInput {
        framework: Framework::Mdg,
        target: "9.A".into(),
        indicator: None,
        note: "n".into(),
    };
    let err = store.link_goal(id, &link).unwrap_err();
    assert!(err.to_string().contains("'9.A' is not a target of the MDG framework"), "{err}");
    assert_eq!(store.case(id).unwrap().field(CaseField::Country), "LAO");
    assert_intact(&store, id);
}

#[test]
fn a_ten_megabyte_field_is_refused_and_the_old_text_kept() {
    let (_dir, store, id) = store_with_text();
    let huge = "ລ".repeat(10 * 1024 * 1024 / 3);
    let err = store.set_field(id, CaseField::Summary, &huge).unwrap_err();
    assert!(matches!(err, Error::FieldTooLong { max: 50_000, .. }), "{err:?}");
    assert!(err.to_string().contains("Shorten it"), "{err}");
    assert_intact(&store, id);
}

#[test]
fn invalid_utf8_is_refused_with_its_position() {
    let err = text_from_bytes(b"Vientiane \xff\xfe".to_vec()).unwrap_err();
    assert!(matches!(err, Error::InvalidUtf8 { valid_up_to: 10 }), "{err:?}");
    assert_eq!(text_from_bytes("ສະບາຍດີ".as_bytes().to_vec()).unwrap(), "ສະບາຍດີ");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("paks-desk.sqlite3");
    let garbage: Vec<u8> =
        (0..64 * 1024u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();
    let err = Store::open(dir.path()).err().expect("must refuse");
    assert_eq!(err.code(), "not_a_database", "{err:?}");
    assert!(err.to_string().contains("is not a PAKS Desk database"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "the file is untouched");
}

#[test]
fn a_database_from_a_newer_app_is_refused() {
    let (dir, store, id) = store_with_text();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("paks-desk.sqlite3")).unwrap();
    conn.execute_batch("PRAGMA user_version = 42").unwrap();
    drop(conn);
    let err = Store::open(dir.path()).err().expect("must refuse");
    let latest = desk_core::store::migrations::latest_version();
    assert!(
        matches!(err, Error::DatabaseTooNew { found: 42, supported } if supported == latest),
        "{err:?}"
    );
    assert!(err.to_string().contains("Install the newer version"));
    let conn = rusqlite::Connection::open(dir.path().join("paks-desk.sqlite3")).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {latest}")).unwrap();
    drop(conn);
    assert_intact(&Store::open(dir.path()).unwrap(), id);
}

/// A real small tmpfs, mounted for the test (root is needed, as in CI; without it the test fails
/// and says so rather than skipping).
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a tmpfs needs root (CI runs as root)");
        Tmpfs { path, _dir: dir }
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_refuses_the_save_and_keeps_what_was_saved() {
    let disk = Tmpfs::mount("2m");
    let store = Store::open(disk.path()).unwrap();
    let case = store.create_case("Kept", Some("LAO")).unwrap();
    store.set_field(case.id, CaseField::Summary, "Kept summary").unwrap();
    let mut full = None;
    for n in 0..400 {
        let text = format!("{n} {}", "x".repeat(40_000));
        let field = [CaseField::Problem, CaseField::Solution, CaseField::Results][n % 3];
        match store.set_field(case.id, field, &text) {
            Ok(_) => {
                let c = store.case(case.id).unwrap();
                store.checkpoint(c.id, "fill").ok();
            }
            Err(err) => {
                full = Some(err);
                break;
            }
        }
    }
    let err = full.expect("a 2 MB disk fills up");
    assert_eq!(err.code(), "disk_full", "{err:?}");
    assert!(err.to_string().contains("Free some space"), "{err}");
    assert_intact(&store, case.id);
    drop(store);

    disk.remount("size=64m");
    let store = Store::open(disk.path()).unwrap();
    assert_intact(&store, case.id);
    store.set_field(case.id, CaseField::Obstacles, "works again").unwrap();
}

#[test]
fn a_read_only_disk_is_refused_and_the_data_kept() {
    let disk = Tmpfs::mount("8m");
    let id = {
        let store = Store::open(disk.path()).unwrap();
        let case = store.create_case("Kept", Some("LAO")).unwrap();
        store.set_field(case.id, CaseField::Summary, "Kept summary").unwrap();
        case.id
    };
    disk.remount("ro");
    let err = Store::open(disk.path()).err().expect("a read-only store cannot be used for writing");
    assert_eq!(err.code(), "read_only", "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    disk.remount("rw");
    assert_intact(&Store::open(disk.path()).unwrap(), id);
}
