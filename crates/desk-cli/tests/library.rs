#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! `paks-desk-cli library …` through the binary, against the real paks-server on 127.0.0.1: a
//! Lao focal point's case is published, a Nepali desk syncs its library, searches it offline,
//! shows the case, opens its deck, finds it like its own draft, caps the files' disk, and loses
//! the case once the operator withdraws it.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{cli, ok_without_keyring as ok};
use paks_protocol::SubmissionState;
use uuid::Uuid;

/// "Business" in Lao, only in the case's Results.
const LAO_WORD: &str = "ທຸລະກິດ";
/// "Hello" in Lao, only on the deck's third slide.
const LAO_WORD_IN_DECK: &str = "ສະບາຍດີ";

struct Server {
    addr: std::net::SocketAddr,
    url: String,
    state: paks_server::http::SharedState,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

async fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = paks_server::Config::new(dir.path());
    let state: paks_server::http::SharedState = Arc::new(paks_server::open_state(config).unwrap());
    serve(state, dir, "127.0.0.1:0").await
}

/// Serves `state` on `addr` (port 0: any).
async fn serve(
    state: paks_server::http::SharedState,
    dir: tempfile::TempDir,
    addr: &str,
) -> Server {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = paks_server::serve_state(listener, state.clone(), std::future::pending());
    let task = tokio::spawn(async move {
        let _ = serve.await;
    });
    Server { addr, url: format!("http://{addr}"), state, _dir: dir, task }
}

fn token_for(server: &Server, country: &str) -> String {
    let meta = &*server.state.meta;
    let (_, token) = paks_server::operator::add_focal_point(
        meta,
        country,
        "Focal point",
        "fp@gov.example",
        None,
    )
    .unwrap();
    token
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

/// A Lao case with the deck attached, sent and published; returns its case uid.
fn publish_lao_case(server: &Server, data: &Path) -> String {
    let profile = ["--name", "Phoxay", "--institution", "MTC", "--email", "phoxay@mtc.gov.la"];
    ok(data, &[&["profile", "set"], &profile[..], &["--country", "LAO"]].concat());
    let id =
        ok(data, &["case", "new", "--title", "One-stop business registration", "--country", "LAO"]);
    let id = id.trim();
    for (field, value) in [
        ("summary", "Business registration online in one day."),
        ("problem", "Ninety days and eight offices."),
        ("solution", "One online window."),
        ("results", "ການລົງທະບຽນທຸລະກິດ ໃຊ້ເວລາໜຶ່ງມື້."),
    ] {
        ok(data, &["case", "set", id, field, value]);
    }
    ok(data, &["case", "link", id, "--mdg", "8.F", "--note", "Services online"]);
    let deck = data.join("deck.pptx");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../desk-extract/tests/fixtures/order_notes_scripts.pptx"),
        &deck,
    )
    .unwrap();
    ok(data, &["connect", &server.url, "--token", &token_for(server, "LAO")]);
    ok(data, &["submit", id, "--file", deck.to_str().unwrap()]);
    ok(data, &["sync", "--until-idle"]);
    let status = json(data, &["status", id, "--json"]);
    let submission: Uuid = status["submission_id"].as_str().unwrap().parse().unwrap();
    let meta = &*server.state.meta;
    paks_server::operator::set_state(meta, submission, SubmissionState::Published, None).unwrap();
    json(data, &["case", "show", id, "--json"])["uid"].as_str().unwrap().to_owned()
}

#[test]
fn a_desk_syncs_searches_opens_and_loses_a_withdrawn_case_through_the_cli() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start_server());
    let lao = tempfile::tempdir().unwrap();
    let uid = publish_lao_case(&server, lao.path());

    let npl = tempfile::tempdir().unwrap();
    let data = npl.path();
    ok(data, &["connect", &server.url, "--token", &token_for(&server, "NPL")]);
    let out = ok(data, &["library", "sync"]);
    assert!(out.contains("The library is up to date: 1 cases"), "{out}");
    assert!(out.contains("Text of 1 published files indexed"), "{out}");
    let again = json(data, &["library", "sync", "--json"]);
    assert_eq!(again["feed"]["published"], 0, "nothing new: {again}");
    assert_eq!(again["file_text"]["indexed"], 0, "the deck is read once: {again}");

    // Offline from here: the server is gone.
    server.task.abort();
    let _ = rt.block_on(server.task);
    let hits = json(data, &["library", "search", LAO_WORD, "--json"]);
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["case_uid"], uid.as_str());
    assert_eq!(hits[0]["place"]["field"], "results", "{hits}");
    let slide = json(data, &["library", "search", LAO_WORD_IN_DECK, "--json"]);
    assert_eq!(slide[0]["place"]["name"], "deck.pptx", "{slide}");
    assert_eq!(slide[0]["place"]["unit"], 3, "{slide}");
    let out = ok(data, &["library", "search", LAO_WORD, "--country", "BTN", "--mdg", "8"]);
    assert!(out.contains("Nothing found"), "another country: {out}");
    let out = ok(data, &["library", "search", LAO_WORD, "--country", "LAO", "--mdg", "8.F"]);
    assert!(out.contains("[library]") && out.contains("[ທຸລະກິດ]"), "{out}");
    let refused = cli(data, &["library", "search", "x", "--sdg", "99"]);
    assert!(!refused.status.success(), "an SDG that does not exist is refused");

    let out = ok(data, &["library", "show", &uid]);
    assert!(out.contains("One-stop business registration") && out.contains("MDG targets: 8.F"));
    assert!(out.contains("0. deck.pptx") && out.contains(", on this computer"), "{out}");
    let path = ok(data, &["library", "open-file", &uid, "deck.pptx"]);
    let path = Path::new(path.trim());
    let deck = std::fs::read(lao.path().join("deck.pptx")).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), deck, "the published deck opens offline");

    let own = ok(data, &["case", "new", "--title", "Company registration", "--country", "NPL"]);
    ok(data, &["case", "link", own.trim(), "--mdg", "8.F", "--note", "Online"]);
    let like = ok(data, &["library", "like", own.trim()]);
    assert!(like.contains("One-stop business registration") && like.contains("MDG 8.F"), "{like}");

    let out = ok(data, &["library", "storage-cap"]);
    assert!(out.contains("may take 500 MB") && !out.contains("take 0 bytes"), "{out}");
    let out = ok(data, &["library", "storage-cap", "0"]);
    assert!(out.contains("1 dropped"), "{out}");
    assert!(!path.exists(), "over the cap the file leaves the disk");
    assert_eq!(json(data, &["library", "search", LAO_WORD_IN_DECK, "--json"])[0]["case_uid"], uid);
    let opened = cli(data, &["library", "open-file", &uid, "deck.pptx"]);
    assert!(!opened.status.success(), "dropped and offline: it cannot open");

    let addr = server.addr.to_string();
    let server = rt.block_on(serve(server.state, server._dir, &addr));
    let meta = &*server.state.meta;
    paks_server::operator::withdraw_case(meta, uid.parse().unwrap()).unwrap();
    let out = ok(data, &["library", "sync"]);
    assert!(out.contains("0 cases") && out.contains("1 withdrawn"), "{out}");
    assert!(ok(data, &["library", "search", LAO_WORD]).contains("Nothing found"));
    assert!(!cli(data, &["library", "show", &uid]).status.success(), "withdrawn: gone");
}
