//! Desk updates against the real server: the offer, a download through a proxy that cuts it
//! (resumed with Range, not started over), resumed after a restart, held to the bandwidth cap,
//! and a release signed with another key refused and deleted. Keys are throwaway minisign keys
//! made here, in the format `tauri signer generate` writes.
#![allow(clippy::unwrap_used)] // Test support: panicking is how a test fails.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{
    Fault, FaultProxy, TestServer, make_file, publish_release as publish, sign, throwaway_key,
};
use desk_sync::backoff::Backoff;
use desk_sync::update::{DownloadOptions, UpdateOffer, download_update, verify_signature};
use desk_sync::{ClientOptions, PaksClient};

fn quick() -> DownloadOptions {
    DownloadOptions {
        backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(200) },
        give_up_after: 20,
    }
}

fn client(url: &str, bandwidth_kbps: Option<u32>) -> PaksClient {
    let options = ClientOptions { bandwidth_kbps, ..ClientOptions::default() };
    PaksClient::new(url, "", options).unwrap()
}

async fn offer(client: &PaksClient, current: &str) -> Option<UpdateOffer> {
    let (target, arch) = desk_sync::update::this_platform().unwrap();
    client.update_offer(target, arch, current).await.unwrap()
}

fn update_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[tokio::test]
async fn a_download_cut_three_times_resumes_where_it_broke_and_arrives_verified() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let (public, secret) = throwaway_key();
    const SIZE: usize = 600_000;
    publish(&server, "0.2.0", SIZE, &secret);
    let proxy = FaultProxy::start(server.addr).await;
    for _ in 0..3 {
        proxy.push(Fault::CutDownAfter(150_000));
    }
    let client = client(&proxy.url(), None);
    assert_eq!(offer(&client, "0.2.0").await, None, "nothing newer than 0.2.0");
    let offer = offer(&client, "0.1.0").await.unwrap();
    assert_eq!((offer.version.as_str(), offer.size), ("0.2.0", SIZE as u64));

    let desk = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let path = download_update(&client, &offer, &public, desk.path(), &quick(), |p| {
        seen.push((p.received, p.seconds_left))
    })
    .await
    .unwrap();

    let same_bytes = tempfile::tempdir().unwrap();
    let (_, sha) = make_file(same_bytes.path(), "x", SIZE);
    assert_eq!(paks_protocol::sha256_hex(&std::fs::read(&path).unwrap()), sha);
    assert_eq!(proxy.pending_faults(), 0, "all three cuts happened");
    let down = proxy.down_bytes.load(Ordering::SeqCst);
    assert!(
        down < SIZE as u64 + 40_000,
        "{down} bytes came down for {SIZE}: the cut parts were fetched again, not resumed"
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "progress only grows");
    assert_eq!(seen.last().unwrap().0, SIZE as u64);
    assert!(seen.iter().any(|(_, left)| left.is_some()), "time left is estimated");
    assert_eq!(update_files(desk.path()), vec![path.file_name().unwrap().to_string_lossy()]);
}

#[tokio::test]
async fn a_download_broken_off_resumes_after_a_restart_from_the_bytes_on_disk() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let (public, secret) = throwaway_key();
    const SIZE: usize = 400_000;
    publish(&server, "0.3.0", SIZE, &secret);
    let proxy = FaultProxy::start(server.addr).await;
    proxy.push(Fault::CutDownAfter(250_000));
    let desk = tempfile::tempdir().unwrap();
    let first = client(&proxy.url(), None);
    let offer = offer(&first, "0.1.0").await.unwrap();
    let gives_up = DownloadOptions { give_up_after: 0, ..quick() };
    let broken = download_update(&first, &offer, &public, desk.path(), &gives_up, |_| {}).await;
    assert!(broken.as_ref().is_err_and(|e| e.is_transient()), "{broken:?}");
    let parts = update_files(desk.path());
    assert!(parts.len() == 1 && parts[0].ends_with(".part"), "{parts:?}");
    let kept = std::fs::metadata(desk.path().join(&parts[0])).unwrap().len();
    assert!(kept > 200_000, "the bytes before the cut are kept: {kept}");
    let before = proxy.down_bytes.load(Ordering::SeqCst);

    // The app restarts: a new client, the same data folder.
    let again = client(&proxy.url(), None);
    let path =
        download_update(&again, &offer, &public, desk.path(), &quick(), |_| {}).await.unwrap();
    let after = proxy.down_bytes.load(Ordering::SeqCst) - before;
    assert!(after < SIZE as u64 - kept + 5_000, "only the rest came down: {after} bytes");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), SIZE as u64);
}

#[tokio::test]
async fn an_update_signed_with_another_key_is_refused_and_deleted() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let (public, _) = throwaway_key();
    let (_, someone_else) = throwaway_key();
    publish(&server, "0.2.0", 50_000, &someone_else);
    let client = client(&server.url(), None);
    let offer = offer(&client, "0.1.0").await.unwrap();
    let desk = tempfile::tempdir().unwrap();
    let refused = download_update(&client, &offer, &public, desk.path(), &quick(), |_| {}).await;
    let err = refused.unwrap_err();
    assert_eq!(err.code(), "update_signature_bad", "{err}");
    assert!(err.to_string().contains("not installed"), "{err}");
    assert!(update_files(desk.path()).is_empty(), "the file is deleted");
}

#[tokio::test]
async fn a_download_holds_to_the_bandwidth_cap() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(server_dir.path()).await;
    let (public, secret) = throwaway_key();
    publish(&server, "0.2.0", 96_000, &secret);
    let client = client(&server.url(), Some(256));
    let offer = offer(&client, "0.1.0").await.unwrap();
    let desk = tempfile::tempdir().unwrap();
    let started = Instant::now();
    download_update(&client, &offer, &public, desk.path(), &quick(), |_| {}).await.unwrap();
    // 96 000 bytes at 32 000 bytes/s take 3 s; the first piece is not waited for.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2000), "the cap was not held: {took:?}");
}

#[test]
fn a_signature_is_checked_against_the_bytes_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = make_file(dir.path(), "release.deb", 10_000);
    let (public, secret) = throwaway_key();
    let signature = sign(&secret, &file);
    let mut bytes = std::fs::read(&file).unwrap();
    verify_signature(&bytes, &signature, &public).unwrap();
    bytes[5000] ^= 1;
    let err = verify_signature(&bytes, &signature, &public).unwrap_err();
    assert_eq!(err.code(), "update_signature_bad");
    let err = verify_signature(b"x", "not base64!", &public).unwrap_err();
    assert_eq!(err.code(), "update_signature_bad");
}
