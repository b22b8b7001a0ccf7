#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The app's reachability indicator: PAKS counts as reachable only when it signs a fresh
//! challenge with the key pinned at connect.

mod common;

use common::*;
use desk_sync::{SyncError, check_reachable};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachable_only_when_the_pinned_paks_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = desk_core::Store::open(dir.path()).unwrap();
    assert!(matches!(check_reachable(&store, dir.path()).await, Err(SyncError::NotConnected)));

    let pinned = connected_desk(None).await;
    let (desk_dir, token, key) = (&pinned.dir, &pinned.token, &pinned.key);
    let connected = &pinned.store;
    check_reachable(connected, desk_dir.path()).await.unwrap();

    let other_dir = tempfile::tempdir().unwrap();
    let other = TestServer::start(other_dir.path()).await;
    let impostor = desk(desk_dir.path(), &other.url(), token, key);
    let answer = check_reachable(&impostor, desk_dir.path()).await;
    assert!(answer.is_err(), "a server signing with another key is not the pinned PAKS");

    let nobody_dir = tempfile::tempdir().unwrap();
    let nobody = desk(nobody_dir.path(), "http://127.0.0.1:9", token, key);
    assert!(check_reachable(&nobody, nobody_dir.path()).await.is_err(), "nothing listens");
}
