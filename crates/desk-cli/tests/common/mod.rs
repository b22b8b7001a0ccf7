//! Running `paks-desk-cli` on a data folder, for the CLI's test files.

use std::path::Path;
use std::process::{Command, Output};

pub fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("PAKS_DESK_DATA_DIR")
        .output()
        .expect("run paks-desk-cli")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let out = cli(data, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
