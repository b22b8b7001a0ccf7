#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! `backup list | now | restore` on a real data folder whose database is then damaged.

mod common;
#[path = "../../desk-core/tests/support/damage.rs"]
mod damage;

use common::{cli, ok};

#[test]
fn a_damaged_store_is_named_and_restore_brings_the_cases_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let titles: Vec<String> = (0..30).map(|n| format!("Druk e-Service {n}")).collect();
    for title in &titles {
        let id = ok(data, &["case", "new", "--title", title, "--country", "BTN"]);
        ok(data, &["case", "set", id.trim(), "summary", &"One window for services. ".repeat(20)]);
    }
    let made = ok(data, &["backup", "now"]);
    assert!(made.starts_with("Backed up: paks-desk-"), "{made}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(data, &["backup", "list", "--json"])).unwrap();
    let kinds: Vec<&str> =
        listed.as_array().unwrap().iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"manual"), "{listed}");

    let db = data.join("paks-desk.sqlite3");
    damage::damage_store_file(&db).unwrap();
    let damaged = std::fs::read(&db).unwrap();

    let refused = cli(data, &["case", "list"]);
    assert_eq!(refused.status.code(), Some(2), "a damaged store is an error");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("damaged") && said.contains("backup restore"), "{said}");
    assert!(said.lines().count() == 1, "one plain message, no trace: {said}");

    let unknown = cli(data, &["backup", "restore", "paks-desk-nope.sqlite3"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("backup list"));
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "a refused restore changes nothing");

    let restored = ok(data, &["backup", "restore"]);
    assert!(restored.starts_with("Restored paks-desk-"), "{restored}");
    let aside = restored
        .lines()
        .find_map(|line| line.strip_prefix("Kept aside: "))
        .unwrap_or_else(|| panic!("the damaged file's new place is printed: {restored}"));
    assert_eq!(std::fs::read(aside).unwrap(), damaged, "the damaged file is kept aside");

    let list = ok(data, &["case", "list"]);
    for title in &titles {
        assert!(list.contains(title), "{title} is back: {list}");
    }
}

#[test]
fn backup_list_on_a_new_data_folder_says_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["backup", "list"]);
    assert!(out.starts_with("No backups yet"), "{out}");
    let none = cli(dir.path(), &["backup", "restore"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no good backup"));
}
