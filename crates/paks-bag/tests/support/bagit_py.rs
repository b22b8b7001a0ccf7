//! The Library of Congress `bagit` tool (PyPI `bagit` 1.8.1), the independent BagIt
#![allow(dead_code)] // Shared by the test crates of paks-bag, paks-server and desk-sync; each uses a part.
//! implementation the tests hold our bags against. `scripts/setup-debian.sh test` installs it in
//! `target/bagit-venv`; `PAKS_BAGIT_PY` may name another. A missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(dir.pop(), "no workspace root above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir
}

/// The `bagit.py` script.
pub fn bagit_py() -> PathBuf {
    if let Some(p) = std::env::var_os("PAKS_BAGIT_PY") {
        return PathBuf::from(p);
    }
    let venv = workspace_root().join("target/bagit-venv/bin/bagit.py");
    if venv.is_file() {
        return venv;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("bagit.py")).find(|f| f.is_file()));
    on_path.flatten().unwrap_or_else(|| {
        panic!(
            "bagit.py (Library of Congress bagit 1.8.1) is missing: run `scripts/setup-debian.sh test` \
             (it installs target/bagit-venv) or set PAKS_BAGIT_PY"
        )
    })
}

/// The Python beside `bagit.py` (its venv's), else `python3`.
fn python() -> PathBuf {
    let beside = bagit_py().with_file_name("python3");
    if beside.is_file() { beside } else { PathBuf::from("python3") }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Unzips with Python's zipfile (not our reader) into `dest`.
pub fn unzip(zip: &Path, dest: &Path) {
    run(Command::new(python()).args(["-m", "zipfile", "-e"]).arg(zip).arg(dest));
}

/// `bagit.py --validate DIR`; panics with the tool's output unless the bag is valid.
pub fn validate(bag_dir: &Path) -> String {
    run(Command::new(bagit_py()).arg("--validate").arg(bag_dir))
}

/// Turns `dir` into a bag in place with bagit.py (its default sha256 + sha512 manifests).
pub fn make_bag(dir: &Path) {
    run(Command::new(bagit_py())
        .args(["--contact-name", "Tashi D.", "--source-organization", "Ministry of ICT"])
        .arg(dir));
}

/// Zips `dir` (as a top-level folder of that name) with Python's zipfile.
pub fn zip_dir(dir: &Path, zip: &Path) {
    let parent = dir.parent().unwrap();
    let name = dir.file_name().unwrap();
    run(Command::new(python())
        .current_dir(parent)
        .args(["-m", "zipfile", "-c"])
        .arg(zip)
        .arg(name));
}
