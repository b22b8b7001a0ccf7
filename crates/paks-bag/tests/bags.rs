#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.

mod support {
    pub mod bagit_py;
    pub mod draft_bag;
}

use std::path::{Path, PathBuf};

use paks_bag::{BagContents, ExportFile, Limits, Tags, open_bag, write_bag_file};
use support::bagit_py;
use support::draft_bag::Draft;

use support::draft_bag::{case_json, sha256};

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn info() -> Tags {
    Tags(vec![
        ("Source-Organization".into(), "Ministry of Technology and Communications".into()),
        ("Contact-Name".into(), "Souphanh K.".into()),
        ("Contact-Email".into(), "souphanh@mtc.gov.la".into()),
        ("External-Identifier".into(), "6f1c2a1e-3b7d-4c55-9a2e-0d4b8f1e7c21 v1".into()),
        ("PAKS-Idempotency-Key".into(), "7d0d3a52-9f1b-4c1e-8d1e-2b9b5b7e0a11".into()),
    ])
}

/// Exports a bag of the fixture case with three attachments, two of them named alike.
fn export(dir: &Path) -> (PathBuf, Vec<(u64, u64)>) {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let a = write_file(&src, "a", &vec![7u8; 3 * 1024 * 1024 + 11]);
    let b = write_file(&src, "b", "ລາຍງານ".as_bytes());
    let c = write_file(&src, "c", b"%PDF-1.4 another deck");
    let files = [
        ExportFile { name: "deck.pdf".into(), path: a },
        ExportFile { name: "ລາຍງານ 100%.txt".into(), path: b },
        ExportFile { name: "Deck.pdf".into(), path: c },
    ];
    let json = case_json();
    let contents = BagContents {
        root: "paks-case-6f1c2a1e-v1",
        case_json: &json,
        files: &files,
        info: info(),
    };
    let out = dir.join("case.zip");
    let mut calls = Vec::new();
    write_bag_file(&out, &contents, &mut |done, total| calls.push((done, total))).unwrap();
    (out, calls)
}

fn work_dir(dir: &Path) -> PathBuf {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    work
}

#[test]
fn an_exported_bag_reads_back_whole_with_progress_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (zip, calls) = export(dir.path());
    let total = case_json().len() as u64 + 3 * 1024 * 1024 + 11 + 18 + 21;
    assert_eq!(calls.first(), Some(&(0, total)), "progress starts at zero of the whole");
    assert_eq!(calls.last(), Some(&(total, total)), "progress ends at the whole");
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "progress never goes back");

    let bag = open_bag(&zip, &work_dir(dir.path()), &Limits::default()).unwrap();
    assert_eq!(bag.root, "paks-case-6f1c2a1e-v1");
    assert_eq!(bag.case.title, "Lao e-Government Portal for one-stop public services");
    assert_eq!(bag.idempotency_key(), Some("7d0d3a52-9f1b-4c1e-8d1e-2b9b5b7e0a11"));
    let names: Vec<&str> = bag.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["deck.pdf", "ລາຍງານ 100\u{ff05}.txt", "Deck (2).pdf"], "'%' is avoided");
    let third = std::fs::read(&bag.files[2].path).unwrap();
    assert_eq!(third, b"%PDF-1.4 another deck");
    assert_eq!(bag.files[0].sha256, sha256(&vec![7u8; 3 * 1024 * 1024 + 11]));
    assert_eq!(bag.info.get("Payload-Oxum"), Some(format!("{total}.4").as_str()));
    assert_eq!(bag.info.get("Contact-Email"), Some("souphanh@mtc.gov.la"));
    assert!(bag.info.get("Bagging-Date").is_some_and(|d| d.len() == 10));
    assert!(!dir.path().join("case.zip.partial").exists(), "no partial file is left");
}

#[test]
fn the_library_of_congress_bagit_tool_validates_our_bags() {
    let dir = tempfile::tempdir().unwrap();
    let (zip, _) = export(dir.path());
    let unzipped = dir.path().join("unzipped");
    bagit_py::unzip(&zip, &unzipped);
    let out = bagit_py::validate(&unzipped.join("paks-case-6f1c2a1e-v1"));
    assert!(out.contains("is valid"), "bagit.py says: {out}");

    // The tool must be able to say no: a flipped byte makes it fail.
    let deck = unzipped.join("paks-case-6f1c2a1e-v1/data/attachments/Deck (2).pdf");
    std::fs::write(&deck, b"%PDF-1.4 another deck!").unwrap();
    let status = std::process::Command::new(bagit_py::bagit_py())
        .arg("--validate")
        .arg(unzipped.join("paks-case-6f1c2a1e-v1"))
        .output()
        .unwrap();
    assert!(!status.status.success(), "bagit.py must refuse a changed file");
}

#[test]
fn a_bag_made_by_bagit_py_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("handmade");
    std::fs::create_dir_all(folder.join("attachments")).unwrap();
    std::fs::write(folder.join("case.json"), case_json()).unwrap();
    std::fs::write(folder.join("attachments/slides.pdf"), b"%PDF-1.4 slides").unwrap();
    bagit_py::make_bag(&folder);
    let zip = dir.path().join("handmade.zip");
    bagit_py::zip_dir(&folder, &zip);
    let bag = open_bag(&zip, &work_dir(dir.path()), &Limits::default()).unwrap();
    assert_eq!(bag.root, "handmade");
    assert_eq!(bag.files.len(), 1);
    assert_eq!(bag.files[0].name, "slides.pdf");
    assert_eq!(bag.files[0].sha256, sha256(b"%PDF-1.4 slides"));
    assert_eq!(bag.info.get("Contact-Name"), Some("Tashi D."));
    assert_eq!(bag.idempotency_key(), None);
}

// ---- bad bags -------------------------------------------------------------------------------

/// Opens a bad bag: returns the refusal and checks that the work folder holds nothing but
/// numbered payload files and that nothing appeared beside it.
fn refuse(zip: &Path) -> paks_bag::BagError {
    let base = zip.parent().unwrap();
    let before = listing(base);
    let work = base.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let err = open_bag(zip, &work, &Limits::default()).expect_err("a bad bag must be refused");
    for entry in std::fs::read_dir(&work).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name.starts_with("payload-"), "unexpected {name} in the work folder");
    }
    std::fs::remove_dir_all(&work).unwrap();
    assert_eq!(listing(base), before, "nothing may be written outside the work folder");
    assert!(err.is_bad_bag(), "{err}");
    err
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn bad(draft: &Draft) -> (tempfile::TempDir, paks_bag::BagError) {
    let dir = tempfile::tempdir().unwrap();
    let zip = draft.zip(&dir.path().join("bad.zip"));
    let err = refuse(&zip);
    (dir, err)
}

#[test]
fn the_valid_draft_is_accepted_so_each_refusal_below_is_its_one_fault() {
    let dir = tempfile::tempdir().unwrap();
    let zip = Draft::valid().zip(&dir.path().join("ok.zip"));
    let bag = open_bag(&zip, &work_dir(dir.path()), &Limits::default()).unwrap();
    assert_eq!(bag.files.len(), 1);
}

#[test]
fn a_missing_or_wrong_manifest_is_refused() {
    let (_d, err) = bad(Draft::valid().remove("manifest-sha256.txt"));
    assert_eq!(err.code(), "missing", "{err}");
    assert!(err.to_string().contains("manifest-sha256.txt"), "{err}");

    let mut md5 = Draft::valid();
    let text = md5.get("manifest-sha256.txt");
    md5.remove("manifest-sha256.txt").set("manifest-md5.txt", text);
    let (_d, err) = bad(&md5);
    assert_eq!(err.code(), "unsupported", "{err}");
    assert!(err.to_string().contains("md5"), "{err}");

    let mut wrong = Draft::valid();
    wrong.set(
        "manifest-sha256.txt",
        format!("{}  data/attachments/other.pdf\n", sha256(b"x")).into_bytes(),
    );
    let (_d, err) = bad(&wrong);
    assert_eq!(err.code(), "missing-file", "{err}");
    assert!(err.to_string().contains("other.pdf"), "{err}");

    let (_d, err) =
        bad(Draft::valid().set("manifest-sha256.txt", b"not a manifest line\n".to_vec()));
    assert_eq!(err.code(), "tag-syntax", "{err}");
}

#[test]
fn a_checksum_that_does_not_match_is_refused() {
    let (_d, err) = bad(Draft::valid().set("data/attachments/deck.pdf", b"%PDF-1.4 DECK".to_vec()));
    assert_eq!(err.code(), "checksum-mismatch", "{err}");
    assert!(err.to_string().contains("data/attachments/deck.pdf"), "{err}");
}

#[test]
fn a_file_not_in_the_manifest_is_refused() {
    let (_d, err) = bad(Draft::valid().set("data/attachments/extra.pdf", b"sneaked in".to_vec()));
    assert_eq!(err.code(), "not-in-manifest", "{err}");
    assert!(err.to_string().contains("extra.pdf"), "{err}");
}

#[test]
fn paths_escaping_the_bag_are_refused() {
    for name in ["../../escaped.txt", "/tmp/paks-bag-escaped.txt", "bag/data/../../../escaped.txt"]
    {
        let mut d = Draft::valid();
        d.push(name, b"owned".to_vec());
        let (dir, err) = bad(&d);
        assert_eq!(err.code(), "path-escapes", "{name}: {err}");
        assert!(err.to_string().contains("outside the bag"), "{err}");
        assert!(!dir.path().parent().unwrap().join("escaped.txt").exists());
    }
    assert!(!Path::new("/tmp/paks-bag-escaped.txt").exists());
}

#[test]
fn zip_bombs_are_refused_before_they_are_expanded() {
    // 64 MiB of zeros deflates about 1000 to 1.
    let (_d, err) =
        bad(Draft::valid().set("data/attachments/zeros.bin", vec![0u8; 64 << 20]).manifest());
    assert_eq!(err.code(), "compression-ratio", "{err}");

    // More than the whole bag may hold, by the sizes the zip declares.
    let dir = tempfile::tempdir().unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let zip = Draft::valid()
        .set("data/attachments/big.bin", noise)
        .manifest()
        .zip(&dir.path().join("big.zip"));
    let work = work_dir(dir.path());
    let limits = Limits { max_bag_bytes: 2 << 20, ..Limits::default() };
    let err = open_bag(&zip, &work, &limits).expect_err("over the cap");
    assert_eq!(err.code(), "too-large", "{err}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "nothing was extracted");
}

#[test]
fn many_small_entries_cannot_add_up_to_a_bomb() {
    let mut d = Draft::valid();
    for i in 0..100 {
        d.set(&format!("data/attachments/zeros-{i}.bin"), vec![0u8; 64 * 1024]);
    }
    let (_d, err) = bad(d.manifest());
    assert_eq!(err.code(), "compression-ratio", "{err}");
    assert!(err.to_string().contains("the bag would expand"), "{err}");

    let mut d = Draft::valid();
    for i in 0..20 {
        d.set(&format!("tag-{i}.txt"), vec![b'a'; 1024 * 1024]);
    }
    let (_d, err) = bad(&d);
    assert_eq!(err.code(), "too-large", "{err}");
    assert!(err.to_string().contains("the tag files together"), "{err}");
}

#[test]
fn an_entry_that_holds_more_than_its_header_declares_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = Draft::valid()
        .set("data/attachments/liar.bin", vec![b'x'; 4000])
        .manifest()
        .zip(&dir.path().join("liar.zip"));
    // Lower the declared size of liar.bin in the central directory from 4000 to 40.
    let mut bytes = std::fs::read(&path).unwrap();
    let name = b"bag/data/attachments/liar.bin";
    let central = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .find(|&i| bytes[i + 46..].starts_with(name))
        .unwrap();
    bytes[central + 24..central + 28].copy_from_slice(&40u32.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let err = refuse(&path);
    assert!(
        matches!(err.code(), "size-lies" | "not-a-zip"),
        "a lying size is caught, not trusted: {err}"
    );
}

#[test]
fn a_huge_bag_info_is_refused_by_its_declared_size() {
    let mut info = b"Contact-Name: T.\n".to_vec();
    info.extend(
        std::iter::repeat_n(b"X-Padding: abcdefghij\n".as_slice(), 100 * 1024 * 1024 / 22)
            .flatten(),
    );
    let (_d, err) = bad(Draft::valid().set("bag-info.txt", info));
    assert_eq!(err.code(), "too-large", "{err}");
    assert!(err.to_string().contains("bag-info.txt"), "{err}");
}

#[test]
fn names_that_are_not_utf8_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = Draft::valid()
        .set("data/attachments/QQ.pdf", b"x".to_vec())
        .manifest()
        .zip(&dir.path().join("latin1.zip"));
    let mut bytes = std::fs::read(&path).unwrap();
    let from = b"attachments/QQ.pdf";
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
        let start = at + i + "attachments/".len();
        bytes[start..start + 2].copy_from_slice(b"\xe9\xe8");
        at = start;
    }
    std::fs::write(&path, bytes).unwrap();
    let err = refuse(&path);
    assert_eq!(err.code(), "name-not-utf8", "{err}");
}

#[test]
fn a_case_json_of_the_wrong_schema_is_refused() {
    let mut case: serde_json::Value = serde_json::from_slice(&case_json()).unwrap();
    case["schema_version"] = 2.into();
    let (_d, err) =
        bad(Draft::valid().set("data/case.json", serde_json::to_vec(&case).unwrap()).manifest());
    assert_eq!(err.code(), "case-schema", "{err}");
    assert!(err.to_string().contains("schema_version is 2"), "{err}");

    let mut case: serde_json::Value = serde_json::from_slice(&case_json()).unwrap();
    case["colour"] = "blue".into();
    let (_d, err) =
        bad(Draft::valid().set("data/case.json", serde_json::to_vec(&case).unwrap()).manifest());
    assert!(err.to_string().contains("colour"), "{err}");

    let mut case: serde_json::Value = serde_json::from_slice(&case_json()).unwrap();
    case["country"] = "lao".into();
    let (_d, err) =
        bad(Draft::valid().set("data/case.json", serde_json::to_vec(&case).unwrap()).manifest());
    assert!(err.to_string().contains("/country"), "{err}");

    let (_d, err) = bad(Draft::valid().remove("data/case.json").manifest());
    assert_eq!(err.code(), "missing", "{err}");
}

#[test]
fn payload_outside_attachments_and_bad_declarations_are_refused() {
    let (_d, err) = bad(Draft::valid().set("data/notes/x.txt", b"x".to_vec()).manifest());
    assert_eq!(err.code(), "bad-entry", "{err}");
    let (_d, err) = bad(Draft::valid().remove("bagit.txt"));
    assert_eq!(err.code(), "missing", "{err}");
    let (_d, err) = bad(Draft::valid()
        .set("bagit.txt", b"BagIt-Version: 9\nTag-File-Character-Encoding: UTF-8\n".to_vec()));
    assert_eq!(err.code(), "unsupported", "{err}");
    let (_d, err) = bad(Draft::valid().set("bag-info.txt", b"Payload-Oxum: 1.1\n".to_vec()));
    assert_eq!(err.code(), "oxum-mismatch", "{err}");
}
