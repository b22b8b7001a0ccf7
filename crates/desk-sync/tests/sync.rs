#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The sync engine against the real paks-server on 127.0.0.1, through real faults.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use common::*;
use desk_core::CaseStatus;
use desk_sync::progress::no_events;
use desk_sync::{
    Action, Engine, Idle, JobState, Outbox, Phase, SyncEvent, SyncWorker, file_to_send, now_ms,
    submit_case,
};

/// Runs until the outbox only waits for PAKS reviewers (the network may drop on the way).
async fn send_everything(engine: &mut Engine) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "the outbox did not drain in time");
        match engine.run_until_idle().await.unwrap() {
            Idle::WaitingReview => return,
            Idle::WaitingNetwork => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                engine.network_back().unwrap();
            }
            other => panic!("stopped waiting for {other:?}: {:#?}", engine.outbox().entries()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_survive_cuts_stalls_and_resets_and_arrive_intact() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let token = server.focal_point("LAO");
    let key = public_key(&server.url()).await;
    let proxy = FaultProxy::start(server.addr).await;
    for fault in [
        Fault::CutAfter(150_000),
        Fault::StallAfter(100_000, Duration::from_secs(3)),
        Fault::ResetAfter(200_000),
        Fault::CutAfter(90_000),
        Fault::ResetAfter(400_000),
    ] {
        proxy.push(fault);
    }
    let dir = tempfile::tempdir().unwrap();
    let store = desk(dir.path(), &proxy.url(), &token, &key);
    let case = complete_case(&store, "Lao business registration");
    let (deck, deck_sha) = make_file(dir.path(), "deck.pptx", 1_500_000);
    let (pdf, pdf_sha) = make_file(dir.path(), "report.pdf", 300_000);
    let outbox = Arc::new(Outbox::open(dir.path()).unwrap());
    let files = [file_to_send(&deck).unwrap(), file_to_send(&pdf).unwrap()];
    submit_case(&store, &outbox, case, &files, now_ms()).unwrap();
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued);

    let mut engine =
        Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
    send_everything(&mut engine).await;

    assert_eq!(proxy.pending_faults(), 0, "every fault was met");
    let mut shas: Vec<String> = server.uploads().into_iter().filter_map(|u| u.2).collect();
    shas.sort();
    let mut expected = vec![deck_sha, pdf_sha];
    expected.sort();
    assert_eq!(shas, expected, "both files arrived whole, with the right SHA-256");
    assert_eq!(server.submission_count(), 1);
    let case = store.case(case).unwrap();
    assert_eq!(case.status, CaseStatus::Submitted);
    let job = outbox.submission_for_case(case.id).unwrap().unwrap();
    assert_eq!(job.phase, Phase::Review);
    assert_eq!(case.submission_id, job.submission_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_finishes_an_upload_across_a_server_restart() {
    let ConnectedDesk { server, server_dir, dir, store, outbox, .. } = connected_desk(None).await;
    let addr = server.addr;
    // 8 Mbit/s: the 3 MB file takes about three seconds.
    store.set_setting(desk_sync::settings::BANDWIDTH_KBPS, "8000").unwrap();
    let case = complete_case(&store, "Bhutan e-services");
    let (file, sha) = make_file(dir.path(), "annex.pdf", 3_000_000);
    submit_case(&store, &outbox, case, &[file_to_send(&file).unwrap()], now_ms()).unwrap();

    let events = Arc::new(Mutex::new(Vec::<SyncEvent>::new()));
    let sink = events.clone();
    let engine = Engine::new(
        dir.path(),
        store.clone(),
        outbox.clone(),
        Arc::new(move |e: &SyncEvent| sink.lock().unwrap().push(e.clone())),
        fast_options(),
    );
    let worker = SyncWorker::start(engine);
    let handle = worker.handle();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while server.uploads().first().is_none_or(|u| u.0 < 600_000) {
        assert!(tokio::time::Instant::now() < deadline, "the upload never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let server = TestServer::start_at(server_dir.path(), addr, None).await;
    handle.send(desk_sync::Command::NetworkBack).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let job = outbox.submission_for_case(case).unwrap().unwrap();
        if job.phase == Phase::Review {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not submitted: {:#?}", outbox.entries());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.stop().await;
    let uploads = server.uploads();
    assert_eq!(uploads.len(), 1, "the upload was resumed, not started again");
    assert_eq!(uploads[0].2.as_deref(), Some(sha.as_str()));
    assert_eq!(server.submission_count(), 1);
    let events = events.lock().unwrap();
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SyncEvent::Progress(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert!(progress.len() > 3, "progress was reported");
    let last = progress.last().unwrap();
    assert_eq!((last.file_bytes_confirmed, last.case_bytes_total), (3_000_000, 3_000_000));
    assert!(progress.iter().any(|p| p.bytes_per_second > 0.0 && p.case_seconds_left.is_some()));
    assert!(events.iter().any(|e| matches!(e, SyncEvent::Connectivity { online: false, .. })));
}

/// What the fault injector does to the next matching request.
#[derive(Clone)]
enum Inject {
    /// Answer this instead of the server.
    Canned(StatusCode, &'static str, &'static str, Option<&'static str>),
    /// Let the server handle it, then break the connection in the middle of the answer.
    CutAnswer,
    /// Let the server handle it, then spoil the receipt's signature.
    BadSignature,
}

type Script = Arc<Mutex<VecDeque<(&'static str, &'static str, Inject)>>>;

fn injector(script: Script) -> Wrap {
    Arc::new(move |router: axum::Router| {
        let script = script.clone();
        router.layer(middleware::from_fn(move |req: Request, next: Next| {
            let script = script.clone();
            async move {
                let found = {
                    let mut s = script.lock().unwrap();
                    let hit = s.front().is_some_and(|(m, p, _)| {
                        req.method().as_str() == *m && req.uri().path().starts_with(p)
                    });
                    if hit { s.pop_front().map(|x| x.2) } else { None }
                };
                match found {
                    None => next.run(req).await,
                    Some(Inject::Canned(status, content_type, body, retry_after)) => {
                        let mut res =
                            (status, [("content-type", content_type)], body).into_response();
                        if let Some(r) = retry_after {
                            res.headers_mut().insert("retry-after", HeaderValue::from_static(r));
                        }
                        res
                    }
                    Some(Inject::CutAnswer) => {
                        let res = next.run(req).await;
                        let (mut parts, _) = res.into_parts();
                        parts.headers.remove("content-length");
                        let stream = futures_util::stream::iter(vec![
                            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(
                                b"{\"receipt_ver",
                            )),
                            Err(std::io::Error::other("cut")),
                        ]);
                        Response::from_parts(parts, Body::from_stream(stream))
                    }
                    Some(Inject::BadSignature) => {
                        let res = next.run(req).await;
                        let (mut parts, body) = res.into_parts();
                        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                        v["signature"] = serde_json::Value::String(base64_of(&[7u8; 64]));
                        parts.headers.remove("content-length");
                        Response::from_parts(parts, Body::from(serde_json::to_vec(&v).unwrap()))
                    }
                }
            }
        }))
    })
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_each_handled_and_no_job_is_lost() {
    let script: Script = Arc::default();
    let ConnectedDesk { server, server_dir: _server_dir, dir, store, outbox, .. } =
        connected_desk(Some(injector(script.clone()))).await;
    let case = complete_case(&store, "Kiribati e-registry");
    let job = submit_case(&store, &outbox, case, &[], now_ms()).unwrap();
    let mut engine =
        Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
    let push =
        |m: &'static str, p: &'static str, i: Inject| script.lock().unwrap().push_back((m, p, i));
    let html = "<html><body><form>Sign in to the hotel Wi-Fi</form></body></html>";

    // A captive portal's login page with 200 is not PAKS: offline, the job waits.
    push("GET", "/api/v1/identity", Inject::Canned(StatusCode::OK, "text/html", html, None));
    assert_eq!(engine.step(true).await.unwrap(), Action::CheckNetwork);
    assert!(matches!(engine.connectivity(), desk_sync::Connectivity::Offline { .. }));
    assert_eq!(outbox.submission(job.id).unwrap().state, JobState::WaitingNetwork);
    // Garbage JSON that claims to be JSON: not PAKS either.
    engine.network_back().unwrap();
    push(
        "GET",
        "/api/v1/identity",
        Inject::Canned(StatusCode::OK, "application/json", "{\"service\": 42", None),
    );
    assert_eq!(engine.step(true).await.unwrap(), Action::CheckNetwork);
    assert!(matches!(engine.connectivity(), desk_sync::Connectivity::Offline { .. }));
    engine.network_back().unwrap();
    assert_eq!(engine.step(true).await.unwrap(), Action::CheckNetwork);
    assert_eq!(engine.connectivity(), desk_sync::Connectivity::Online);

    let problem = "application/problem+json";
    let cases: [(Inject, &str); 6] = [
        (
            Inject::Canned(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", "boom", None),
            "server_error",
        ),
        (Inject::Canned(StatusCode::SERVICE_UNAVAILABLE, "text/html", html, None), "server_error"),
        (
            Inject::Canned(
                StatusCode::TOO_MANY_REQUESTS,
                problem,
                r#"{"type":"urn:paks:problem:rate-limited","title":"Too many","status":429,"detail":"slow down"}"#,
                Some("2"),
            ),
            "rate_limited",
        ),
        (
            Inject::Canned(
                StatusCode::CREATED,
                "application/json",
                "{\"receipt_version\": tru",
                None,
            ),
            "garbled_answer",
        ),
        (Inject::Canned(StatusCode::SERVICE_UNAVAILABLE, problem, "{}", Some("1")), "rate_limited"),
        // An earlier attempt whose answer was lost is still being worked on.
        (
            Inject::Canned(
                StatusCode::CONFLICT,
                problem,
                r#"{"type":"urn:paks:problem:idempotency-in-progress","title":"In progress","status":409,"detail":"still processing"}"#,
                Some("1"),
            ),
            "still_working",
        ),
    ];
    for (inject, code) in cases {
        push("POST", "/api/v1/submissions", inject);
        let before = now_ms();
        assert_eq!(engine.step(true).await.unwrap(), Action::Submit(job.id));
        let j = outbox.submission(job.id).unwrap();
        assert_eq!(j.state, JobState::RetryScheduled, "{code}: {:?}", j.last_error);
        assert_eq!(j.last_error_code.as_deref(), Some(code));
        if code == "still_working" {
            let said = j.last_error.clone().unwrap_or_default();
            assert!(said.contains("earlier attempt") && said.ends_with("in 1 second."), "{said}");
        }
        assert!(!j.last_error.unwrap().is_empty());
        if code == "rate_limited" || code == "still_working" {
            assert!(j.next_attempt_at >= before + 900, "Retry-After is honoured");
        }
        assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued, "{code}: not submitted");
        outbox.retry_now(job.id, now_ms()).unwrap();
    }
    // A receipt whose signature does not verify is not a submission: the person is told.
    push("POST", "/api/v1/submissions", Inject::BadSignature);
    assert_eq!(engine.step(true).await.unwrap(), Action::Submit(job.id));
    let j = outbox.submission(job.id).unwrap();
    assert_eq!(j.state, JobState::NeedsAttention);
    assert_eq!(j.last_error_code.as_deref(), Some("bad_receipt"));
    assert!(j.last_error.unwrap().contains("not counted as submitted"));
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Queued);
    assert!(matches!(
        engine.step(true).await.unwrap(),
        Action::Wait { idle: Idle::WaitingPerson, .. }
    ));
    // Retried on demand with the same Idempotency-Key: the stored submission's real receipt.
    outbox.retry_now(job.id, now_ms()).unwrap();
    assert_eq!(engine.step(true).await.unwrap(), Action::Submit(job.id));
    assert_eq!(outbox.submission(job.id).unwrap().phase, Phase::Review);
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Submitted);
    assert_eq!(server.submission_count(), 1, "exactly one submission on the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_retries_of_one_submission_make_exactly_one() {
    let script: Script = Arc::default();
    let ConnectedDesk { server, server_dir: _server_dir, dir, store, outbox, token, key } =
        connected_desk(Some(injector(script.clone()))).await;
    let case = complete_case(&store, "Nepal land records");
    let (file, _) = make_file(dir.path(), "map.pdf", 50_000);
    let files = [file_to_send(&file).unwrap()];
    // Double clicks on "Submit": one job, one key.
    let job = submit_case(&store, &outbox, case, &files, now_ms()).unwrap();
    for _ in 0..5 {
        let again = submit_case(&store, &outbox, case, &files, now_ms()).unwrap();
        assert_eq!(again.idempotency_key, job.idempotency_key);
    }
    let mut tries = 5;
    // 20 answers cut after the server stored the submission, each try by a restarted app.
    for _ in 0..20 {
        script.lock().unwrap().push_back(("POST", "/api/v1/submissions", Inject::CutAnswer));
    }
    let mut cut_tries = 0;
    while cut_tries < 20 {
        let outbox = Arc::new(Outbox::open(dir.path()).unwrap());
        let mut engine =
            Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
        for _ in 0..6 {
            if let Action::Submit(_) = engine.step(true).await.unwrap() {
                cut_tries += 1;
                break;
            }
        }
        outbox.retry_now(job.id, now_ms()).unwrap();
    }
    tries += cut_tries;
    assert_eq!(outbox.submission(job.id).unwrap().phase, Phase::Submit, "no receipt yet");
    // 25 more sends of the same request at once (the app, a CLI, a double click...).
    let job = outbox.submission(job.id).unwrap();
    let settings = desk_sync::SyncSettings::load(&store).unwrap();
    let client = desk_sync::PaksClient::new(
        settings.paks_url.as_deref().unwrap(),
        &token,
        desk_sync::ClientOptions::default(),
    )
    .unwrap();
    let upload = &outbox.uploads_of(job.id).unwrap()[0];
    let request = paks_protocol::SubmissionRequest {
        case: serde_json::from_str(&job.document).unwrap(),
        attachments: vec![paks_protocol::AttachmentDescriptor {
            upload_id: upload
                .upload_url
                .as_deref()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .parse()
                .unwrap(),
            sha256: upload.sha256.clone(),
            size: upload.size,
            name: upload.name.clone(),
            media_type: upload.media_type.clone(),
        }],
    };
    let sends = (0..25).map(|_| client.submit(&job.idempotency_key, &request, &key));
    let results = futures_util::future::join_all(sends).await;
    tries += results.len();
    let ids: std::collections::BTreeSet<_> =
        results.iter().filter_map(|r| r.as_ref().ok().map(|r| r.submission_id)).collect();
    assert_eq!(ids.len(), 1, "every receipt names the same submission: {results:?}");
    // And the engine's own retry after all that.
    let mut engine =
        Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
    send_everything(&mut engine).await;
    tries += 1;
    assert!(tries >= 50, "{tries} tries");
    assert_eq!(server.submission_count(), 1, "exactly one submission after {tries} tries");
    let job = outbox.submission(job.id).unwrap();
    assert_eq!(job.submission_id.map(|s| s.parse().unwrap()), ids.into_iter().next());
    assert_eq!(store.case(case).unwrap().status, CaseStatus::Submitted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_waits_for_the_person_without_blocking_another_case() {
    let ConnectedDesk { server, server_dir: _server_dir, dir, store, outbox, .. } =
        connected_desk(None).await;
    let first = complete_case(&store, "First case");
    let second = complete_case(&store, "Second case");
    let (a, _) = make_file(dir.path(), "a.pdf", 70_000);
    let (b, _) = make_file(dir.path(), "b.pdf", 70_000);
    submit_case(&store, &outbox, first, &[file_to_send(&a).unwrap()], now_ms()).unwrap();
    submit_case(&store, &outbox, second, &[file_to_send(&b).unwrap()], now_ms()).unwrap();
    std::fs::write(&a, b"edited after submitting").unwrap();

    let mut engine =
        Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
    let idle = engine.run_until_idle().await.unwrap();
    assert_eq!(idle, Idle::WaitingReview);
    let stuck = outbox.submission_for_case(first).unwrap().unwrap();
    assert_eq!(stuck.state, JobState::NeedsAttention);
    assert_eq!(stuck.last_error_code.as_deref(), Some("file_changed"));
    assert!(stuck.last_error.unwrap().contains("\"a.pdf\" changed on disk"));
    assert_eq!(store.case(first).unwrap().status, CaseStatus::Queued);
    assert_eq!(store.case(second).unwrap().status, CaseStatus::Submitted);

    // A revoked token: the job says so and waits.
    let fp = server.state.meta.focal_points().unwrap().remove(0);
    paks_server::operator::revoke_focal_point(&*server.state.meta, fp.id).unwrap();
    std::fs::write(&a, std::fs::read(&b).unwrap()).unwrap();
    let third = complete_case(&store, "Third case");
    let job = submit_case(&store, &outbox, third, &[], now_ms()).unwrap();
    let idle = engine.run_until_idle().await.unwrap();
    assert!(matches!(idle, Idle::WaitingReview | Idle::WaitingPerson), "{idle:?}");
    let job = outbox.submission(job.id).unwrap();
    assert_eq!(job.state, JobState::NeedsAttention);
    assert_eq!(job.last_error_code.as_deref(), Some("unauthorized"));
    assert!(job.last_error.unwrap().contains("new token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_saved_data_is_damaged_waits_for_the_person_instead_of_retrying() {
    let ConnectedDesk { server, server_dir: _server_dir, dir, store, outbox, .. } =
        connected_desk(None).await;
    let case = complete_case(&store, "Damaged on disk");
    let job = submit_case(&store, &outbox, case, &[], now_ms()).unwrap();
    let damaged = rusqlite::Connection::open(outbox.path()).unwrap();
    damaged
        .execute("UPDATE submissions SET document = '{\"title\": ' WHERE id = ?1", [job.id])
        .unwrap();

    let mut engine =
        Engine::new(dir.path(), store.clone(), outbox.clone(), no_events(), fast_options());
    for _ in 0..10 {
        if let Action::Wait { idle, .. } = engine.step(true).await.unwrap() {
            assert_eq!(idle, Idle::WaitingPerson);
            break;
        }
    }
    let job = outbox.submission(job.id).unwrap();
    assert_eq!(job.state, JobState::NeedsAttention, "{job:#?}");
    assert_eq!(job.last_error_code.as_deref(), Some("damaged_job"));
    assert!(job.can_cancel(), "nothing was sent, so the person can cancel it");
    assert!(job.last_error.unwrap().contains("Cancel sending it"));
    assert_eq!(server.submission_count(), 0);
}
