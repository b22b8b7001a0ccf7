//! PAKS Desk's update feed against the real server: the offer Tauri's updater reads, 204 when
//! nothing is newer, and the release file with Range, If-Range and 416; `release add` through
//! the binary.
#![allow(clippy::unwrap_used)] // Test support: panicking is how a test fails.

mod common;

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::TestServer;
use paks_server::desk_releases;
use sha2::Digest;

/// A signature file in the shape `tauri signer sign` writes (the server checks only its shape;
/// desk-sync's tests verify real signatures).
fn signature_file(dir: &Path, name: &str) -> std::path::PathBuf {
    let sig = "untrusted comment: signature from tauri secret key\nRUQabc=\ntrusted comment: timestamp:1\tfile:x\nxyz=\n";
    let path = dir.join(name);
    std::fs::write(&path, STANDARD.encode(sig)).unwrap();
    path
}

fn release_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn publish(server: &TestServer, version: &str, target: &str, bytes: &[u8]) {
    let dir = server.dir.path();
    let file = dir.join(format!("paks-desk_{version}_{target}.deb"));
    std::fs::write(&file, bytes).unwrap();
    let sig = signature_file(dir, &format!("{version}.sig"));
    desk_releases::add(
        &server.state.config,
        &*server.state.meta,
        version,
        target,
        &file,
        &sig,
        "fixes",
    )
    .unwrap();
}

#[tokio::test]
async fn the_newest_newer_release_is_offered_and_nothing_when_the_desk_is_current() {
    let server = TestServer::start().await;
    let v2 = release_bytes(5000, 2);
    publish(&server, "0.2.0", "linux-x86_64", &v2);
    publish(&server, "0.10.0", "linux-x86_64", &release_bytes(7000, 10));
    publish(&server, "0.9.1", "linux-x86_64", &release_bytes(100, 9));

    let offer = |current: &str| {
        let url = server.u(&format!("/api/v1/desk/updates/linux/x86_64/{current}"));
        let client = server.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let res = offer("0.1.0").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["version"], "0.10.0", "semantic order, not text order: {body}");
    assert_eq!(body["size"], 7000);
    assert_eq!(body["sha256"], hex::encode(sha2::Sha256::digest(release_bytes(7000, 10))));
    assert_eq!(body["notes"], "fixes");
    assert!(body["pub_date"].as_str().unwrap().ends_with('Z'), "{body}");
    assert!(STANDARD.decode(body["signature"].as_str().unwrap()).is_ok());
    assert_eq!(
        body["url"],
        format!("{}/api/v1/desk/releases/linux/x86_64/0.10.0", server.url),
        "an absolute URL on the address the desk used"
    );

    assert_eq!(offer("0.10.0").await.status(), 204);
    assert_eq!(offer("1.0.0").await.status(), 204);
    assert_eq!(
        offer("0.9.1").await.json::<serde_json::Value>().await.unwrap()["version"],
        "0.10.0"
    );
    assert_eq!(offer("latest").await.status(), 422);
    let windows = server.u("/api/v1/desk/updates/windows/x86_64/0.1.0");
    assert_eq!(server.client.get(windows).send().await.unwrap().status(), 204);
}

#[tokio::test]
async fn the_release_file_is_served_whole_or_by_range() {
    let server = TestServer::start().await;
    let bytes = release_bytes(300_000, 7);
    publish(&server, "0.2.0", "windows-x86_64", &bytes);
    let url = server.u("/api/v1/desk/releases/windows/x86_64/0.2.0");
    let etag = format!("\"{}\"", hex::encode(sha2::Sha256::digest(&bytes)));

    let whole = server.client.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), &bytes[..]);

    let part = server.client.get(&url).header("Range", "bytes=123456-").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 123456-299999/300000");
    assert_eq!(part.headers()["content-length"], "176544");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[123_456..]);

    let middle = server.client.get(&url).header("Range", "bytes=10-19").send().await.unwrap();
    assert_eq!(middle.status(), 206);
    assert_eq!(middle.bytes().await.unwrap().as_ref(), &bytes[10..20]);

    let same = server
        .client
        .get(&url)
        .header("Range", "bytes=299990-")
        .header("If-Range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 206, "the validator matches: the part is sent");
    let other = server
        .client
        .get(&url)
        .header("Range", "bytes=299990-")
        .header("If-Range", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another validator: the whole file");
    assert_eq!(other.bytes().await.unwrap().len(), 300_000);

    let past = server.client.get(&url).header("Range", "bytes=300000-").send().await.unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */300000");

    let missing = server.u("/api/v1/desk/releases/windows/x86_64/0.3.0");
    assert_eq!(server.client.get(missing).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn release_add_refuses_a_republished_version_a_bad_signature_and_an_unknown_target() {
    let server = TestServer::start().await;
    let dir = server.dir.path();
    let (config, meta) = (&server.state.config, &*server.state.meta);
    publish(&server, "0.2.0", "linux-x86_64", b"first");
    let file = dir.join("other.deb");
    std::fs::write(&file, b"other bytes").unwrap();
    let sig = signature_file(dir, "other.sig");
    let again = desk_releases::add(config, meta, "0.2.0", "linux-x86_64", &file, &sig, "");
    assert!(matches!(again, Err(paks_server::Error::Conflict(_))), "{again:?}");

    let not_sig = dir.join("not.sig");
    std::fs::write(&not_sig, "hello").unwrap();
    let bad = desk_releases::add(config, meta, "0.3.0", "linux-x86_64", &file, &not_sig, "");
    assert!(matches!(bad, Err(paks_server::Error::Invalid(_))), "{bad:?}");
    let mac = desk_releases::add(config, meta, "0.3.0", "darwin-aarch64", &file, &sig, "");
    assert!(matches!(mac, Err(paks_server::Error::Invalid(_))), "{mac:?}");
    let version = desk_releases::add(config, meta, "three", "linux-x86_64", &file, &sig, "");
    assert!(matches!(version, Err(paks_server::Error::Invalid(_))), "{version:?}");

    let res = server.client.get(server.u("/api/v1/desk/releases/linux/x86_64/0.2.0")).send();
    assert_eq!(res.await.unwrap().bytes().await.unwrap().as_ref(), b"first", "kept as published");
}

#[test]
fn the_operator_publishes_a_release_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("PAKS Desk_0.2.0_amd64.deb");
    std::fs::write(&file, release_bytes(1234, 1)).unwrap();
    let sig = signature_file(dir.path(), "PAKS Desk_0.2.0_amd64.deb.sig");
    let out = Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["release", "add", "--version", "0.2.0", "--target", "linux-x86_64", "--file"])
        .arg(&file)
        .arg("--signature")
        .arg(&sig)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("0.2.0") && said.contains("1234 bytes"), "{said}");
    let list = Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["release", "list", "--target", "linux-x86_64"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.starts_with("0.2.0\t"), "{listed}");
    let sha = hex::encode(sha2::Sha256::digest(release_bytes(1234, 1)));
    assert!(dir.path().join("data/desk-releases").join(&sha).is_file());
}
