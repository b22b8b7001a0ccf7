#![no_main]

use std::sync::OnceLock;

/// A scratch folder in memory when the machine has one: every input writes a zip and a folder.
fn scratch() -> &'static tempfile::TempDir {
    static SCRATCH: OnceLock<tempfile::TempDir> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        dir.unwrap_or_else(|e| panic!("no scratch folder: {e}"))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| paks_bag::fuzzing::bag(data, scratch().path()));
