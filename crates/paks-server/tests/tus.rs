//! tus 1.0.0 against the real server on 127.0.0.1.

mod common;

use std::time::Duration;

use common::*;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn options_advertises_version_extensions_and_max_size() {
    let s = TestServer::start_with(|c| c.max_upload_size = 12345).await;
    let res =
        s.client.request(reqwest::Method::OPTIONS, s.u("/api/v1/uploads")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(h["tus-max-size"], "12345");
    assert_eq!(h["tus-checksum-algorithm"], "sha1,sha256");
    let ext = h["tus-extension"].to_str().unwrap();
    for e in ["creation", "creation-with-upload", "expiration", "checksum", "termination"] {
        assert!(ext.split(',').any(|x| x == e), "{e} missing from {ext}");
    }
}

#[tokio::test]
async fn default_max_size_is_two_gib() {
    let s = TestServer::start().await;
    let res =
        s.client.request(reqwest::Method::OPTIONS, s.u("/api/v1/uploads")).send().await.unwrap();
    assert_eq!(res.headers()["tus-max-size"], (2u64 << 30).to_string());
}

#[tokio::test]
async fn upload_in_chunks_head_reports_offset_and_sha_is_recorded() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let loc = s.create_upload(&t, data.len() as u64, "report.pdf").await;
    let res = s.head(&t, &loc).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["upload-offset"], "0");
    assert_eq!(res.headers()["upload-length"], "300000");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["upload-metadata"].to_str().unwrap().starts_with("filename "));
    assert!(res.headers()["upload-expires"].to_str().unwrap().ends_with(" GMT"));
    let res = s.patch(&t, &loc, 0, data[..100_000].to_vec()).await;
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["upload-offset"], "100000");
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "100000");
    let res = s.patch(&t, &loc, 100_000, data[100_000..].to_vec()).await;
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["upload-offset"], "300000");
    let up = s.state().uploads.get(upload_id(&loc)).unwrap().unwrap();
    assert_eq!(up.info.sha256.as_deref(), Some(sha256_hex(&data).as_str()));
}

#[tokio::test]
async fn creation_with_upload_stores_the_first_bytes() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Content-Type", "application/offset+octet-stream")
        .body(b"hello".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["upload-offset"], "5");
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "5");
}

#[tokio::test]
async fn wrong_offset_is_409_and_nothing_is_written() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 100, "a.bin").await;
    assert_eq!(s.patch(&t, &loc, 0, vec![1; 10]).await.status(), 204);
    let body =
        assert_problem(s.patch(&t, &loc, 5, vec![2; 10]).await, 409, "offset-mismatch").await;
    assert!(body["detail"].as_str().unwrap().contains("10"));
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "10");
}

#[tokio::test]
async fn checksums_sha1_and_sha256_are_checked_460_on_mismatch() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 8, "c.bin").await;
    let send = |algo: &'static str, digest: Vec<u8>, offset: u64, body: &'static [u8]| {
        s.client
            .patch(s.u(&loc))
            .bearer_auth(&t)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Checksum", format!("{algo} {}", b64(&digest)))
            .body(body)
            .send()
    };
    let good1 = sha1::Sha1::digest(b"abcd").to_vec();
    assert_eq!(send("sha1", good1, 0, b"abcd").await.unwrap().status(), 204);
    let wrong = sha2::Sha256::digest(b"zzzz").to_vec();
    assert_problem(send("sha256", wrong, 4, b"efgh").await.unwrap(), 460, "checksum-mismatch")
        .await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "4", "mismatched chunk dropped");
    let good256 = sha2::Sha256::digest(b"efgh").to_vec();
    assert_eq!(send("sha256", good256, 4, b"efgh").await.unwrap().status(), 204);
    let up = s.state().uploads.get(upload_id(&loc)).unwrap().unwrap();
    assert_eq!(up.info.sha256.unwrap(), sha256_hex(b"abcdefgh"));
    let md5 = s
        .client
        .patch(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "8")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA==")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_problem(md5, 400, "checksum-algorithm-unsupported").await;
}

#[tokio::test]
async fn too_large_upload_is_413() {
    let s = TestServer::start_with(|c| c.max_upload_size = 1000).await;
    let t = s.focal_point("LAO");
    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1001")
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "too-large").await;
}

#[tokio::test]
async fn body_longer_than_upload_length_is_413_and_not_kept() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 10, "x.bin").await;
    assert_problem(s.patch(&t, &loc, 0, vec![0; 11]).await, 413, "body-longer-than-upload").await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "0");
}

async fn raw_request(addr: std::net::SocketAddr, request: &[u8], close_after: bool) -> String {
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    sock.write_all(request).await.expect("send");
    if close_after {
        sock.shutdown().await.expect("shutdown");
        drop(sock);
        return String::new();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn chunked_body_past_upload_length_is_413_over_raw_tcp() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 10, "x.bin").await;
    let req = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nAAAAAA\r\n6\r\nBBBBBB\r\n0\r\n\r\n"
    );
    let answer = raw_request(s.addr, req.as_bytes(), false).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body-longer-than-upload"), "{answer}");
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "0");
}

#[tokio::test]
async fn connection_cut_mid_patch_keeps_the_bytes_received() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 1000, "cut.bin").await;
    let mut req = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 1000\r\n\r\n"
    )
    .into_bytes();
    req.extend(vec![7u8; 400]);
    raw_request(s.addr, &req, true).await;
    let mut offset = String::new();
    for _ in 0..100 {
        let res = s.head(&t, &loc).await;
        offset = res.headers()["upload-offset"].to_str().unwrap().to_owned();
        if offset == "400" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offset, "400");
    // Resume from the kept offset; the lock of the broken request must be gone.
    // The broken request may still be finishing (423 Locked, which tus clients retry).
    let mut status = 0;
    for _ in 0..100 {
        status = s.patch(&t, &loc, 400, vec![8u8; 600]).await.status().as_u16();
        if status != 423 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 204);
    let mut expected = vec![7u8; 400];
    expected.extend(vec![8u8; 600]);
    let up = s.state().uploads.get(upload_id(&loc)).unwrap().unwrap();
    assert_eq!(up.info.sha256.unwrap(), sha256_hex(&expected));
}

#[tokio::test]
async fn malformed_tus_headers_are_rejected_with_problems() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let mut r = s.client.post(s.u("/api/v1/uploads")).bearer_auth(&t);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    let res = post(vec![("Upload-Length", "5")]).await.unwrap();
    assert_eq!(res.headers()["tus-version"], "1.0.0");
    assert_problem(res, 412, "tus-version-unsupported").await;
    let res = post(vec![("Tus-Resumable", "0.2.2"), ("Upload-Length", "5")]).await.unwrap();
    assert_problem(res, 412, "tus-version-unsupported").await;
    assert_problem(post(vec![("Tus-Resumable", "1.0.0")]).await.unwrap(), 400, "bad-tus-header")
        .await;
    let res = post(vec![("Tus-Resumable", "1.0.0"), ("Upload-Length", "-3")]).await.unwrap();
    assert_problem(res, 400, "bad-tus-header").await;
    let res = post(vec![("Tus-Resumable", "1.0.0"), ("Upload-Length", "12abc")]).await.unwrap();
    assert_problem(res, 400, "bad-tus-header").await;
    let res = post(vec![
        ("Tus-Resumable", "1.0.0"),
        ("Upload-Length", "5"),
        ("Upload-Metadata", "filename !!notbase64!!"),
    ])
    .await
    .unwrap();
    assert_problem(res, 400, "bad-tus-header").await;
    // Path parts and control characters in the file name.
    for name in ["../../etc/passwd", "dir/file.pdf", "a\u{7}b.pdf"] {
        let meta = format!("filename {}", b64(name.as_bytes()));
        let res = s
            .client
            .post(s.u("/api/v1/uploads"))
            .bearer_auth(&t)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "5")
            .header("Upload-Metadata", meta)
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "bad-tus-header").await;
    }
    // File name that is not UTF-8.
    let meta = format!("filename {}", b64(&[0xff, 0xfe, b'a']));
    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid-utf8").await;
    // PATCH: wrong content type, missing or bad offset.
    let loc = s.create_upload(&t, 5, "ok.txt").await;
    let res = s
        .client
        .patch(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported-media-type").await;
    let res = s
        .client
        .patch(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad-tus-header").await;
    let res = s
        .client
        .patch(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "zero")
        .header("Content-Type", "application/offset+octet-stream")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad-tus-header").await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "0");
}

#[tokio::test]
async fn unknown_foreign_and_expired_uploads() {
    let s = TestServer::start_with(|c| c.upload_ttl = Duration::from_secs(1)).await;
    let t = s.focal_point("LAO");
    let other = s.focal_point("LAO");
    let unknown = format!("/api/v1/uploads/{}", uuid::Uuid::new_v4());
    assert_problem(s.patch(&t, &unknown, 0, vec![1]).await, 404, "not-found").await;
    assert_eq!(s.head(&t, &unknown).await.status(), 404);
    assert_eq!(s.head(&t, "/api/v1/uploads/not-a-uuid").await.status(), 404);
    let loc = s.create_upload(&t, 4, "e.bin").await;
    assert_eq!(s.head(&other, &loc).await.status(), 404, "another token sees nothing");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_problem(s.patch(&t, &loc, 0, vec![1; 4]).await, 410, "upload-expired").await;
    assert_eq!(s.head(&t, &loc).await.status(), 410);
    let removed = paks_server::sweep_expired(s.state()).unwrap();
    assert_eq!(removed, 1);
    assert_eq!(s.head(&t, &loc).await.status(), 404);
}

#[tokio::test]
async fn termination_deletes_the_upload() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 4, "d.bin").await;
    let res = s
        .client
        .delete(s.u(&loc))
        .bearer_auth(&t)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["tus-resumable"], "1.0.0");
    assert_eq!(s.head(&t, &loc).await.status(), 404);
    assert!(!s.dir.path().join("uploads").join(format!("{}.bin", upload_id(&loc))).exists());
}

#[tokio::test]
async fn uploads_need_a_valid_token() {
    let s = TestServer::start().await;
    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
    let res = s
        .client
        .post(s.u("/api/v1/uploads"))
        .bearer_auth("paks_forged")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn received_bytes_survive_a_server_restart() {
    let s = TestServer::start().await;
    let t = s.focal_point("LAO");
    let loc = s.create_upload(&t, 10, "r.bin").await;
    assert_eq!(s.patch(&t, &loc, 0, b"01234".to_vec()).await.status(), 204);
    let dir = s.dir.clone();
    s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    assert_eq!(s.head(&t, &loc).await.headers()["upload-offset"], "5");
    assert_eq!(s.patch(&t, &loc, 5, b"56789".to_vec()).await.status(), 204);
    let up = s.state().uploads.get(upload_id(&loc)).unwrap().unwrap();
    assert_eq!(up.info.sha256.unwrap(), sha256_hex(b"0123456789"));
}
