// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // This binary is also the text-extraction worker (see desk-extract): that comes first.
    if let Some(code) = desk_extract::run_worker_if_requested() {
        return code;
    }
    paks_desk::run()
}
