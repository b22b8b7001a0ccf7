//! Third-party checks run by Node: the official tus-js-client against our tus endpoint, and
//! OpenAPI/JSON Schema validators against our document. They need `npm ci` in
//! tests/interop-tus-js and fail (never skip) without it.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use paks_protocol::{Problem, ProblemType, Receipt, ServerIdentity, SubmissionStatus};
use serde_json::json;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn interop_dir() -> PathBuf {
    let dir = workspace_root().join("tests/interop-tus-js");
    assert!(
        dir.join("node_modules/tus-js-client").is_dir(),
        "tests/interop-tus-js/node_modules is missing: run `npm ci --prefix tests/interop-tus-js` \
         from the workspace root (needs Node 20+)"
    );
    dir
}

fn node(script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("node");
    cmd.arg(interop_dir().join(script)).args(args).current_dir(workspace_root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("`node` must be installed (Node 20+) to run the interop tests");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "node {script} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_uploads_is_cut_off_resumes_and_sha_matches() {
    let s = TestServer::start().await;
    let token = s.focal_point("LAO");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case-study.pdf");
    let data: Vec<u8> =
        (0..24u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    let (url, file_arg) = (s.url.clone(), file.to_str().unwrap().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        node("upload.mjs", &[&url, &file_arg], &[("PAKS_TOKEN", &token)])
    })
    .await
    .unwrap();
    let result: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let resumed_from = result["resumedFrom"].as_u64().unwrap();
    assert!(
        resumed_from > 0 && resumed_from < data.len() as u64,
        "the upload must have been cut and resumed mid-way: {result}"
    );
    let location = result["url"].as_str().unwrap();
    let upload = s.state().uploads.get(upload_id(location)).unwrap().unwrap();
    assert_eq!(upload.offset, data.len() as u64);
    assert_eq!(upload.info.metadata.get("filename").map(String::as_str), Some("case-study.pdf"));
    assert_eq!(upload.info.sha256.as_deref(), Some(sha256_hex(&data).as_str()));
}

#[test]
fn docs_openapi_json_is_the_generated_document() {
    let path = workspace_root().join("docs/openapi.json");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let generated = serde_json::to_string_pretty(&paks_server::openapi::document()).unwrap() + "\n";
    assert!(
        on_disk == generated,
        "docs/openapi.json is stale: run `cargo run -p paks-server -- openapi > docs/openapi.json`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_validates_and_wire_types_match_its_schemas() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let att = s.upload(&t, "a.pdf", b"pdf bytes").await;
    let case = sample_case("LAO");
    let request = request_json(&case, std::slice::from_ref(&att));
    let receipt: Receipt = s.submit(&t, "k", &request).await.json().await.unwrap();
    let status: SubmissionStatus = s
        .client
        .get(s.u(&format!("/api/v1/submissions/{}", receipt.submission_id)))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    paks_server::operator::set_state(
        &*s.state().meta,
        receipt.submission_id,
        paks_protocol::SubmissionState::Published,
        None,
    )
    .unwrap();
    let identity: ServerIdentity = s
        .client
        .get(s.u("/api/v1/identity?challenge=c"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: serde_json::Value =
        s.client.get(s.u("/api/v1/cases")).send().await.unwrap().json().await.unwrap();
    let published: serde_json::Value = s
        .client
        .get(s.u(&format!("/api/v1/cases/{}", receipt.submission_id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let changes: serde_json::Value =
        s.client.get(s.u("/api/v1/public/changes")).send().await.unwrap().json().await.unwrap();
    assert_eq!(changes["changes"].as_array().unwrap().len(), 1, "{changes}");
    let mut bad_change = changes.clone();
    bad_change["changes"][0]["kind"] = json!("lost");
    let problem: Problem = s.submit(&t, "x", &json!({})).await.json().await.unwrap();
    let mut with_errors = Problem::new(ProblemType::ValidationFailed, "d");
    with_errors
        .errors
        .push(paks_protocol::FieldError { pointer: "/case".into(), message: "m".into() });
    let served: serde_json::Value =
        s.client.get(s.u("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(served, paks_server::openapi::document());

    let mut unknown_field = request.clone();
    unknown_field["case"]["surprise"] = json!(1);
    let mut bad_state = serde_json::to_value(&status).unwrap();
    bad_state["state"] = json!("lost");
    let mut no_signature = serde_json::to_value(&receipt).unwrap();
    no_signature.as_object_mut().unwrap().remove("signature");
    let samples = json!({
        "valid": {
            "SubmissionRequest": [request],
            "Receipt": [receipt],
            "SubmissionStatus": [status],
            "ServerIdentity": [identity],
            "Problem": [problem, with_errors],
            "PublishedCaseList": [list],
            "PublishedCase": [published],
            "PublicChangePage": [changes],
        },
        "invalid": {
            "SubmissionRequest": [unknown_field, json!({"attachments": []})],
            "SubmissionStatus": [bad_state],
            "Receipt": [no_signature],
            "PublicChangePage": [bad_change],
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let doc_path = dir.path().join("openapi.json");
    let samples_path = dir.path().join("samples.json");
    std::fs::write(&doc_path, serde_json::to_vec(&served).unwrap()).unwrap();
    std::fs::write(&samples_path, serde_json::to_vec(&samples).unwrap()).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        node(
            "validate-openapi.mjs",
            &[doc_path.to_str().unwrap(), samples_path.to_str().unwrap()],
            &[],
        )
    })
    .await
    .unwrap();
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["openapi"], "valid");
    assert_eq!(report["samplesChecked"], 14);
}
