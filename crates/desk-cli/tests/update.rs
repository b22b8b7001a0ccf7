//! `paks-desk-cli update check | download` through the binary against the real paks-server on
//! 127.0.0.1: the offer (or none), a download cut by the fault proxy that resumes with Range and
//! arrives verified, and a release not signed with the app's key refused and deleted. Releases
//! are signed with throwaway minisign keys made here.
#![allow(clippy::unwrap_used)] // Test support: panicking is how a test fails.

mod common;
#[path = "../../desk-sync/tests/common/mod.rs"]
mod sync_support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::Ordering;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sync_support::{Fault, FaultProxy, TestServer, make_file, publish_release, throwaway_key};

/// Runs the CLI as `ok_without_keyring` does, returning the whole output whatever the exit.
fn update(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .arg("--data")
        .arg(data)
        .arg("update")
        .args(args)
        .env_remove("PAKS_DESK_DATA_DIR")
        .env("PAKS_DESK_KEYRING", "off")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

struct Setup {
    rt: tokio::runtime::Runtime,
    server: TestServer,
    _server_dir: tempfile::TempDir,
    desk: tempfile::TempDir,
}

/// A running PAKS and a desk connected to `url_of(server)` (the server or a proxy before it).
fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let rt = rt.unwrap();
    let server_dir = tempfile::tempdir().unwrap();
    let server = rt.block_on(TestServer::start(server_dir.path()));
    let desk = tempfile::tempdir().unwrap();
    Setup { rt, server, _server_dir: server_dir, desk }
}

fn connect(setup: &Setup, url: &str) {
    let token = setup.server.focal_point("LAO");
    common::ok_without_keyring(setup.desk.path(), &["connect", url, "--token", &token]);
}

#[test]
fn check_says_whether_paks_offers_a_newer_release() {
    let s = setup();
    let out = update(s.desk.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "not connected: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("[not_connected]"), "{}", text(&out.stderr));

    connect(&s, &s.server.url());
    let (_, secret) = throwaway_key();
    publish_release(&s.server, "0.0.9", 10_000, &secret);
    let out = update(s.desk.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("is the newest version"), "{}", text(&out.stdout));

    publish_release(&s.server, "9.1.0", 300_000, &secret);
    let out = update(s.desk.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("PAKS Desk 9.1.0 (you have 0.1.0)") && said.contains("0.3 MB"), "{said}");
    let out = update(s.desk.path(), &["check", "--json"]);
    let offer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((offer["version"].as_str(), offer["size"].as_u64()), (Some("9.1.0"), Some(300_000)));
    assert!(files_in(&s.desk.path().join("updates")).is_empty(), "check downloads nothing");
}

#[test]
fn a_download_cut_by_the_link_resumes_and_prints_the_verified_file() {
    let s = setup();
    let proxy = s.rt.block_on(FaultProxy::start(s.server.addr));
    connect(&s, &proxy.url());
    let (public, secret) = throwaway_key();
    const SIZE: usize = 900_000;
    publish_release(&s.server, "9.1.0", SIZE, &secret);
    let key_file = s.desk.path().join("release-key.pub");
    std::fs::write(&key_file, STANDARD.decode(&public).unwrap()).unwrap();
    // Two connections are cut after 300 000 bytes from the server: whether or not the offer
    // shares the download's connection, the download is cut at least once.
    proxy.push(Fault::CutDownAfter(300_000));
    proxy.push(Fault::CutDownAfter(300_000));
    let before = proxy.down_bytes.load(Ordering::SeqCst);

    let out = update(s.desk.path(), &["download", "--public-key", key_file.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(proxy.pending_faults(), 0, "both cut connections were used");
    let path = Path::new(stdout.trim());
    let (_, sha) = make_file(tempfile::tempdir().unwrap().path(), "same", SIZE);
    assert_eq!(paks_protocol::sha256_hex(&std::fs::read(path).unwrap()), sha);
    assert_eq!(path.parent().unwrap(), s.desk.path().join("updates"));
    let down = proxy.down_bytes.load(Ordering::SeqCst) - before;
    assert!(down < SIZE as u64 + 40_000, "{down} bytes came down for {SIZE}: not resumed");
    assert!(stderr.contains(&format!("{SIZE} of {SIZE} bytes (100%)")), "{stderr}");
    assert!(stderr.contains(" left"), "time left is shown: {stderr}");
    assert!(stderr.contains("SHA-256 and signature verified"), "{stderr}");

    // Run again: the verified file is kept and checked, not fetched again.
    let before = proxy.down_bytes.load(Ordering::SeqCst);
    let again = update(s.desk.path(), &["download", "--public-key", key_file.to_str().unwrap()]);
    assert_eq!(text(&again.stdout), stdout, "{}", text(&again.stderr));
    assert!(proxy.down_bytes.load(Ordering::SeqCst) - before < 10_000, "only the offer came");
}

#[test]
fn a_release_not_signed_with_the_apps_key_is_refused_and_deleted() {
    let s = setup();
    connect(&s, &s.server.url());
    let (_, someone_else) = throwaway_key();
    publish_release(&s.server, "9.1.0", 60_000, &someone_else);
    let out = update(s.desk.path(), &["download"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("[update_signature_bad]"), "{stderr}");
    assert!(stderr.contains("deleted and not installed"), "{stderr}");
    assert!(stdout.is_empty(), "no path is printed: {stdout}");
    assert!(files_in(&s.desk.path().join("updates")).is_empty(), "the file is deleted");
}
