#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The token and the case go to PAKS's own address only: plain HTTP only on this computer, no
//! redirect or upload Location to another origin, and no answer read past a size cap. Each
//! server here is a real HTTP server on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use desk_sync::client::MAX_ANSWER_BYTES;
use desk_sync::tus::UploadSource;
use desk_sync::{ClientOptions, KeyChange, PaksClient, SyncError};

const TOKEN: &str = "secret-token";

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn client(url: &str) -> PaksClient {
    PaksClient::new(url, TOKEN, ClientOptions::default()).unwrap()
}

#[tokio::test]
async fn plain_http_is_allowed_only_to_this_computer() {
    for url in [
        "http://127.0.0.1:8080",
        "http://127.4.5.6/paks/",
        "http://[::1]:8080",
        "http://localhost:3000",
        "http://LOCALHOST.",
        "https://paks.example.org",
    ] {
        assert!(PaksClient::new(url, TOKEN, ClientOptions::default()).is_ok(), "{url}");
    }
    for url in [
        "http://paks.example.org",
        "http://10.0.0.7:8080",
        "http://127.0.0.1.example.org",
        "http://[2001:db8::1]",
        "http://localhost.example.org",
    ] {
        let err = PaksClient::new(url, TOKEN, ClientOptions::default()).unwrap_err();
        assert_eq!(err.code(), "insecure_address", "{url}: {err}");
        let text = err.to_string();
        assert!(text.contains("unencrypted") && text.contains("https://"), "{text}");
    }

    // connect refuses before anything is sent or kept.
    let dir = tempfile::tempdir().unwrap();
    let store = desk_core::Store::open(dir.path()).unwrap();
    let err = desk_sync::connect(
        &store,
        dir.path(),
        "http://paks.example.org",
        TOKEN,
        None,
        KeyChange::Refuse,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SyncError::InsecureAddress { .. }), "{err}");
    assert!(!dir.path().join(desk_sync::token::TOKEN_FILE).exists(), "no token kept");
}

/// Counts every request that reaches it and answers 404 problem+json, as PAKS does for a
/// submission it does not have (which `check_token` reads as "token accepted").
async fn elsewhere() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    let app = Router::new().fallback(move || {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            let headers = [(header::CONTENT_TYPE, "application/problem+json")];
            let body = r#"{"type":"about:blank","title":"Not found","status":404,"detail":"no"}"#;
            (StatusCode::NOT_FOUND, headers, body)
        }
    });
    (serve(app).await, hits)
}

/// `/away/…` redirects to the same path on `other`; `/here/…` redirects to `/…` on itself;
/// `/api/v1/submissions/…` answers 404 to the token, 401 without it; `POST /api/v1/uploads`
/// names an upload on `other`.
fn redirecting(other: SocketAddr) -> Router {
    Router::new().fallback(move |headers: HeaderMap, req: Request| async move {
        let path = req.uri().path().to_owned();
        if let Some(rest) = path.strip_prefix("/away") {
            let to = format!("http://{other}{rest}");
            return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response();
        }
        if let Some(rest) = path.strip_prefix("/here") {
            return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, rest.to_owned())])
                .into_response();
        }
        if path == "/api/v1/uploads" {
            let to = format!("http://{other}/api/v1/uploads/7d0e8a2c-44f3-4bd5-9a57-6a1d2b3c4d5e");
            return (StatusCode::CREATED, [(header::LOCATION, to)]).into_response();
        }
        let authorised = headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes());
        let status = if authorised { StatusCode::NOT_FOUND } else { StatusCode::UNAUTHORIZED };
        let body = format!(
            r#"{{"type":"about:blank","title":"x","status":{},"detail":"x"}}"#,
            status.as_u16()
        );
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    })
}

fn upload_source() -> UploadSource {
    UploadSource {
        path: PathBuf::from("/nonexistent"),
        name: "deck.pptx".into(),
        media_type: "application/octet-stream".into(),
        size: 10,
    }
}

#[tokio::test]
async fn nothing_follows_a_redirect_or_an_upload_location_to_another_origin() {
    let (other, hits) = elsewhere().await;
    let paks = serve(redirecting(other)).await;

    let away = client(&format!("http://{paks}/away/"));
    let err = away.check_token().await.unwrap_err();
    assert!(err.to_string().contains("another address"), "{err}");
    let err = away.tus_create(&upload_source()).await.unwrap_err();
    assert!(format!("{err:?}").contains("another address"), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the other origin");

    let here = client(&format!("http://{paks}/here/"));
    here.check_token().await.expect("a redirect on PAKS's own origin keeps the token");

    let at_root = client(&format!("http://{paks}/"));
    let err = at_root.tus_create(&upload_source()).await.unwrap_err();
    assert!(format!("{err:?}").contains("which is not sent the token"), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// Answers every request with a body of `total` bytes streamed in 64 KiB pieces, counting what
/// it managed to hand to the connection.
async fn flooding(status: StatusCode, total: u64) -> (SocketAddr, Arc<AtomicU64>) {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let app = Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let piece = Bytes::from(vec![b' '; 64 * 1024]);
            let stream = futures_util::stream::unfold(0u64, move |done| {
                let (piece, counter) = (piece.clone(), counter.clone());
                async move {
                    if done >= total {
                        return None;
                    }
                    counter.fetch_add(piece.len() as u64, Ordering::SeqCst);
                    Some((Ok::<_, std::io::Error>(piece.clone()), done + piece.len() as u64))
                }
            });
            let mut res = Response::new(Body::from_stream(stream));
            *res.status_mut() = status;
            res.headers_mut().insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
            res
        }
    });
    (serve(app).await, sent)
}

#[tokio::test]
async fn a_huge_answer_is_cut_off_not_read_into_memory() {
    const HUGE: u64 = 256 * 1024 * 1024;
    // Socket buffers on loopback take a few MiB before the client stops reading.
    const MOST_SENT: u64 = 32 * 1024 * 1024;

    let (addr, sent) = flooding(StatusCode::OK, HUGE).await;
    let paks = client(&format!("http://{addr}"));
    let err = tokio::time::timeout(Duration::from_secs(60), paks.identity(None))
        .await
        .expect("the client gives up on its own")
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("larger than {} KiB", MAX_ANSWER_BYTES / 1024)),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let streamed = sent.load(Ordering::SeqCst);
    assert!(streamed < MOST_SENT, "the server streamed {streamed} bytes before the client hung up");

    let (addr, sent) = flooding(StatusCode::SERVICE_UNAVAILABLE, HUGE).await;
    let paks = client(&format!("http://{addr}"));
    let err = tokio::time::timeout(Duration::from_secs(60), paks.status("some-id"))
        .await
        .expect("the client gives up on its own")
        .unwrap_err();
    assert!(matches!(err, SyncError::Server { status: 503, .. }), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let streamed = sent.load(Ordering::SeqCst);
    assert!(streamed < MOST_SENT, "an error answer streamed {streamed} bytes");
}
