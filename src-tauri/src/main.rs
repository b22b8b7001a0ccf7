// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // This binary is also the text-extraction worker (see desk-extract): that comes first.
    if let Some(code) = desk_extract::run_worker_if_requested() {
        return code;
    }
    // SAFETY: nothing has started a thread yet; GTK and WebKit start in `run`.
    #[allow(unsafe_code)]
    unsafe {
        paks_desk::rendering::prepare_environment()
    };
    paks_desk::run()
}
