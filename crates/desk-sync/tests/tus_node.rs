#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Interoperability: our tus client uploads to the official Node tus server (`@tus/server`),
//! including a resume after a cut. Needs `npm ci` in tests/tus-node-server.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use desk_sync::tus::{ChunkSizer, UploadSource, UploadStep};
use desk_sync::{ClientOptions, PaksClient};

struct NodeServer(Child);

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_node(store: &Path) -> (NodeServer, u16) {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tus-node-server");
    assert!(
        harness.join("node_modules/@tus/server").is_dir(),
        "the Node tus server is not installed: run `npm ci` in {}",
        harness.display()
    );
    let mut child = Command::new("node")
        .arg(harness.join("server.mjs"))
        .arg(store)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed to run the tus interoperability test");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("LISTENING ").expect(&line).parse().unwrap();
    (NodeServer(child), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_uploads_to_the_official_node_tus_server_and_resumes_after_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let (_node, port) = start_node(&store);
    let proxy = FaultProxy::start(format!("127.0.0.1:{port}").parse().unwrap()).await;
    proxy.cut_at_total(300_000);
    let (path, sha) = make_file(dir.path(), "deck.pptx", 1_000_000);
    let source = UploadSource {
        path,
        name: "deck.pptx".into(),
        media_type: "application/vnd.ms-powerpoint".into(),
        size: 1_000_000,
    };
    let options =
        ClientOptions { stall_timeout: Duration::from_secs(3), ..ClientOptions::default() };
    let client = PaksClient::new(&proxy.url(), "no-token-needed", options).unwrap();
    let mut sizer = ChunkSizer::default();
    (sizer.initial, sizer.max) = (64 * 1024, 128 * 1024);
    let mut confirmed = Vec::new();
    let mut url = None;
    let mut on = |step: UploadStep<'_>| {
        match step {
            UploadStep::Created { url: u } => url = Some(u.to_owned()),
            UploadStep::Confirmed { offset, .. } => confirmed.push(offset),
        }
        Ok(())
    };
    // The first try is cut after 300 kB...
    let first = client.tus_upload(&source, None, &mut sizer, false, &mut on).await;
    assert!(first.is_err(), "the cut breaks the first try: {first:?}");
    let url = url.unwrap();
    let resume_from = *confirmed.last().unwrap();
    assert!(resume_from > 0, "some chunks were confirmed before the cut");
    // ...and the second asks the server for its offset and goes on from there.
    let mut offsets = Vec::new();
    let mut on = |step: UploadStep<'_>| {
        if let UploadStep::Confirmed { offset, .. } = step {
            offsets.push(offset);
        }
        Ok(())
    };
    let done =
        client.tus_upload(&source, Some(url.clone()), &mut sizer, false, &mut on).await.unwrap();
    assert_eq!(done, url, "the same upload, resumed");
    assert!(offsets[0] >= resume_from, "resumed from the server's offset {}, not 0", offsets[0]);
    assert_eq!(*offsets.last().unwrap(), 1_000_000);
    let id = url.rsplit('/').next().unwrap();
    let stored = std::fs::read(store.join(id)).unwrap();
    assert_eq!(paks_protocol::sha256_hex(&stored), sha, "the Node server holds the exact bytes");
}
