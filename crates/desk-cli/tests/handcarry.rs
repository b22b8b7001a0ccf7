#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! `export-bag` and `open-bag` from the terminal, and the exported bag imported by the real
//! server's `import-bag` code path.

mod common;

use std::path::Path;

use common::{cli, ok};

fn ready_case(data: &Path, attachment: &Path) -> String {
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Souphanh K.",
            "--institution",
            "MTC",
            "--email",
            "souphanh@mtc.gov.la",
            "--country",
            "LAO",
        ],
    );
    let id = ok(data, &["case", "new", "--title", "Lao e-Census", "--country", "LAO"]);
    let id = id.trim().to_owned();
    for (field, value) in [
        ("summary", "Census forms go online."),
        ("problem", "Paper forms."),
        ("solution", "Online forms."),
        ("results", "Faster counts."),
    ] {
        ok(data, &["case", "set", &id, field, value]);
    }
    ok(data, &["case", "link", &id, "--mdg", "8.F", "--note", "Internet users reach the census"]);
    ok(data, &["attach", &id, attachment.to_str().unwrap()]);
    id
}

#[test]
fn a_case_goes_out_as_a_bag_and_comes_back_as_a_new_draft() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "ສຳມະໂນປະຊາກອນ census notes\n").unwrap();
    let id = ready_case(&a, &notes);

    let nowhere = dir.path().join("no-such-folder").join("lao-census.zip");
    let out = cli(&a, &["export-bag", &id, nowhere.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let named = format!("The bag could not be written at {}: ", nowhere.display());
    assert!(err.contains(&named), "names the file asked for: {err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "the cause once: {err}");

    let bag = dir.path().join("lao-census.zip");
    let out = cli(&a, &["export-bag", &id, bag.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("with 1 attachment(s)") && stdout.contains("Idempotency-Key bag:"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("100%"), "a progress line reaches 100%");
    assert!(bag.is_file());
    let status = ok(&a, &["status", &id]);
    assert!(status.contains("Bag of version 1: not at PAKS yet"), "{status}");

    let opened = ok(&b, &["open-bag", bag.to_str().unwrap()]);
    let new_id = opened.trim();
    assert!(new_id.parse::<i64>().is_ok(), "prints the new case id: {opened:?}");
    let case: serde_json::Value =
        serde_json::from_str(&ok(&b, &["case", "show", new_id, "--json"])).unwrap();
    assert_eq!(case["fields"]["title"], "Lao e-Census");
    assert_eq!(case["fields"]["summary"], "Census forms go online.");
    assert_eq!(case["status"], "draft");
    let files: serde_json::Value =
        serde_json::from_str(&ok(&b, &["attachments", new_id, "--json"])).unwrap();
    assert_eq!(files[0]["name"], "notes.txt", "{files}");
    let check = cli(&b, &["case", "check", new_id]);
    assert_eq!(check.status.code(), Some(0), "the opened case is as complete as the original");

    let again = ok(&b, &["open-bag", bag.to_str().unwrap()]);
    assert_ne!(again.trim(), new_id, "a second open makes a second draft");

    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"not a zip").unwrap();
    let bad = cli(&b, &["open-bag", junk.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("This bag cannot be opened"), "{said}");

    // The bag the CLI wrote is what the server's import-bag takes.
    let server_dir = dir.path().join("server");
    let state = std::sync::Arc::new(
        paks_server::open_state(paks_server::Config::new(&server_dir)).unwrap(),
    );
    paks_server::operator::add_focal_point(
        &*state.meta,
        "LAO",
        "Souphanh",
        "souphanh@mtc.gov.la",
        None,
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let who = paks_server::handcarry::Submitter::Operator(None);
    let res = rt.block_on(paks_server::handcarry::import_file(&state, who, &bag)).unwrap();
    assert_eq!(res.status(), 201);
    let submissions = state.meta.submissions(None).unwrap();
    assert_eq!(submissions.len(), 1);
    assert_eq!(submissions[0].title, "Lao e-Census");
    assert_eq!(submissions[0].files[0].name, "notes.txt");
}
