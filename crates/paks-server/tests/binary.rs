//! The real `paks-server` binary: operator CLI, serve, URL on stdout, graceful shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{
    ServerProcess, add_focal_point_cli, eventually, stored_submissions, unanswered_claims,
};

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

#[test]
fn a_server_killed_while_it_stores_a_submission_takes_its_retry_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let token = add_focal_point_cli(data, "LAO");
    let mut body: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/submission.json")).unwrap();
    body["case"]["case_uid"] = serde_json::json!(uuid::Uuid::new_v4());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = common::test_client();
    let send = |url: String| {
        let req = client.post(format!("{url}/api/v1/submissions")).bearer_auth(&token);
        req.header("Idempotency-Key", "\"killed-1\"").json(&body).send()
    };

    let mut server = ServerProcess::start(data, &["--test-processing-delay-ms", "60000"]);
    let pending = rt.spawn(send(server.url.clone()));
    rt.block_on(eventually("the submission's key is claimed", || unanswered_claims(data) > 0));
    server.kill9();
    assert!(rt.block_on(pending).unwrap().is_err(), "the killed server sent no answer");
    assert_eq!(unanswered_claims(data), 1, "the killed server left its claim");

    let server = ServerProcess::start(data, &[]);
    let res = rt.block_on(send(server.url.clone())).unwrap();
    assert_eq!(res.status(), 201, "the retry after a restart is taken, not 409");
    let receipt: paks_protocol::Receipt = rt.block_on(res.json()).unwrap();
    let again = rt.block_on(send(server.url.clone())).unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(rt.block_on(again.json::<paks_protocol::Receipt>()).unwrap(), receipt);
    assert_eq!(stored_submissions(data), 1, "exactly one submission");
    assert_eq!(unanswered_claims(data), 0);
}
