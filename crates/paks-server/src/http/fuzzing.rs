//! The bodies of paks-server's fuzz targets, shared by cargo-fuzz (`fuzz/fuzz_targets/`) and the
//! stable tests (`tests/fuzz_http.rs`). See docs/fuzzing.md.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use paks_protocol::{case_sha256, validate_file_name};

use super::submissions::parse_request;
use super::tus::{Checksum, check_tus_resumable, header_u64, parse_metadata};
use crate::metadata::FocalPoint;

/// A tus request's headers, one `Name: value` per line, through the server's parsers: the
/// protocol version, the numbers, Upload-Metadata and Upload-Checksum. Whatever the bytes, an
/// answer or a problem, never a panic; what is accepted adds up.
pub fn tus_headers(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(line[..colon].trim_ascii()),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    if check_tus_resumable(&headers).is_ok() {
        assert_eq!(headers.get("tus-resumable").map(HeaderValue::as_bytes), Some(&b"1.0.0"[..]));
    }
    for name in ["upload-length", "upload-offset", "content-length"] {
        if let Ok(Some(number)) = header_u64(&headers, name) {
            let sent = headers.get(name).map(HeaderValue::as_bytes).unwrap_or_default();
            let digits = std::str::from_utf8(sent).unwrap_or_default().trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            assert_eq!(number.to_string(), digits, "{name} read as another number");
        }
    }
    let _ = Checksum::parse(&headers);
    let Some(raw) = headers.get("upload-metadata").and_then(|v| v.to_str().ok()) else { return };
    let Ok(metadata) = parse_metadata(raw) else { return };
    for (key, value) in &metadata {
        assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic() && b != b','));
        if key == "filename" {
            assert!(validate_file_name(value).is_ok(), "an unsafe file name passed: {value:?}");
        }
    }
    // Written back as a client writes it, it reads the same (a client sends no header for none:
    // tus requires one pair at least).
    if metadata.is_empty() {
        return;
    }
    let written: Vec<String> =
        metadata.iter().map(|(key, value)| format!("{key} {}", STANDARD.encode(value))).collect();
    match parse_metadata(&written.join(",")) {
        Ok(again) => assert_eq!(again, metadata, "Upload-Metadata changed through a write"),
        Err(e) => {
            panic!("Upload-Metadata written from an accepted one is refused: {}", e.problem.detail)
        }
    }
}

/// A submission body through the server's parser (`parse_request`), for a focal point of Lao
/// PDR. An accepted request, written back, is accepted again, equal, with the same case hash.
pub fn submission_request(data: &[u8]) {
    let fp = FocalPoint {
        id: 1,
        country: "LAO".into(),
        name: "Fuzz".into(),
        email: "fuzz@example.la".into(),
        created_at: "2026-12-02T00:00:00Z".into(),
        expires_at: None,
        revoked_at: None,
    };
    let Ok(request) = parse_request(data, &fp) else { return };
    assert!(request.case.validate().is_ok(), "an accepted case breaks the rules");
    assert_eq!(request.case.country, "LAO");
    let written = match serde_json::to_vec(&request) {
        Ok(written) => written,
        Err(e) => panic!("an accepted request cannot be written back: {e}"),
    };
    match parse_request(&written, &fp) {
        Ok(again) => {
            assert_eq!(again, request, "a request changed through a write and a read");
            assert_eq!(case_sha256(&again.case).ok(), case_sha256(&request.case).ok());
        }
        Err(e) => panic!("a request written from an accepted one is refused: {}", e.problem.detail),
    }
}
