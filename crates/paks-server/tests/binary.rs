//! The real `paks-server` binary: operator CLI, serve, URL on stdout, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paks-server"))
}

fn run(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run paks-server");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn binary_serves_registers_reviews_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let added = run(&[
        "focal-point",
        "add",
        "--data",
        data,
        "--country",
        "lao",
        "--name",
        "Souk",
        "--email",
        "souk@example.la",
    ]);
    let token = added.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("paks_") && token.len() > 40, "{added}");
    let db = std::fs::read(dir.path().join("paks.sqlite3")).unwrap();
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "token stored in clear");
    assert!(run(&["focal-point", "list", "--data", data]).contains("LAO\tSouk"));

    let mut child = bin()
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0", "--name", "PAKS binary test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("PAKS server listening on ").unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let receipt = rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = reqwest::Client::new();
        let id: paks_protocol::ServerIdentity =
            c.get(format!("{url}/api/v1/identity")).send().await.unwrap().json().await.unwrap();
        assert_eq!(id.name, "PAKS binary test");
        assert_eq!(id.public_key, run(&["key", "--data", data]).trim());
        let sample = include_str!("fixtures/submission.json");
        let mut body: serde_json::Value = serde_json::from_str(sample).unwrap();
        body["case"]["case_uid"] = serde_json::json!(uuid::Uuid::new_v4());
        let res = c
            .post(format!("{url}/api/v1/submissions"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "\"bin-1\"")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let receipt: paks_protocol::Receipt = res.json().await.unwrap();
        paks_protocol::verify_receipt(&id.public_key, &receipt).unwrap();
        receipt
    });
    let sid = receipt.submission_id.to_string();
    assert!(run(&["review", "list", "--data", data, "--state", "received"]).contains(&sid));
    run(&["review", "request-changes", "--data", data, &sid, "--comment", "Add figures"]);
    assert!(
        run(&["review", "show", "--data", data, &sid]).contains("reviewer comment: Add figures")
    );
    run(&["review", "publish", "--data", data, &sid]);
    rt.block_on(async {
        let page = reqwest::get(format!("{url}/cases/{sid}")).await.unwrap();
        assert_eq!(page.status(), 200);
    });

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}
