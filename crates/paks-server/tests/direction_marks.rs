#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Invisible text-direction characters (U+202E and the like) in a title or a file name would
//! disguise what the public pages show: PAKS refuses them, at tus creation and at submission.

mod common;

use common::{TestServer, assert_problem, b64, request_json, sample_case};

const DISGUISED_NAME: &str = "report\u{202E}fdp.exe";

#[tokio::test]
async fn a_title_or_file_name_with_direction_controls_is_refused() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");

    let mut case = sample_case("LAO");
    case.title = "Tax \u{202E}latrop".into();
    let p = assert_problem(
        s.submit(&t, "title", &request_json(&case, &[])).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/case/title", "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("text-direction"), "{p}");

    let mut attachment = s.upload(&t, "report.pdf", b"bytes").await;
    for name in [DISGUISED_NAME, "a\u{2066}b.pdf", "a\u{200F}b.pdf", "a\u{061C}b.pdf"] {
        attachment.name = name.into();
        let body = request_json(&sample_case("LAO"), std::slice::from_ref(&attachment));
        let p = assert_problem(
            s.submit(&t, &format!("name-{}", name.len()), &body).await,
            422,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["pointer"], "/attachments/0/name", "{name:?}: {p}");
    }

    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .header("Upload-Metadata", format!("filename {}", b64(DISGUISED_NAME.as_bytes())))
        .send()
        .await
        .unwrap();
    let p = assert_problem(res, 400, "bad-tus-header").await;
    assert!(p["detail"].as_str().unwrap().contains("text-direction"), "{p}");

    let clean = request_json(&sample_case("LAO"), &[]);
    assert_eq!(s.submit(&t, "clean", &clean).await.status(), 201, "a plain title still goes");
}
