#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
use std::path::{Path, PathBuf};
use std::process::Command;

use desk_core::attachment::display_name;
use desk_core::{
    CaseField, CaseStatus, Error, Framework, IndexStatus, LinkInput, ProblemKind, Store,
};
use desk_extract::{Limits, WorkerCommand};

const WORKER_ENV: &str = "PAKS_DESK_CORE_TEST_WORKER";

/// This test binary doubles as the isolated extraction worker: run as
/// `attachments --exact act_as_extraction_worker` with the variable set, it serves one job.
#[test]
fn act_as_extraction_worker() {
    if std::env::var_os(WORKER_ENV).is_some() {
        let ok = desk_extract::worker_main() == std::process::ExitCode::SUCCESS;
        std::process::exit(if ok { 0 } else { 3 });
    }
}

fn worker() -> WorkerCommand {
    WorkerCommand::new(std::env::current_exe().unwrap())
        .arg("--exact")
        .arg("act_as_extraction_worker")
        .arg("--nocapture")
        .env(WORKER_ENV, "1")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desk-extract/tests/fixtures").join(name)
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    (dir, store)
}

fn stored_files(store: &Store) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let root = store.dir().join("attachments");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    files
}

fn copy_to(dir: &Path, fixture_name: &str, as_name: &str) -> PathBuf {
    let path = dir.join(as_name);
    std::fs::copy(fixture(fixture_name), &path).unwrap();
    path
}

#[test]
fn a_deck_is_stored_once_indexed_by_the_worker_and_listed() {
    let (dir, store) = open();
    let a = store.create_case("Lao e-Census", Some("LAO")).unwrap();
    let b = store.create_case("Bhutan portal", Some("BTN")).unwrap();
    let deck = copy_to(dir.path(), "order_notes_scripts.pptx", "Census deck.pptx");

    let attached = store.import_attachment(a.id, &deck).unwrap();
    assert!(!attached.already_attached);
    assert!(attached.large_file_warning.is_none());
    let att = &attached.attachment;
    assert_eq!(att.name, "Census deck.pptx");
    assert_eq!(att.kind, "pptx");
    assert_eq!(att.index_status, IndexStatus::Pending);
    assert_eq!(att.size, std::fs::metadata(&deck).unwrap().len());
    assert_eq!(att.sha256.len(), 64);
    assert_eq!(store.pending_index().unwrap(), std::slice::from_ref(&att.sha256));

    let extraction = store.index_attachment(&att.sha256, &worker(), &Limits::default()).unwrap();
    assert_eq!(extraction.units.len(), 3, "{extraction:?}");
    let listed = store.attachments(a.id).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].index_status, IndexStatus::Indexed);
    assert_eq!(listed[0].units, Some(3));
    assert_eq!(listed[0].unit_label, "slide");
    assert!(
        listed[0].index_message.starts_with("Indexed: 3 slides"),
        "{}",
        listed[0].index_message
    );
    assert!(store.pending_index().unwrap().is_empty());

    // The same content, again and elsewhere: one stored file, already indexed.
    let again = store.import_attachment(a.id, &deck).unwrap();
    assert!(again.already_attached);
    let renamed = copy_to(dir.path(), "order_notes_scripts.pptx", "copy.pptx");
    let other = store.import_attachment(b.id, &renamed).unwrap();
    assert_eq!(other.attachment.sha256, att.sha256);
    assert_eq!(other.attachment.name, "copy.pptx");
    assert_eq!(other.attachment.index_status, IndexStatus::Indexed);
    assert_eq!(stored_files(&store).len(), 1, "{:?}", stored_files(&store));

    // Deleted only when no case uses it.
    store.detach(a.id, &att.sha256).unwrap();
    assert_eq!(stored_files(&store).len(), 1);
    assert!(store.attachments(a.id).unwrap().is_empty());
    let err = store.detach(a.id, &att.sha256).unwrap_err();
    assert_eq!(err.code(), "attachment_not_found");
    store.detach(b.id, &att.sha256).unwrap();
    assert!(stored_files(&store).is_empty(), "{:?}", stored_files(&store));
}

#[test]
fn outcomes_are_recorded_in_plain_words() {
    let (dir, store) = open();
    let case = store.create_case("Outcomes", Some("NPL")).unwrap();
    let cases = [
        ("encrypted_user_password.pdf", IndexStatus::PasswordProtected, "Password-protected"),
        ("scanned.pdf", IndexStatus::NoTextLayer, "No words recognised"),
        ("three_pages.pdf", IndexStatus::Indexed, "Indexed: 3 pages"),
    ];
    for (name, status, words) in cases {
        let path = copy_to(dir.path(), name, name);
        let sha = store.import_attachment(case.id, &path).unwrap().attachment.sha256;
        store.index_attachment(&sha, &worker(), &Limits::default()).unwrap();
        let a = store.attachments(case.id).unwrap().into_iter().find(|a| a.sha256 == sha).unwrap();
        assert_eq!(a.index_status, status, "{name}: {}", a.index_message);
        assert!(a.index_message.starts_with(words), "{name}: {}", a.index_message);
    }
    // Not a document at all: stored, and said so.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "plain notes").unwrap();
    let sha = store.import_attachment(case.id, &notes).unwrap().attachment.sha256;
    store.index_attachment(&sha, &worker(), &Limits::default()).unwrap();
    let a = store.attachments(case.id).unwrap().into_iter().find(|a| a.sha256 == sha).unwrap();
    assert_eq!(a.kind, "other");
    assert_eq!(a.index_status, IndexStatus::NotSupported, "{}", a.index_message);
}

#[test]
fn a_pdf_named_pptx_is_recognised_and_the_mismatch_kept() {
    let (dir, store) = open();
    let case = store.create_case("Mismatch", Some("KIR")).unwrap();
    let path = copy_to(dir.path(), "three_pages.pdf", "slides.pptx");
    let a = store.import_attachment(case.id, &path).unwrap().attachment;
    assert_eq!(a.kind, "pdf");
    assert_eq!(a.kind_label, "PDF document");
    let note = a.extension_disagrees.unwrap();
    assert!(note.contains(".pptx") && note.contains("PDF"), "{note}");
}

fn complete_and_submit(store: &Store, id: i64) {
    for field in [CaseField::Summary, CaseField::Problem, CaseField::Solution, CaseField::Results] {
        store.set_field(id, field, "text").unwrap();
    }
    let link = LinkInput {
        framework: Framework::Mdg,
        target: "8.F".into(),
        indicator: None,
        note: "ICT".into(),
    };
    store.link_goal(id, &link).unwrap();
    store.set_status(id, CaseStatus::Queued).unwrap();
    store.record_submission(id, "sub-1").unwrap();
}

#[test]
fn only_a_draft_gets_or_loses_files_and_a_new_version_keeps_them() {
    let (dir, store) = open();
    let case = store.create_case("Sent", Some("LAO")).unwrap();
    let pdf = copy_to(dir.path(), "three_pages.pdf", "report.pdf");
    let sha = store.import_attachment(case.id, &pdf).unwrap().attachment.sha256;
    complete_and_submit(&store, case.id);

    let deck = copy_to(dir.path(), "order_notes_scripts.pptx", "deck.pptx");
    let err = store.import_attachment(case.id, &deck).unwrap_err();
    assert!(matches!(err, Error::CaseLocked { .. }), "{err:?}");
    let err = store.detach(case.id, &sha).unwrap_err();
    assert!(matches!(err, Error::CaseLocked { .. }), "{err:?}");
    assert_eq!(store.attachments(case.id).unwrap().len(), 1);
    assert_eq!(stored_files(&store).len(), 1, "nothing of the refused file was kept");

    let next = store.new_version(case.id).unwrap();
    let carried = store.attachments(next.id).unwrap();
    assert_eq!(carried.len(), 1);
    assert_eq!(carried[0].name, "report.pdf");
    store.detach(next.id, &sha).unwrap();
    assert_eq!(store.attachments(case.id).unwrap().len(), 1, "the sent version keeps it");
    assert_eq!(stored_files(&store).len(), 1);
}

fn assert_untouched(store: &Store, case_id: i64, kept: &str) {
    let list = store.attachments(case_id).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].sha256, kept);
    let tmp = store.dir().join("attachments/tmp");
    let leftovers: Vec<_> =
        std::fs::read_dir(&tmp).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "temporary copies left: {leftovers:?}");
    assert_eq!(stored_files(store).len(), 1, "{:?}", stored_files(store));
    assert!(store.check_files().unwrap().is_ok());
}

#[test]
fn an_empty_file_a_folder_and_a_fifo_are_refused_without_touching_the_case() {
    let (dir, store) = open();
    let case = store.create_case("Refusals", Some("BTN")).unwrap();
    let kept = copy_to(dir.path(), "three_pages.pdf", "kept.pdf");
    let kept = store.import_attachment(case.id, &kept).unwrap().attachment.sha256;

    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let err = store.import_attachment(case.id, &empty).unwrap_err();
    assert_eq!(err.code(), "empty_file", "{err:?}");
    assert!(err.to_string().contains("empty.pdf is empty"), "{err}");

    let folder = dir.path().join("slides.pptx");
    std::fs::create_dir(&folder).unwrap();
    let err = store.import_attachment(case.id, &folder).unwrap_err();
    assert_eq!(err.code(), "not_a_file", "{err:?}");

    // Opening a FIFO would block for ever: it must be refused before that.
    let fifo = dir.path().join("pipe.pdf");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let err = store.import_attachment(case.id, &fifo).unwrap_err();
    assert_eq!(err.code(), "not_a_file", "{err:?}");

    let gone = dir.path().join("gone.pdf");
    let err = store.import_attachment(case.id, &gone).unwrap_err();
    assert_eq!(err.code(), "file_unreadable", "{err:?}");
    assert!(err.to_string().contains("there is no such file"), "{err}");

    assert_untouched(&store, case.id, &kept);
}

#[test]
fn a_file_that_grows_or_vanishes_during_the_copy_is_refused() {
    let (dir, store) = open();
    let case = store.create_case("Changing", Some("LAO")).unwrap();
    let kept = copy_to(dir.path(), "three_pages.pdf", "kept.pdf");
    let kept = store.import_attachment(case.id, &kept).unwrap().attachment.sha256;

    for vanish in [false, true] {
        let path = dir.path().join(if vanish { "vanishing.bin" } else { "growing.bin" });
        std::fs::write(&path, vec![7u8; 64 << 20]).unwrap();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let meddler = {
            let (path, done) = (path.clone(), done.clone());
            std::thread::spawn(move || {
                use std::io::Write;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    if vanish {
                        let _ = std::fs::remove_file(&path);
                    } else if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&path) {
                        let _ = f.write_all(b"more");
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            })
        };
        let result = store.import_attachment(case.id, &path);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        meddler.join().unwrap();
        let err = result.unwrap_err();
        // A file deleted before it could even be opened is reported as unreadable instead.
        assert!(
            ["file_changed_while_attaching", "file_unreadable"].contains(&err.code()),
            "{err:?}"
        );
        assert_untouched(&store, case.id, &kept);
    }
}

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
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_disk_that_fills_during_import_leaves_nothing_half_written() {
    let disk = Tmpfs::mount("2m");
    let store = Store::open(&disk.path.join("data")).unwrap();
    let case = store.create_case("Full disk", Some("KIR")).unwrap();
    let src = tempfile::tempdir().unwrap();
    let kept = copy_to(src.path(), "three_pages.pdf", "kept.pdf");
    let kept = store.import_attachment(case.id, &kept).unwrap().attachment.sha256;

    let big = src.path().join("video.mp4");
    std::fs::write(&big, vec![1u8; 3 << 20]).unwrap();
    let err = store.import_attachment(case.id, &big).unwrap_err();
    assert_eq!(err.code(), "disk_full", "{err:?}");
    assert!(err.to_string().contains("Free some space"), "{err}");
    assert_untouched(&store, case.id, &kept);
}

#[test]
fn odd_names_are_kept_for_display_and_never_used_as_paths() {
    use std::os::unix::ffi::OsStrExt;
    let (dir, store) = open();
    let case = store.create_case("Names", Some("NPL")).unwrap();
    let latin1 = dir.path().join(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9 2024.pdf"));
    std::fs::copy(fixture("three_pages.pdf"), &latin1).unwrap();
    let a = store.import_attachment(case.id, &latin1).unwrap().attachment;
    assert_eq!(a.name, "r\u{FFFD}sum\u{FFFD} 2024.pdf");
    assert!(a.extension_disagrees.is_none());

    // 255 bytes is the most a Linux file name holds; 300 characters is tested on the name alone.
    let long = format!("{}.pptx", "n".repeat(250));
    let long_path = copy_to(dir.path(), "order_notes_scripts.pptx", &long);
    let a = store.import_attachment(case.id, &long_path).unwrap().attachment;
    assert!(a.name.chars().count() <= desk_core::attachment::MAX_NAME_CHARS);
    assert!(a.name.ends_with(".pptx"), "{}", a.name);
    let three_hundred = format!("{}\n../{}.pdf", "ລ".repeat(150), "ກ".repeat(146));
    let shown = display_name(std::ffi::OsStr::new(&three_hundred));
    assert!(shown.ends_with(".pdf") && !shown.contains('/') && !shown.contains('\n'), "{shown}");
    for file in stored_files(&store) {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(name.len(), 64, "stored by hash only: {name}");
    }
}

#[test]
fn a_name_disguised_with_direction_characters_is_stored_as_paks_accepts_it() {
    let (dir, store) = open();
    let case = store.create_case("Direction marks", Some("LAO")).unwrap();
    // "Budget <U+202E>fdp.exe" would show as "Budget exe.pdf": every direction control PAKS
    // refuses in a name (U+202E, an isolate, the Arabic letter mark) is dropped from it.
    let disguised = "Budget \u{202E}fdp.exe\u{2067}\u{061C}.pdf";
    let path = copy_to(dir.path(), "three_pages.pdf", disguised);
    let a = store.import_attachment(case.id, &path).unwrap().attachment;
    assert_eq!(a.name, "Budget fdp.exe.pdf");
    assert_eq!(paks_protocol::validate_file_name(&a.name), Ok(()), "PAKS takes the stored name");
    let listed = store.attachments(case.id).unwrap();
    assert_eq!(listed[0].name, "Budget fdp.exe.pdf", "the stored display name is the clean one");
}

#[test]
fn check_files_names_the_cases_of_missing_and_damaged_files() {
    let (dir, store) = open();
    let a = store.create_case("Case A", Some("LAO")).unwrap();
    let b = store.create_case("Case B", Some("THA")).unwrap();
    let pdf = copy_to(dir.path(), "three_pages.pdf", "report.pdf");
    let deck = copy_to(dir.path(), "order_notes_scripts.pptx", "deck.pptx");
    let pdf_sha = store.import_attachment(a.id, &pdf).unwrap().attachment.sha256;
    store.import_attachment(b.id, &pdf).unwrap();
    let deck_sha = store.import_attachment(b.id, &deck).unwrap().attachment.sha256;
    assert!(store.check_files().unwrap().is_ok());

    let blob = |sha: &str| store.dir().join("attachments/blobs").join(&sha[..2]).join(sha);
    let mut bytes = std::fs::read(blob(&pdf_sha)).unwrap();
    bytes[100] ^= 0xFF;
    std::fs::write(blob(&pdf_sha), bytes).unwrap();
    std::fs::remove_file(blob(&deck_sha)).unwrap();

    let check = store.check_files().unwrap();
    assert_eq!(check.checked, 2);
    assert_eq!(check.problems.len(), 2, "{check:?}");
    let damaged = check.problems.iter().find(|p| p.sha256 == pdf_sha).unwrap();
    assert_eq!(damaged.problem, ProblemKind::Damaged);
    let owners: Vec<(&str, &str)> =
        damaged.cases.iter().map(|o| (o.case_title.as_str(), o.name.as_str())).collect();
    assert_eq!(owners, [("Case A", "report.pdf"), ("Case B", "report.pdf")]);
    let missing = check.problems.iter().find(|p| p.sha256 == deck_sha).unwrap();
    assert_eq!(missing.problem, ProblemKind::Missing);
    assert_eq!(missing.cases[0].case_title, "Case B");

    // Attaching the same content again heals the missing file.
    store.detach(b.id, &deck_sha).unwrap();
    store.import_attachment(b.id, &deck).unwrap();
    assert_eq!(store.check_files().unwrap().problems.len(), 1);
}

#[test]
fn a_large_file_warns_with_the_upload_time() {
    let (dir, store) = open();
    let case = store.create_case("Large", Some("LAO")).unwrap();
    assert_eq!(store.large_file_threshold().unwrap(), 100_000_000);
    store.set_large_file_threshold(1_000).unwrap();
    let pdf = copy_to(dir.path(), "three_pages.pdf", "report.pdf");
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(size > 1_000, "fixture is {size} bytes");

    let unknown = store.import_attachment(case.id, &pdf).unwrap().large_file_warning.unwrap();
    assert_eq!(unknown.upload_seconds, None);
    store.detach(case.id, &unknown_sha(&store, case.id)).unwrap();

    store.record_upload_speed(100).unwrap();
    let warning = store.import_attachment(case.id, &pdf).unwrap().large_file_warning.unwrap();
    assert_eq!(warning.upload_seconds, Some(size.div_ceil(100)));
    assert!(warning.message.contains("At the last measured speed"), "{}", warning.message);
}

fn unknown_sha(store: &Store, case_id: i64) -> String {
    store.attachments(case_id).unwrap()[0].sha256.clone()
}

#[test]
fn a_file_is_read_by_ocr_in_the_scripts_of_the_cases_that_hold_it() {
    let (dir, store) = open();
    let lao = store.create_case("Lao decree", Some("LAO")).unwrap();
    let khmer = store.create_case("Khmer decree", Some("KHM")).unwrap();
    let fiji = store.create_case("Fiji form", Some("FJI")).unwrap();
    let scan = copy_to(dir.path(), "order_notes_scripts.pptx", "scan.pptx");
    let sha = store.import_attachment(lao.id, &scan).unwrap().attachment.sha256;
    assert_eq!(store.reading_limits(&sha).unwrap().ocr_languages, "lao+eng");
    store.import_attachment(khmer.id, &scan).unwrap();
    assert_eq!(store.reading_limits(&sha).unwrap().ocr_languages, "lao+khm+eng");

    let other = dir.path().join("form.txt");
    std::fs::write(&other, "a different file, so a different blob").unwrap();
    let fiji_sha = store.import_attachment(fiji.id, &other).unwrap().attachment.sha256;
    assert_eq!(store.reading_limits(&fiji_sha).unwrap().ocr_languages, "eng");
}

/// A scanned form as a picture: `text` set by `pango-view` at 300 dpi.
fn scanned_picture(dir: &Path, text: &str) -> PathBuf {
    let png = dir.join("photographed form.png");
    let out = Command::new("pango-view")
        .args(["--font=DejaVu Sans 14", "--dpi=300", "--margin=60", "--width=500", "-q", "-o"])
        .arg(&png)
        .arg(format!("--text={text}"))
        .output()
        .expect("this test needs pango-view (scripts/setup-debian.sh test installs it)");
    assert!(out.status.success(), "pango-view: {}", String::from_utf8_lossy(&out.stderr));
    png
}

#[test]
fn a_hit_in_a_page_read_by_ocr_says_it_was_read_from_the_scan() {
    let (dir, store) = open();
    let case = store.create_case("Fiji irrigation permits", Some("FJI")).unwrap();
    let picture =
        scanned_picture(dir.path(), "Irrigation permits register for the Western Division");
    let scan = store.import_attachment(case.id, &picture).unwrap().attachment.sha256;
    let text = copy_to(dir.path(), "three_pages.pdf", "strategy.pdf");
    let typed = store.import_attachment(case.id, &text).unwrap().attachment.sha256;
    for sha in [&scan, &typed] {
        let limits = store.reading_limits(sha).unwrap();
        store.index_attachment(sha, &worker(), &limits).unwrap();
    }

    let hits = store.search("irrigation", &desk_core::CaseFilter::default()).unwrap();
    let file_hit = hits
        .iter()
        .find(|h| matches!(&h.place, desk_core::HitPlace::File { sha256, .. } if *sha256 == scan))
        .unwrap_or_else(|| panic!("the scanned word is found: {hits:?}"));
    let desk_core::HitPlace::File { scan: Some(reading), unit, .. } = &file_hit.place else {
        panic!("the hit says OCR read it: {:?}", file_hit.place)
    };
    assert_eq!(*unit, 1);
    assert!(reading.confidence.is_some_and(|c| c > 50), "{reading:?}");
    assert_eq!(file_hit.place.describe(), "photographed form.png, page 1, read from the scan");

    let hits = store.search("participation", &desk_core::CaseFilter::default()).unwrap();
    let [typed_hit] = hits.as_slice() else { panic!("one hit in the typed PDF: {hits:?}") };
    assert!(
        matches!(&typed_hit.place, desk_core::HitPlace::File { sha256, scan: None, unit: 3, .. } if *sha256 == typed),
        "a page with a text layer is not labelled as a scan: {:?}",
        typed_hit.place
    );
}

#[test]
fn files_read_by_ocr_before_pages_were_recorded_are_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    {
        let conn = rusqlite::Connection::open(data.join("paks-desk.sqlite3")).unwrap();
        for sql in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_attachments_search.sql"),
            include_str!("../migrations/0003_rejected_status.sql"),
            include_str!("../migrations/0004_library.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!(
            "PRAGMA user_version = 4;
             INSERT INTO blobs (sha256, size, kind, index_status, engine, created_at)
             VALUES ('{}', 10, 'png', 'indexed', 'ocr', 1),
                    ('{}', 10, 'pdf', 'indexed', 'pdf-extract', 1);",
            "a".repeat(64),
            "b".repeat(64)
        ))
        .unwrap();
    }
    let store = Store::open(&data).unwrap();
    assert_eq!(
        store.pending_index().unwrap(),
        ["a".repeat(64)],
        "only the OCR'd file is read again"
    );
}

#[test]
fn a_scan_whose_reading_was_stopped_goes_on_from_the_pages_read_and_leaves_nothing_behind() {
    let (dir, store) = open();
    let case = store.create_case("Fiji water permits", Some("FJI")).unwrap();
    let mut pages = Vec::new();
    for (n, word) in [(1, "Alpha"), (2, "Bravo"), (3, "Charlie")] {
        let png = scanned_picture(dir.path(), &format!("Water permits register, sheet {word}"));
        let page = dir.path().join(format!("sheet {n}.png"));
        std::fs::rename(&png, &page).unwrap();
        pages.push(page);
    }
    let pdf = dir.path().join("register.pdf");
    let out = Command::new("img2pdf")
        .args(["--imgsize", "300dpix300dpi"])
        .args(&pages)
        .arg("-o")
        .arg(&pdf)
        .output()
        .expect("this test needs img2pdf (scripts/setup-debian.sh test installs it)");
    assert!(out.status.success(), "img2pdf: {}", String::from_utf8_lossy(&out.stderr));
    let sha = store.import_attachment(case.id, &pdf).unwrap().attachment.sha256;
    let limits = store.reading_limits(&sha).unwrap();

    // The app closed after the first page: the worker is stopped, the file still waits.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stopped = store
        .index_attachment_watched(&sha, &worker(), &limits, &stop, &mut |s| {
            if s.done >= 1 {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        })
        .unwrap();
    assert!(stopped.is_none());
    assert_eq!(store.pending_index().unwrap(), vec![sha.clone()]);
    let kept = dir.path().join("data").join("ocr-pages").join(&sha);
    assert!(kept.join("1.json").is_file(), "the page read before the stop is kept");

    let mut seen = Vec::new();
    let never = std::sync::atomic::AtomicBool::new(false);
    let read = store
        .index_attachment_watched(&sha, &worker(), &limits, &never, &mut |s| seen.push(s))
        .unwrap()
        .expect("read to the end");
    assert!(matches!(read.outcome, desk_extract::Outcome::OcrIndexed { ocr_pages: 3, .. }));
    assert!(!kept.exists(), "the kept pages are removed once the text is stored");
    for (word, page) in [("Alpha", 1), ("Charlie", 3)] {
        let hits = store.search(word, &desk_core::CaseFilter::default()).unwrap();
        assert!(
            hits.iter()
                .any(|h| matches!(h.place, desk_core::HitPlace::File { unit, .. } if unit == page)),
            "{word} on page {page}: {hits:?}"
        );
    }
}
