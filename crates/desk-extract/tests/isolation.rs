//! The worker process: limits, crashes, and the jobs after them.

mod common;

use std::time::{Duration, Instant};

use common::{fixture, worker};
use desk_extract::{
    DocKind, ExtractError, Limits, Outcome, TestHook, run_isolated, run_isolated_with_hook,
};

fn quick_limits() -> Limits {
    Limits { base_timeout_ms: 3_000, per_page_timeout_ms: 100, ..Limits::default() }
}

fn assert_next_job_is_fine() {
    let e = run_isolated(&fixture("three_pages.pdf"), &quick_limits(), &worker())
        .expect("the job after a failed one runs");
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);
    assert!(e.units[0].text.contains("digital government"));
}

#[test]
fn isolated_extraction_gives_the_same_text_as_in_process() {
    let path = fixture("order_notes_scripts.pptx");
    let isolated = run_isolated(&path, &Limits::default(), &worker()).unwrap();
    let mut local = desk_extract::extract_in_process(&path, &Limits::default()).unwrap();
    local.elapsed_ms = isolated.elapsed_ms;
    assert_eq!(isolated, local);
}

#[test]
fn hanging_worker_is_killed_at_the_time_limit_and_the_next_job_runs() {
    let limits = Limits { base_timeout_ms: 500, ..quick_limits() };
    let t = Instant::now();
    let e = run_isolated_with_hook(&fixture("three_pages.pdf"), &limits, &worker(), TestHook::Hang)
        .unwrap();
    let took = t.elapsed();
    assert_eq!(e.outcome, Outcome::TimedOut { after_ms: 500 });
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(5), "{took:?}");
    assert!(e.outcome.message().contains("longer than 1 seconds"));
    assert_next_job_is_fine();
}

#[test]
fn time_limit_grows_with_the_reported_page_count() {
    let limits = Limits { base_timeout_ms: 300, per_page_timeout_ms: 200, ..quick_limits() };
    let t = Instant::now();
    let e = run_isolated_with_hook(
        &fixture("three_pages.pdf"),
        &limits,
        &worker(),
        TestHook::ReportPagesThenHang(5),
    )
    .unwrap();
    assert_eq!(e.outcome, Outcome::TimedOut { after_ms: 1_300 });
    assert!(t.elapsed() >= Duration::from_millis(1_250), "{:?}", t.elapsed());
}

#[test]
fn panicking_worker_is_reported_as_damaged_and_the_next_job_runs() {
    let e = run_isolated_with_hook(
        &fixture("three_pages.pdf"),
        &quick_limits(),
        &worker(),
        TestHook::Panic,
    )
    .unwrap();
    match &e.outcome {
        Outcome::Damaged { reason } => assert!(reason.contains("crashed"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind, DocKind::Pdf);
    assert_next_job_is_fine();
}

#[cfg(target_os = "linux")]
#[test]
fn memory_hog_is_stopped_at_the_memory_limit_and_the_next_job_runs() {
    let limits = Limits { memory_bytes: 256 << 20, base_timeout_ms: 20_000, ..quick_limits() };
    let t = Instant::now();
    let e = run_isolated_with_hook(
        &fixture("three_pages.pdf"),
        &limits,
        &worker(),
        TestHook::EatMemory,
    )
    .unwrap();
    assert_eq!(e.outcome, Outcome::MemoryLimit { limit_mb: 256 });
    assert!(t.elapsed() < Duration::from_secs(15));
    assert_next_job_is_fine();
}

#[test]
fn zero_byte_file_is_damaged_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pdf");
    std::fs::write(&path, b"").unwrap();
    let e = run_isolated(&path, &quick_limits(), &worker()).unwrap();
    assert_eq!(e.outcome, Outcome::Damaged { reason: "the file is empty (0 bytes)".into() });
    assert_eq!(e.kind, DocKind::Pdf);
}

#[test]
fn unreadable_paths_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run_isolated(&dir.path().join("nope.pdf"), &quick_limits(), &worker());
    assert!(matches!(missing, Err(ExtractError::Unreadable { .. })), "{missing:?}");
    let folder = run_isolated(dir.path(), &quick_limits(), &worker());
    assert!(matches!(folder, Err(ExtractError::NotAFile { .. })), "{folder:?}");
    // A name longer than the file system allows (255 bytes) cannot even be opened.
    let long = dir.path().join(format!("{}.pdf", "ก".repeat(296)));
    let err = run_isolated(&long, &quick_limits(), &worker()).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[cfg(unix)]
#[test]
fn non_utf8_and_very_long_names_reach_the_worker() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9 \xff.pdf"));
    std::fs::copy(fixture("three_pages.pdf"), &odd).unwrap();
    let e = run_isolated(&odd, &quick_limits(), &worker()).unwrap();
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);

    // 300 characters of path: nested folders, and a longest-allowed last name.
    let mut deep = dir.path().to_path_buf();
    for _ in 0..3 {
        deep = deep.join("ก".repeat(20));
    }
    std::fs::create_dir_all(&deep).unwrap();
    let long = deep.join(format!("{}.pdf", "x".repeat(250)));
    assert!(long.to_string_lossy().chars().count() >= 300);
    std::fs::copy(fixture("three_pages.pdf"), &long).unwrap();
    let e = run_isolated(&long, &quick_limits(), &worker()).unwrap();
    assert!(matches!(e.outcome, Outcome::Indexed { pages: 3, .. }), "{:?}", e.outcome);
}

#[test]
fn encrypted_pdf_through_the_worker() {
    let e =
        run_isolated(&fixture("encrypted_user_password.pdf"), &quick_limits(), &worker()).unwrap();
    assert_eq!(e.outcome, Outcome::PasswordProtected);
}

#[test]
fn ppt_without_libreoffice_says_how_to_index_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.ppt");
    common::write_ole(&path, &["PowerPoint Document", "Current User"]);
    let worker = worker().env("PAKS_SOFFICE", dir.path().join("no-soffice-here"));
    let e = run_isolated(&path, &quick_limits(), &worker).unwrap();
    assert_eq!(e.kind, DocKind::Ppt);
    assert_eq!(
        e.outcome,
        Outcome::NotSupported { reason: "install LibreOffice to index .ppt files".into() }
    );
    assert_eq!(e.outcome.message(), "Not indexed: install LibreOffice to index .ppt files.");
}

#[test]
fn missing_worker_program_is_an_error_not_a_panic() {
    let w = desk_extract::WorkerCommand::new("/nonexistent/paks-worker");
    let r = run_isolated(&fixture("three_pages.pdf"), &quick_limits(), &w);
    assert!(matches!(r, Err(ExtractError::WorkerSpawn { .. })), "{r:?}");
}
