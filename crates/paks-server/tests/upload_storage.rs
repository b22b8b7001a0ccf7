#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! Upload storage against real folders, a real full disk (a small tmpfs) and the real server:
//! committed offsets, quotas, free space, failed creations, strays, the sweeper's index, kept
//! bytes of a creation-with-upload that broke off, and private files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use paks_server::disk_store::DiskUploadStore;
use paks_server::upload_store::UploadStore;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// A real small tmpfs, mounted for the test (root is needed, as in CI; without it the test fails
/// and says so rather than skipping).
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a tmpfs needs root (CI runs as root)");
        Tmpfs { path, _dir: dir }
    }

    /// Writes a file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_offset_shows_only_committed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskUploadStore::open(dir.path()).unwrap();
    let up = new_upload_info(1, 100);
    store.create(&up).unwrap();
    let mut w = store.writer(up.id, 0).unwrap();
    w.write(&[1; 30]).unwrap();
    w.commit().unwrap();
    let mut w = store.writer(up.id, 30).unwrap();
    w.write(&[2; 50]).unwrap();
    assert_eq!(store.get(up.id).unwrap().unwrap().offset, 30, "bytes before commit are shown");
    w.rollback().unwrap();
    assert_eq!(store.get(up.id).unwrap().unwrap().offset, 30);
    // A writer dropped unfinished (its request cut at shutdown) keeps nothing either.
    let mut w = store.writer(up.id, 30).unwrap();
    w.write(&[3; 20]).unwrap();
    drop(w);
    assert_eq!(store.get(up.id).unwrap().unwrap().offset, 30);
    let mut w = store.writer(up.id, 30).unwrap();
    w.write(&[4; 70]).unwrap();
    assert_eq!(w.commit().unwrap(), 100);
}

#[tokio::test]
async fn head_during_and_after_a_patch_whose_checksum_fails_shows_the_old_offset() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 1000, "sum.bin").await;
    assert_eq!(s.patch(&t, &loc, 0, vec![1; 100]).await.status(), 204);
    let wrong = b64(&sha2::Sha256::digest(b"not this"));
    let head = raw_patch_head(&loc, &t, 100, 900, &format!("Upload-Checksum: sha256 {wrong}\r\n"));
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&[2; 500]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Concurrent HEAD: the bytes in flight are not the upload's (they may yet be dropped).
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "100");
    drop(sock);
    let res = s
        .client
        .patch(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "100")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Checksum", format!("sha256 {wrong}"))
        .body(vec![2; 900])
        .send()
        .await
        .unwrap();
    assert_problem(res, 460, "checksum-mismatch").await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "100");
}

async fn post_upload(s: &TestServer, token: &str, length: u64) -> reqwest::Response {
    s.client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_focal_point_is_held_to_its_open_uploads_and_declared_bytes() {
    let s = TestServer::start_with(|c| {
        c.max_open_uploads = 3;
        c.max_open_upload_bytes = 1000;
    })
    .await;
    let t = s.focal_point("LAO");
    let other = s.focal_point("BTN");
    let mut locations = Vec::new();
    for _ in 0..3 {
        locations.push(s.create_upload(&t, 100, "q.bin").await);
    }
    let body = assert_problem(post_upload(&s, &t, 100).await, 413, "upload-quota-exceeded").await;
    assert!(body["detail"].as_str().unwrap().contains("3 uploads"), "{body}");
    assert_eq!(post_upload(&s, &other, 100).await.status(), 201, "another focal point's quota");
    // Deleting one frees its place.
    let res = s
        .client
        .delete(s.u(&locations[0]))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let body = assert_problem(post_upload(&s, &t, 801).await, 413, "upload-quota-exceeded").await;
    assert!(body["detail"].as_str().unwrap().contains("limit"), "{body}");
    assert_eq!(post_upload(&s, &t, 800).await.status(), 201);
}

/// A server whose data folder is on an 8 MiB disk of its own, keeping a 1 MiB reserve (in
/// this order so the server stops before the disk goes).
async fn server_on_a_small_disk() -> (Tmpfs, PathBuf, TestServer) {
    let disk = Tmpfs::mount("8m");
    let data = disk.path.join("data");
    let s = TestServer::start_with(|c| {
        c.data_dir = data.clone();
        c.disk_reserve_bytes = 1 << 20;
    })
    .await;
    (disk, data, s)
}

#[tokio::test]
async fn an_upload_the_disk_cannot_hold_is_refused_with_507() {
    let (_disk, _data, s) = server_on_a_small_disk().await;
    let t = s.focal_point("LAO");
    let body =
        assert_problem(post_upload(&s, &t, 9 << 20).await, 507, "insufficient-storage").await;
    assert!(body["detail"].as_str().unwrap().contains("9.0 MiB"), "{body}");
    assert_eq!(post_upload(&s, &t, 4 << 20).await.status(), 201);
    // The 4 MiB already promised count, though none of their bytes have arrived.
    assert_problem(post_upload(&s, &t, 4 << 20).await, 507, "insufficient-storage").await;
    assert_eq!(post_upload(&s, &t, 1 << 20).await.status(), 201);
}

#[tokio::test]
async fn a_bag_the_disk_cannot_hold_with_its_payload_is_refused_before_it_is_received() {
    let (_disk, data, s) = server_on_a_small_disk().await;
    let t = s.focal_point("LAO");
    // 5 MiB fit on the disk, but not twice (the zip, then its extracted payload).
    let res = s
        .client
        .post(s.u("/api/v1/bags"))
        .bearer_auth(&t)
        .header("Content-Type", "application/zip")
        .body(vec![0u8; 5 << 20])
        .send()
        .await
        .unwrap();
    assert_problem(res, 507, "insufficient-storage").await;
    let tmp = data.join("tmp");
    assert!(!tmp.exists() || names(&tmp).is_empty(), "nothing of the bag was kept");
}

#[tokio::test]
async fn a_bag_without_a_length_that_fills_the_disk_is_507_and_leaves_nothing() {
    let (_disk, data, s) = server_on_a_small_disk().await;
    let t = s.focal_point("LAO");
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/bags HTTP/1.1\r\nHost: paks\r\nAuthorization: Bearer {t}\r\n\
         Content-Type: application/zip\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    // 12 MiB in chunks, more than the 8 MiB disk; the server may answer and close before the end.
    let chunk = [0u8; 64 << 10];
    for _ in 0..192 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if sock.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = sock.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(30), sock.read(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer[..read.unwrap().unwrap_or(0)]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 507"), "{answer}");
    let tmp = data.join("tmp");
    assert!(!tmp.exists() || names(&tmp).is_empty(), "nothing of the bag was kept");
}

#[tokio::test]
async fn a_patch_on_a_full_disk_is_507_and_keeps_nothing_of_it() {
    let disk = Tmpfs::mount("4m");
    let data = disk.path.join("data");
    let s = TestServer::start_with(|c| {
        c.data_dir = data.clone();
        c.disk_reserve_bytes = 0;
    })
    .await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 600_000, "full.bin").await;
    disk.fill();
    let res = s.patch(&t, &loc, 0, vec![9; 600_000]).await;
    assert_problem(res, 507, "insufficient-storage").await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "0");
}

#[test]
fn a_creation_that_fails_on_a_full_disk_leaves_nothing_behind() {
    let disk = Tmpfs::mount("1m");
    let dir = disk.path.join("uploads");
    let store = DiskUploadStore::open(&dir).unwrap();
    disk.fill();
    let up = new_upload_info(1, 10);
    let err = store.create(&up).expect_err("nothing can be written on a full disk");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert_eq!(names(&dir), Vec::<String>::new(), "a failed creation left files");
    assert_eq!(store.get(up.id).unwrap(), None);
}

#[test]
fn stray_files_are_removed_at_start_up_and_uploads_kept() {
    let dir = tempfile::tempdir().unwrap();
    let kept = new_upload_info(1, 10);
    DiskUploadStore::open(dir.path()).unwrap().create(&kept).unwrap();
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let (tmp, orphan, fresh) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (name, old) in [
        (format!("{tmp}.info.tmp"), true),
        (format!("{orphan}.bin"), true),
        (format!("{fresh}.bin"), false),
    ] {
        let f = std::fs::File::create(dir.path().join(name)).unwrap();
        if old {
            f.set_modified(hour_ago).unwrap();
        }
    }
    let store = DiskUploadStore::open(dir.path()).unwrap();
    let mut expected =
        vec![format!("{fresh}.bin"), format!("{}.bin", kept.id), format!("{}.info", kept.id)];
    expected.sort();
    assert_eq!(names(dir.path()), expected, "old strays go; a creation maybe under way stays");
    assert!(store.get(kept.id).unwrap().is_some());
}

#[tokio::test]
async fn the_sweeper_works_from_memory_not_from_every_info_file() {
    let s = TestServer::start_with(|c| c.upload_ttl = Duration::from_secs(1)).await;
    let t = s.focal_point("LAO");
    let expiring = s.create_upload(&t, 4, "old.bin").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // A kept upload (part of a submission) the sweeper has no reason to read: its info damaged,
    // it must not stop the sweep.
    let kept = upload_id(&s.create_upload(&t, 4, "kept.bin").await);
    s.state().uploads.keep(kept).unwrap();
    let info = s.dir.path().join("uploads").join(format!("{kept}.info"));
    std::fs::write(&info, b"{ not json").unwrap();
    assert_eq!(paks_server::sweep_expired(s.state()).unwrap(), 1);
    assert!(s.state().uploads.get(upload_id(&expiring)).unwrap().is_none());
}

/// A creation-with-upload of 1000 bytes that sends 400 of them.
async fn send_part_of_a_creation(s: &TestServer, token: &str) -> tokio::net::TcpStream {
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(raw_creation_head(token, 1000).as_bytes()).await.unwrap();
    sock.write_all(&[6; 400]).await.unwrap();
    sock
}

#[tokio::test]
async fn a_creation_with_upload_that_goes_quiet_keeps_its_bytes_for_resuming() {
    let s = TestServer::start_with(|c| c.body_idle_timeout = Duration::from_secs(1)).await;
    let t = s.focal_point("LAO");
    let mut sock = send_part_of_a_creation(&s, &t).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), sock.read(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("400 bytes are kept"), "{answer}");
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("no Location in {answer}"))
        .trim()
        .to_owned();
    assert!(answer.contains("upload-offset: 400"), "{answer}");
    assert_eq!(s.head(&t, &location).await.headers()["upload-offset"], "400");
    assert_eq!(s.patch(&t, &location, 400, vec![7; 600]).await.status(), 204);
    assert_upload_holds(&s, &location, &[[6u8; 400].as_slice(), &[7u8; 600]].concat());
}

#[tokio::test]
async fn a_creation_with_upload_cut_off_keeps_the_upload() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let sock = send_part_of_a_creation(&s, &t).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(sock);
    let dir = s.dir.path().join("uploads");
    let started = std::time::Instant::now();
    loop {
        let uploads = s.state().uploads.usage(1, 0).unwrap();
        let kept: Vec<_> = names(&dir).into_iter().filter(|n| n.ends_with(".info")).collect();
        if kept.len() == 1 && uploads.pending_bytes == 600 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "upload gone: {kept:?} {uploads:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_is_private_and_its_files_too() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 4, "p.bin").await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = s.dir.path();
    assert_eq!(mode(data), 0o700, "data folder");
    assert_eq!(mode(&data.join("uploads")), 0o700, "uploads folder");
    assert_eq!(mode(&data.join("paks.sqlite3")), 0o600, "database");
    let id = upload_id(&loc);
    assert_eq!(mode(&data.join("uploads").join(format!("{id}.bin"))), 0o600);
    assert_eq!(mode(&data.join("uploads").join(format!("{id}.info"))), 0o600);
}
