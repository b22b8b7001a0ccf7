#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
mod common;

use std::path::{Path, PathBuf};

use common::{cli, ok};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desk-extract/tests/fixtures").join(name)
}

#[test]
fn attach_search_detach_and_check_files_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = ok(&data, &["case", "new", "--title", "Lao e-Census", "--country", "LAO"])
        .trim()
        .to_owned();
    let deck = fixture("order_notes_scripts.pptx");

    let out = ok(&data, &["attach", &id, deck.to_str().unwrap()]);
    assert!(out.contains("Attached order_notes_scripts.pptx"), "{out}");
    assert!(out.contains("PowerPoint presentation"), "{out}");
    assert!(out.contains("Indexed: 3 slides"), "{out}");

    let list: serde_json::Value =
        serde_json::from_str(&ok(&data, &["attachments", &id, "--json"])).unwrap();
    assert_eq!(list[0]["kind"], "pptx");
    assert_eq!(list[0]["index_status"], "indexed");
    assert_eq!(list[0]["units"], 3);
    let sha = list[0]["sha256"].as_str().unwrap().to_owned();

    let hits: serde_json::Value =
        serde_json::from_str(&ok(&data, &["search", "你好", "--json", "--country", "LAO"]))
            .unwrap();
    assert_eq!(hits[0]["place"]["kind"], "file");
    assert_eq!(hits[0]["place"]["unit"], 3);
    assert_eq!(hits[0]["place"]["unit_label"], "slide");
    let none: serde_json::Value =
        serde_json::from_str(&ok(&data, &["search", "你好", "--json", "--country", "BTN"]))
            .unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);
    ok(&data, &["search", "NEAR( \" *", "--json"]);

    assert!(ok(&data, &["check-files"]).contains("All files are present and intact"));
    let blob = data.join("attachments/blobs").join(&sha[..2]).join(&sha);
    std::fs::write(&blob, b"overwritten").unwrap();
    let check = cli(&data, &["check-files", "--json"]);
    assert_eq!(check.status.code(), Some(1), "a damaged file exits 1");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["problems"][0]["problem"], "damaged");
    assert_eq!(report["problems"][0]["cases"][0]["case_title"], "Lao e-Census");

    // The 12 characters `attachments` shows are enough.
    let listed = ok(&data, &["attachments", &id]);
    assert!(listed.starts_with(&sha[..12]), "{listed}");
    ok(&data, &["detach", &id, &sha[..12].to_uppercase()]);
    assert!(!blob.exists());
    assert!(ok(&data, &["check-files"]).contains("All files are present"));

    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let refused = cli(&data, &["attach", &id, empty.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("empty"), "{refused:?}");
}

#[test]
fn extract_runs_the_isolated_worker_and_prints_text_per_unit() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = fixture("three_pages.pdf");
    let out: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["extract", pdf.to_str().unwrap(), "--json"]))
            .unwrap();
    assert_eq!(out["status"], "indexed");
    assert_eq!(out["outcome"]["status"], "indexed");
    assert!(!out["engine"].as_str().unwrap().is_empty());
    assert_eq!(out["units"].as_array().unwrap().len(), 3);
    assert_eq!(out["units"][1]["label"], "page");
    assert_eq!(out["units"][1]["number"], 2);
}
