//! Submissions, receipts, review and the public knowledge space, against the real server.

mod common;

use std::time::Duration;

use common::*;
use paks_protocol::{
    Receipt, ServerIdentity, SubmissionState, SubmissionStatus, case_sha256, verify_identity,
    verify_receipt,
};
use paks_server::operator;
use serde_json::json;

fn submissions_count(s: &TestServer) -> usize {
    s.state().meta.submissions(None).expect("list submissions").len()
}

#[tokio::test]
async fn identity_proves_the_server_key() {
    let s = TestServer::start().await;
    let res = s.client.get(s.u("/api/v1/identity?challenge=nonce-123")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let id: ServerIdentity = res.json().await.unwrap();
    assert_eq!(id.service, "paks-submission");
    assert_eq!(id.api_version, "1");
    assert_eq!(id.name, "PAKS test server");
    assert_eq!(id.tus.max_size, 2 << 30);
    verify_identity(&id.public_key, "nonce-123", &id).unwrap();
    assert!(verify_identity(&id.public_key, "another", &id).is_err());
    let mut forged = id.clone();
    forged.challenge_signature = Some(b64(&[0u8; 64]));
    assert!(verify_identity(&id.public_key, "nonce-123", &forged).is_err());
    // Another server (other key) cannot pass for this one.
    let other = TestServer::start().await;
    let other_key = other.public_key().await;
    assert!(verify_identity(&other_key, "nonce-123", &id).is_err());
}

#[tokio::test]
async fn submission_with_file_gets_a_signed_receipt() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let pdf = b"%PDF-1.4 a case study".repeat(1000);
    let att = s.upload(&t, "case study.pdf", &pdf).await;
    let case = sample_case("LAO");
    let res = s.submit(&t, "key-1", &request_json(&case, std::slice::from_ref(&att))).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let receipt: Receipt = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/submissions/{}", receipt.submission_id));
    let key = s.public_key().await;
    verify_receipt(&key, &receipt).unwrap();
    assert_eq!(receipt.case_sha256, case_sha256(&case).unwrap());
    assert_eq!(receipt.files.len(), 1);
    assert_eq!(receipt.files[0].sha256, sha256_hex(&pdf));
    assert_eq!(receipt.files[0].size, pdf.len() as u64);
    assert_eq!(receipt.version, 1);
    assert_eq!(receipt.country, "LAO");
    let mut tampered = receipt.clone();
    tampered.files[0].sha256 = sha256_hex(b"other");
    assert!(verify_receipt(&key, &tampered).is_err());
    let other = TestServer::start().await;
    assert!(verify_receipt(&other.public_key().await, &receipt).is_err());
    // The upload now belongs to the submission: it no longer expires and cannot be deleted.
    let up = s.state().uploads.get(att.upload_id).unwrap().unwrap();
    assert_eq!(up.info.expires_at, None);
    let res = s.delete_upload(&t, att.upload_id).await;
    assert_problem(res, 409, "upload-in-use").await;
}

#[tokio::test]
async fn idempotency_key_rules() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let case = sample_case("LAO");
    let body = request_json(&case, &[]);
    let first = s.submit(&t, "k", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();
    let retry = s.submit(&t, "k", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<serde_json::Value>().await.unwrap(), first, "stored response replayed");
    assert_eq!(submissions_count(&s), 1);
    let mut changed = case.clone();
    changed.title = "Another title".into();
    assert_problem(
        s.submit(&t, "k", &request_json(&changed, &[])).await,
        422,
        "idempotency-key-reused",
    )
    .await;
    let res = s
        .client
        .post(s.u("/api/v1/submissions"))
        .bearer_auth(&t)
        .json(&request_json(&sample_case("LAO"), &[]))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "idempotency-key-missing").await;
    // Keys are per token: the same key from another focal point is a new request.
    let t2 = s.focal_point("LAO");
    assert_eq!(s.submit(&t2, "k", &request_json(&sample_case("LAO"), &[])).await.status(), 201);
    assert_eq!(submissions_count(&s), 2);
}

#[tokio::test]
async fn concurrent_duplicate_gets_409() {
    let s = TestServer::start_with(|c| c.submission_processing_delay = Duration::from_millis(800))
        .await;
    let t = s.focal_point("LAO");
    let body = request_json(&sample_case("LAO"), &[]);
    let (a, b) = tokio::join!(s.submit(&t, "same", &body), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.submit(&t, "same", &body).await
    });
    assert_eq!(a.status(), 201);
    let body409 = assert_problem(b, 409, "idempotency-in-progress").await;
    assert!(body409["detail"].as_str().unwrap().contains("being processed"));
    assert_eq!(submissions_count(&s), 1);
}

#[tokio::test]
async fn failed_submission_frees_its_key_and_stores_nothing() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 10, "half.pdf").await;
    assert_eq!(s.patch(&t, &loc, 0, vec![1; 5]).await.status(), 204);
    let att = paks_protocol::AttachmentDescriptor {
        upload_id: upload_id(&loc),
        sha256: sha256_hex(&[1; 10]),
        size: 10,
        name: "half.pdf".into(),
        media_type: "application/pdf".into(),
    };
    let body = request_json(&sample_case("LAO"), std::slice::from_ref(&att));
    assert_problem(s.submit(&t, "retry-me", &body).await, 422, "upload-incomplete").await;
    assert_eq!(submissions_count(&s), 0);
    assert_eq!(s.patch(&t, &loc, 5, vec![1; 5]).await.status(), 204);
    assert_eq!(s.submit(&t, "retry-me", &body).await.status(), 201, "same key works once fixed");
}

#[tokio::test]
async fn token_scope_revocation_and_expiry() {
    let s = TestServer::start().await;
    let lao = s.focal_point("LAO");
    let res = s.submit(&lao, "a", &request_json(&sample_case("VNM"), &[])).await;
    assert_problem(res, 403, "wrong-country").await;
    // Status of another country's submission.
    let vnm = s.focal_point("VNM");
    let r: Receipt =
        s.submit(&vnm, "b", &request_json(&sample_case("VNM"), &[])).await.json().await.unwrap();
    // Another country's submission is answered like an id that does not exist: a token learns
    // nothing about other countries' submissions.
    for path in [
        format!("/api/v1/submissions/{}", r.submission_id),
        format!("/api/v1/receipts/{}/{}", r.case_uid, r.version),
        format!("/api/v1/submissions/{}", uuid::Uuid::new_v4()),
        format!("/api/v1/receipts/{}/1", uuid::Uuid::new_v4()),
    ] {
        let res = s.client.get(s.u(&path)).bearer_auth(&lao).send().await.unwrap();
        assert_problem(res, 404, "not-found").await;
    }
    let own = s.client.get(s.u(&format!("/api/v1/receipts/{}/{}", r.case_uid, r.version)));
    assert_eq!(own.bearer_auth(&vnm).send().await.unwrap().status(), 200);
    // Revoked.
    let fp =
        s.state().meta.focal_points().unwrap().into_iter().find(|f| f.country == "VNM").unwrap();
    operator::revoke_focal_point(&*s.state().meta, fp.id).unwrap();
    let res = s.submit(&vnm, "c", &request_json(&sample_case("VNM"), &[])).await;
    let p = assert_problem(res, 401, "unauthorized").await;
    assert!(p["detail"].as_str().unwrap().contains("revoked"));
    // Expired.
    let token = paks_server::auth::new_token().unwrap();
    let new = paks_server::metadata::NewFocalPoint {
        country: "KHM".into(),
        name: "Old".into(),
        email: "old@example.org".into(),
        expires_at: Some("2020-01-01T00:00:00Z".into()),
    };
    s.state().meta.add_focal_point(&new, &paks_server::auth::token_sha256(&token)).unwrap();
    let res = s.submit(&token, "d", &request_json(&sample_case("KHM"), &[])).await;
    let p = assert_problem(res, 401, "unauthorized").await;
    assert!(p["detail"].as_str().unwrap().contains("expired"));
    assert_eq!(submissions_count(&s), 1);
}

#[tokio::test]
async fn attachments_must_be_own_complete_and_matching() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let other = s.focal_point("LAO");
    let att = s.upload(&other, "theirs.pdf", b"their bytes").await;
    let res = s.submit(&t, "a", &request_json(&sample_case("LAO"), &[att])).await;
    assert_problem(res, 403, "foreign-upload").await;
    let mut mine = s.upload(&t, "mine.pdf", b"my bytes").await;
    mine.sha256 = sha256_hex(b"not my bytes");
    let res = s.submit(&t, "b", &request_json(&sample_case("LAO"), &[mine.clone()])).await;
    assert_problem(res, 422, "attachment-mismatch").await;
    mine.sha256 = sha256_hex(b"my bytes");
    mine.upload_id = uuid::Uuid::new_v4();
    let p = assert_problem(
        s.submit(&t, "c", &request_json(&sample_case("LAO"), &[mine])).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/attachments/0/upload_id");
    assert_eq!(submissions_count(&s), 0);
}

#[tokio::test]
async fn expired_upload_cannot_be_submitted() {
    let s = TestServer::start_with(|c| c.upload_ttl = Duration::from_secs(1)).await;
    let t = s.focal_point("LAO");
    let att = s.upload(&t, "late.pdf", b"late").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = s.submit(&t, "a", &request_json(&sample_case("LAO"), &[att])).await;
    assert_problem(res, 410, "upload-expired").await;
}

#[tokio::test]
async fn bad_bodies_get_problems_and_store_nothing() {
    let s = TestServer::start_with(|c| c.max_submission_bytes = 64 * 1024).await;
    let t = s.focal_point("LAO");
    let good = request_json(&sample_case("LAO"), &[]);
    assert_problem(s.submit_raw(&t, "1", b"{\"case\": ".to_vec()).await, 400, "malformed-json")
        .await;
    let mut bad_utf8 = serde_json::to_vec(&good).unwrap();
    let pos = bad_utf8.windows(3).position(|w| w == b"One").unwrap();
    bad_utf8[pos] = 0xff;
    assert_problem(s.submit_raw(&t, "2", bad_utf8).await, 400, "invalid-utf8").await;
    let mut big = good.clone();
    big["case"]["summary"] = json!("x".repeat(70 * 1024));
    assert_problem(s.submit(&t, "3", &big).await, 413, "too-large").await;
    let mut unknown = good.clone();
    unknown["case"]["surprise"] = json!(true);
    let p = assert_problem(s.submit(&t, "4", &unknown).await, 422, "invalid-document").await;
    assert!(p["detail"].as_str().unwrap().contains("surprise"), "{p}");
    let mut v2 = good.clone();
    v2["case"]["schema_version"] = json!(2);
    let p = assert_problem(s.submit(&t, "5", &v2).await, 422, "unsupported-schema-version").await;
    assert_eq!(p["errors"][0]["pointer"], "/case/schema_version");
    let mut missing = good.clone();
    missing["case"].as_object_mut().unwrap().remove("title");
    assert_problem(s.submit(&t, "6", &missing).await, 422, "invalid-document").await;
    let mut rules = good.clone();
    rules["case"]["country"] = json!("laos");
    rules["case"]["mdg_links"][0]["target"] = json!("eight");
    let p = assert_problem(s.submit(&t, "7", &rules).await, 422, "validation-failed").await;
    let pointers: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert!(pointers.contains(&"/case/country"), "{pointers:?}");
    assert!(pointers.contains(&"/case/mdg_links/0/target"), "{pointers:?}");
    let att = s.upload(&t, "ok.pdf", b"bytes").await;
    for name in ["../secret.pdf", "C:\\x.pdf", "a\nb.pdf", "tab\t.pdf"] {
        let mut a = att.clone();
        a.name = name.into();
        let p = assert_problem(
            s.submit(&t, &format!("n-{}", name.len()), &request_json(&sample_case("LAO"), &[a]))
                .await,
            422,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["pointer"], "/attachments/0/name", "{name:?}");
    }
    assert_eq!(submissions_count(&s), 0);
    assert_eq!(s.submit(&t, "8", &good).await.status(), 201);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let s = TestServer::start_with(|c| {
        c.rate_limit_burst = 3;
        c.rate_limit_per_second = 0.2;
    })
    .await;
    let t = s.focal_point("LAO");
    let other = s.focal_point("LAO");
    let status = |t: &str| {
        s.client
            .get(s.u(&format!("/api/v1/submissions/{}", uuid::Uuid::new_v4())))
            .bearer_auth(t)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(status(&t).await.unwrap().status(), 404);
    }
    let res = status(&t).await.unwrap();
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "{retry}");
    assert_problem(res, 429, "rate-limited").await;
    assert_eq!(status(&other).await.unwrap().status(), 404, "limit is per token");
}

#[tokio::test]
async fn new_versions_and_review_states() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let case = sample_case("LAO");
    let r1: Receipt = s.submit(&t, "v1", &request_json(&case, &[])).await.json().await.unwrap();
    let get_status = |id: uuid::Uuid| {
        s.client.get(s.u(&format!("/api/v1/submissions/{id}"))).bearer_auth(&t).send()
    };
    let st: SubmissionStatus = get_status(r1.submission_id).await.unwrap().json().await.unwrap();
    assert_eq!(st.state, SubmissionState::Received);
    let meta = &*s.state().meta;
    operator::set_state(meta, r1.submission_id, SubmissionState::UnderReview, None).unwrap();
    assert!(
        operator::set_state(meta, r1.submission_id, SubmissionState::ChangesRequested, None)
            .is_err(),
        "a comment is required"
    );
    operator::set_state(
        meta,
        r1.submission_id,
        SubmissionState::ChangesRequested,
        Some("Please add results <b>figures</b>."),
    )
    .unwrap();
    let st: SubmissionStatus = get_status(r1.submission_id).await.unwrap().json().await.unwrap();
    assert_eq!(st.state, SubmissionState::ChangesRequested);
    assert_eq!(st.reviewer_comment.as_deref(), Some("Please add results <b>figures</b>."));
    // Version 2 without `replaces`, with a wrong one, then right.
    let mut v2 = case.clone();
    v2.version = 2;
    let p = assert_problem(
        s.submit(&t, "v2a", &request_json(&v2, &[])).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/case/replaces");
    v2.replaces = Some(uuid::Uuid::new_v4());
    assert_problem(s.submit(&t, "v2b", &request_json(&v2, &[])).await, 422, "replaced-not-found")
        .await;
    v2.replaces = Some(r1.submission_id);
    v2.results = "Registration now takes one day.".into();
    let r2: Receipt = s.submit(&t, "v2c", &request_json(&v2, &[])).await.json().await.unwrap();
    assert_eq!(r2.replaces, Some(r1.submission_id));
    assert_eq!(r2.version, 2);
    let st: SubmissionStatus = get_status(r1.submission_id).await.unwrap().json().await.unwrap();
    assert_eq!(st.replaced_by, Some(r2.submission_id));
    // The same version again (new key) conflicts.
    let mut again = v2.clone();
    again.title = "dup".into();
    assert_problem(s.submit(&t, "v2d", &request_json(&again, &[])).await, 409, "version-conflict")
        .await;
    operator::set_state(meta, r2.submission_id, SubmissionState::Published, None).unwrap();
    let st: SubmissionStatus = get_status(r2.submission_id).await.unwrap().json().await.unwrap();
    assert_eq!(st.state, SubmissionState::Published);
    assert_eq!(st.public_url, Some(format!("/cases/{}", r2.submission_id)));
}

#[tokio::test]
async fn knowledge_space_lists_searches_and_escapes() {
    let s = TestServer::start().await;
    let lao = s.focal_point("LAO");
    let vnm = s.focal_point("VNM");
    let pdf = b"%PDF-1.7 evidence".to_vec();
    let att = s.upload(&lao, "evidence <1>.pdf", &pdf).await;
    let mut a = sample_case("LAO");
    a.title = "<script>alert('x')</script> Rural telecentres".into();
    a.summary = "Telecentres & <i>kiosks</i> in villages.".into();
    let ra: Receipt = s.submit(&lao, "a", &request_json(&a, &[att])).await.json().await.unwrap();
    let mut b = sample_case("VNM");
    b.title = "Online tax filing".into();
    b.mdg_links[0].target = "1.A".into();
    let rb: Receipt = s.submit(&vnm, "b", &request_json(&b, &[])).await.json().await.unwrap();
    let unpublished = s.submit(&vnm, "c", &request_json(&sample_case("VNM"), &[])).await;
    assert_eq!(unpublished.status(), 201);
    let meta = &*s.state().meta;
    operator::set_state(meta, ra.submission_id, SubmissionState::Published, None).unwrap();
    operator::set_state(meta, rb.submission_id, SubmissionState::Published, None).unwrap();
    let list = |q: &str| {
        let url = s.u(&format!("/api/v1/cases{q}"));
        let c = s.client.clone();
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<paks_protocol::PublishedCaseList>()
                .await
                .unwrap()
        }
    };
    assert_eq!(list("").await.total, 2, "unpublished cases are not public");
    let by_country = list("?country=VNM").await;
    assert_eq!(by_country.items.len(), 1);
    assert_eq!(by_country.items[0].submission_id, rb.submission_id);
    let by_mdg = list("?mdg=8.F").await;
    assert_eq!(by_mdg.items.len(), 1);
    assert_eq!(by_mdg.items[0].submission_id, ra.submission_id);
    assert_eq!(list("?q=telecentres").await.items[0].submission_id, ra.submission_id);
    assert_eq!(list("?q=nothing-matches-this").await.total, 0);
    // Only the case's text is searched, not the names of its JSON members.
    for q in ["_", "case_uid", "schema_version", "mdg_links", "focal_point"] {
        assert_eq!(list(&format!("?q={q}")).await.total, 0, "q={q} matched a member name");
    }
    assert_eq!(list("?q=Telecentres%20%26").await.items[0].submission_id, ra.submission_id);
    let html = s.client.get(s.u(&format!("/cases/{}", ra.submission_id))).send().await.unwrap();
    assert_eq!(html.status(), 200);
    assert!(
        html.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'")
    );
    let html = html.text().await.unwrap();
    assert!(!html.contains("<script>"), "case text must be escaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Rural telecentres"));
    assert!(html.contains("Telecentres &amp; &lt;i&gt;kiosks&lt;/i&gt;"));
    assert!(html.contains("MDG target 8.F"));
    assert!(html.contains("indicator 8.16"));
    assert!(html.contains("evidence &lt;1&gt;.pdf"));
    let file =
        s.client.get(s.u(&format!("/cases/{}/files/0", ra.submission_id))).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(file.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let hidden =
        s.client.get(s.u(&format!("/cases/{}", uuid::Uuid::new_v4()))).send().await.unwrap();
    assert_problem(hidden, 404, "not-found").await;
    let case: paks_protocol::PublishedCase = s
        .client
        .get(s.u(&format!("/api/v1/cases/{}", ra.submission_id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case.case, a);
    assert_eq!(case.files[0].sha256, sha256_hex(&pdf));
}

#[tokio::test]
async fn a_submission_cut_at_any_point_is_stored_once_and_its_retry_gets_the_receipt() {
    let s = TestServer::start_with(|c| c.submission_processing_delay = Duration::from_millis(1500))
        .await;
    let t = s.focal_point("LAO");
    let pdf = b"%PDF-1.4 cut".to_vec();
    let public_key = s.public_key().await;
    for (i, (point, whole, hang_up_when)) in cut_points(s.dir.path()).into_iter().enumerate() {
        let att = s.upload(&t, "cut.pdf", &pdf).await;
        let case = sample_case("LAO");
        let json = request_json(&case, std::slice::from_ref(&att));
        let key = format!("cut-{i}");
        let (body, headers) = raw_submission(&t, &key, &json);
        let headers: Vec<(&str, &str)> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let send = (!whole).then_some(body.len() / 2);
        post_and_hang_up(s.addr, "/api/v1/submissions", &headers, &body, send, hang_up_when).await;
        let res = until_not_in_progress(|| s.submit(&t, &key, &json)).await;
        assert_eq!(res.status(), 201, "{point}: the retry is answered");
        let replayed = res.headers().contains_key("idempotent-replayed");
        if point == "mid-body" {
            assert!(!replayed, "a request cut mid-body claims nothing");
        }
        if point == "while processing" {
            assert!(replayed, "the cut request's work finished and its answer is replayed");
        }
        let receipt: Receipt = res.json().await.unwrap();
        verify_receipt(&public_key, &receipt).unwrap();
        let stored = s.state().meta.submission_of_version(case.case_uid, 1).unwrap().unwrap();
        assert_eq!(
            stored.receipt, receipt,
            "{point}: the receipt is that of the stored submission"
        );
        let up = s.state().uploads.get(att.upload_id).unwrap().unwrap();
        assert_eq!(up.info.expires_at, None, "{point}: the file is kept");
    }
    assert_eq!(submissions_count(&s), 3, "one submission per case, however it was cut");
    assert_eq!(unanswered_claims(s.dir.path()), 0, "no claim is left");
}

#[tokio::test]
async fn a_claim_left_by_a_stopped_server_is_freed_when_it_starts_again() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let fp = s.state().meta.focal_points().unwrap().remove(0);
    let json = request_json(&sample_case("LAO"), &[]);
    s.public_key().await; // The server has started (and freed what a previous run left).
    // What a server killed between claiming the key and storing the submission leaves behind
    // (with a lease far from lapsing).
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claim = s.state().meta.claim_idempotency_key(fp.id, "killed", "sha", now, now + 3600);
    assert!(matches!(claim.unwrap(), paks_server::metadata::IdempotencyClaim::Claimed(_)));
    assert_problem(s.submit(&t, "killed", &json).await, 422, "idempotency-key-reused").await;
    let dir = s.dir.clone();
    s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    let res = s.submit(&t, "killed", &json).await;
    assert_eq!(res.status(), 201, "the restarted server freed the claim");
    assert_eq!(submissions_count(&s), 1);
}

#[tokio::test]
async fn an_upload_deleted_while_its_submission_is_stored_is_refused_not_half_kept() {
    let s =
        TestServer::start_with(|c| c.submission_processing_delay = Duration::from_secs(3)).await;
    let t = s.focal_point("LAO");
    let att = s.upload(&t, "deleted.pdf", b"%PDF-1.4 deleted").await;
    let json = request_json(&sample_case("LAO"), std::slice::from_ref(&att));
    let submitting = tokio::spawn({
        let (c, url, t, json) =
            (s.client.clone(), s.u("/api/v1/submissions"), t.clone(), json.clone());
        async move {
            c.post(url).bearer_auth(t).header("Idempotency-Key", "\"del\"").json(&json).send().await
        }
    });
    // The submission has checked its upload and waits to store itself; the owner deletes it.
    let dir = s.dir.path().to_owned();
    eventually("the submission claims its key", || unanswered_claims(&dir) > 0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let res = s.delete_upload(&t, att.upload_id).await;
    assert_eq!(res.status(), 204, "the upload was not yet part of a submission");
    let res = submitting.await.unwrap().unwrap();
    let body = assert_problem(res, 422, "validation-failed").await;
    assert!(body["detail"].as_str().unwrap().contains("deleted"), "{body}");
    assert_eq!(submissions_count(&s), 0, "no submission refers to a deleted file");
    // The key was freed: the same key with a file uploaded again is stored.
    let again = s.upload(&t, "deleted.pdf", b"%PDF-1.4 deleted").await;
    let json = request_json(&sample_case("LAO"), std::slice::from_ref(&again));
    let fresh = s.submit(&t, "del-2", &json).await;
    assert_eq!(fresh.status(), 201);
}

#[tokio::test]
async fn an_upload_the_sweeper_deletes_while_its_submission_is_stored_is_refused() {
    let s = TestServer::start_with(|c| {
        c.submission_processing_delay = Duration::from_secs(5);
        c.upload_ttl = Duration::from_secs(2);
        c.sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let t = s.focal_point("LAO");
    let att = s.upload(&t, "expiring.pdf", b"%PDF-1.4 expiring").await;
    let expires = s.state().uploads.get(att.upload_id).unwrap().unwrap().info.expires_at.unwrap();
    let json = request_json(&sample_case("LAO"), std::slice::from_ref(&att));
    let res = s.submit(&t, "sweep", &json);
    let sweep = async {
        let now = || time::OffsetDateTime::now_utc().unix_timestamp();
        eventually("the upload expires", || now() > expires).await;
        let state = s.state.clone();
        tokio::task::spawn_blocking(move || paks_server::sweep_expired(&state)).await.unwrap()
    };
    let (res, swept) = tokio::join!(res, sweep);
    assert_eq!(swept.unwrap(), 1, "the expired upload was not yet part of a submission");
    if res.status() == 410 {
        // A slow machine: the upload expired before the submission checked it.
        assert_problem(res, 410, "upload-expired").await;
    } else {
        let body = assert_problem(res, 422, "validation-failed").await;
        assert!(body["detail"].as_str().unwrap().contains("deleted"), "{body}");
    }
    assert_eq!(submissions_count(&s), 0, "no submission refers to a deleted file");
}
