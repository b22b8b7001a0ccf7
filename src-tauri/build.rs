//! Declares every app command to Tauri's ACL, so that each one has an `allow-…` permission and
//! only the commands a capability lists can be invoked (see `capabilities/default.json`).

include!("src/command_list.rs");

const COMMANDS: &[&str] = with_app_commands!(command_names);

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        // A build script reports failure by exiting non-zero with its reason on stderr.
        eprintln!("tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
