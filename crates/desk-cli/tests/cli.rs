#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
mod common;

use std::process::{Command, Stdio};

use common::{cli, ok};

#[test]
fn a_case_is_written_linked_checked_and_listed_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Tashi Dorji",
            "--institution",
            "GovTech Agency",
            "--email",
            "tashi@tech.gov.bt",
            "--country",
            "BTN",
        ],
    );
    let profile: serde_json::Value =
        serde_json::from_str(&ok(data, &["profile", "show", "--json"])).unwrap();
    assert_eq!(profile["country"], "BTN");

    let id = ok(data, &["case", "new", "--title", "Druk e-Services", "--country", "BTN"])
        .trim()
        .to_owned();
    assert!(id.parse::<i64>().is_ok(), "prints the new id: {id:?}");

    let check = cli(data, &["case", "check", &id]);
    assert_eq!(check.status.code(), Some(1), "an incomplete case exits 1");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("Summary") && text.contains("MDG target"), "{text}");

    for (field, value) in [
        ("summary", "One window for 100 services."),
        ("problem", "Queues."),
        ("solution", "A portal."),
        ("results", "Visits fell by half."),
    ] {
        ok(data, &["case", "set", &id, field, value]);
    }
    let saved = ok(
        data,
        &[
            "case",
            "link",
            &id,
            "--mdg",
            "8.F",
            "--indicator",
            "8.16",
            "--note",
            "Internet users reach services online",
        ],
    );
    assert!(saved.contains("1 MDG"), "{saved}");
    let check = cli(data, &["case", "check", &id]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));

    let shown: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["fields"]["summary"], "One window for 100 services.");
    assert_eq!(shown["mdg_links"][0]["target"], "8.F");
    assert_eq!(shown["mdg_links"][0]["indicator"], "8.16");
    assert_eq!(shown["status"], "draft");

    let list: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "list", "--json", "--mdg", "8"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["title"], "Druk e-Services");
    let list: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "list", "--json", "--country", "LAO"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);

    let suggest = ok(data, &["case", "suggest", &id]);
    assert!(suggest.contains("not an official") && suggest.contains("9.c"), "{suggest}");
}

#[test]
fn text_can_come_from_standard_input_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id =
        ok(data, &["case", "new", "--title", "ລະບົບ e-Tax", "--country", "LAO"]).trim().to_owned();

    let mut child = Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .args(["--data"])
        .arg(data)
        .args(["case", "set", &id, "summary", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all("ພາສີອອນລາຍ\nline two".as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let shown: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["fields"]["summary"], "ພາສີອອນລາຍ\nline two");
    assert_eq!(shown["fields"]["title"], "ລະບົບ e-Tax");

    let bad = cli(data, &["case", "new", "--title", "x", "--country", "ATL"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'ATL' is not an ESCAP"));
    let bad = cli(data, &["case", "link", &id, "--mdg", "8.Q", "--note", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'8.Q' is not a target"));
    let bad = cli(data, &["case", "set", &id, "salary", "x"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'salary' is not a case field"));
    // A filter that can match nothing is a mistake to name, not "nothing found".
    let bad = cli(data, &["search", "tax", "--mdg", "9.Z"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'9.Z' is not an MDG goal"));
    let bad = cli(data, &["case", "list", "--country", "ZZZ"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'ZZZ' is not an ESCAP country code"));
    let listed = ok(data, &["case", "list", "--country", "lao", "--mdg", "8", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&listed).unwrap().as_array().unwrap().len(),
        0
    );
    let saved = ok(data, &["case", "set", &id, "start_year", "2019"]);
    assert!(saved.contains("(1 word"), "{saved}");

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let out = Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
            .arg("--data")
            .arg(data)
            .args(["case", "set", &id, "problem"])
            .arg(std::ffi::OsStr::from_bytes(b"caf\xe9"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8"));
    }
    let shown: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["fields"]["problem"], "", "nothing half-saved");
}

#[test]
fn catalogs_print_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mdg: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["catalog", "mdg", "--json"])).unwrap();
    assert_eq!(mdg["goals"].as_array().unwrap().len(), 8);
    let countries: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["catalog", "countries", "--json"])).unwrap();
    assert_eq!(countries.as_array().unwrap().len(), 62);
}

#[test]
fn revisions_can_be_listed_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ok(data, &["case", "new", "--title", "Tonga", "--country", "TON"]).trim().to_owned();
    ok(data, &["case", "set", &id, "summary", "first"]);
    ok(data, &["case", "checkpoint", &id, "--label", "first draft"]);
    ok(data, &["case", "set", &id, "summary", "second"]);
    let revisions: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "revisions", &id, "--json"])).unwrap();
    let checkpoint =
        revisions.as_array().unwrap().iter().find(|r| r["label"] == "first draft").unwrap();
    let rev = checkpoint["id"].to_string();
    ok(data, &["case", "restore", &id, &rev]);
    let shown: serde_json::Value =
        serde_json::from_str(&ok(data, &["case", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["fields"]["summary"], "first");
}
