//! The bodies of paks-bag's fuzz targets, shared by cargo-fuzz (`fuzz/fuzz_targets/`) and the
//! stable tests (`tests/fuzz_bag.rs`). See docs/fuzzing.md.

use std::path::Path;

use sha2::Digest;

use crate::{Limits, open_bag, parse_case};

/// A bag as the app and the server open it: the input is a zip, or parts zipped by
/// [`stable_fuzz::parts`]. `scratch` is an empty folder of the caller's, left empty again.
/// A bag is opened or refused with a typed error that blames the bag, and nothing lands
/// outside the work folder but numbered files whose size and SHA-256 are the ones reported.
pub fn bag(data: &[u8], scratch: &Path) {
    let zip_path = scratch.join("bag.zip");
    let work = scratch.join("work");
    if let Err(e) = std::fs::write(&zip_path, stable_fuzz::parts::zip_for_input(data))
        .and_then(|()| std::fs::create_dir(&work))
    {
        panic!("cannot prepare the scratch folder {}: {e}", scratch.display());
    }
    let limits = Limits { max_tag_file: 64 * 1024, max_case_json: 256 * 1024, ..Limits::default() };
    match open_bag(&zip_path, &work, &limits) {
        Ok(bag) => {
            assert!(bag.case.validate().is_ok(), "an opened bag's case breaks the rules");
            for file in &bag.files {
                assert_eq!(
                    file.path.parent(),
                    Some(work.as_path()),
                    "a payload file left the work folder"
                );
                let bytes = match std::fs::read(&file.path) {
                    Ok(bytes) => bytes,
                    Err(e) => panic!("the payload file {} is not there: {e}", file.path.display()),
                };
                assert_eq!(bytes.len() as u64, file.size, "{}: size", file.name);
                assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), file.sha256, "{}", file.name);
            }
        }
        Err(e) => {
            assert!(e.is_bad_bag(), "a bad bag blamed on the machine: {e} ({})", e.code());
            assert!(!e.to_string().is_empty());
        }
    }
    let written: Vec<String> = std::fs::read_dir(&work)
        .map(|entries| {
            entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
        })
        .unwrap_or_default();
    assert!(
        written
            .iter()
            .all(|n| n.strip_prefix("payload-").is_some_and(|i| i.parse::<usize>().is_ok())),
        "the work folder holds {written:?}"
    );
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_file(&zip_path);
    let left: Vec<_> = std::fs::read_dir(scratch)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "opening the bag wrote outside its work folder: {left:?}");
}

/// `data/case.json` of a bag: parsed and checked by the submission rules, or refused with
/// `case-schema`; a case that passes passes again once written back.
pub fn case_json(data: &[u8]) {
    match parse_case(data) {
        Ok(case) => {
            let written = match serde_json::to_vec(&case) {
                Ok(written) => written,
                Err(e) => panic!("an accepted case cannot be written back: {e}"),
            };
            match parse_case(&written) {
                Ok(again) => assert_eq!(again, case, "the case changed through a write and a read"),
                Err(e) => panic!("an accepted case, written back, is refused: {e}"),
            }
        }
        Err(e) => assert_eq!(e.code(), "case-schema", "{e}"),
    }
}
