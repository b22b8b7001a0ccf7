//! Standalone worker, for hosts that would rather not re-execute themselves.

use std::process::ExitCode;

fn main() -> ExitCode {
    desk_extract::worker_main()
}
