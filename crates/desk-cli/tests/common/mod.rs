//! Running `paks-desk-cli` on a data folder, for the CLI's test files.
#![allow(dead_code)] // Each test file uses a part of it.

use std::path::Path;
use std::process::{Command, Output};

fn command(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paks-desk-cli"));
    command.arg("--data").arg(data).args(args).env_remove("PAKS_DESK_DATA_DIR");
    command
}

pub fn cli(data: &Path, args: &[&str]) -> Output {
    command(data, args).output().expect("run paks-desk-cli")
}

fn succeeded(args: &[&str], out: Output) -> String {
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    succeeded(args, cli(data, args))
}

/// As `ok`, for a desk connected to a PAKS: no token from the environment, and the token kept
/// in the data folder rather than the OS keyring.
pub fn ok_without_keyring(data: &Path, args: &[&str]) -> String {
    let out = command(data, args)
        .env_remove("PAKS_TOKEN")
        .env("PAKS_DESK_KEYRING", "off")
        .output()
        .expect("run paks-desk-cli");
    succeeded(args, out)
}
