//! Declares every app command to Tauri's ACL, so that each one has an `allow-…` permission and
//! only the commands a capability lists can be invoked (see `capabilities/default.json`).

/// Keep in step with `tauri::generate_handler!` in `src/lib.rs`; a command missing here cannot be
/// invoked, and one listed here but not in a capability is refused.
const COMMANDS: &[&str] = &[
    "startup_error",
    "backup_list",
    "backup_restore",
    "profile_get",
    "profile_set",
    "case_list",
    "case_create",
    "case_get",
    "case_set_field",
    "case_link_goal",
    "case_unlink_goal",
    "case_missing",
    "case_suggested_sdg",
    "catalog_fields",
    "catalog_mdg",
    "catalog_sdg",
    "catalog_countries",
    "catalog_crosswalk_notice",
    "revision_list",
    "revision_restore",
    "attachment_list",
    "attachment_pick",
    "attachment_add_dropped",
    "attachment_remove",
    "attachment_open",
    "search",
    "sync_settings_get",
    "sync_settings_set",
    "sync_connect",
    "sync_connectivity",
    "sync_now",
    "case_submit",
    "case_new_version",
    "outbox_list",
    "outbox_retry",
    "outbox_cancel",
    "window_close_ready",
    "startup_list_shown",
    "case_export_bag",
    "bag_open",
    "case_bags",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        // A build script reports failure by exiting non-zero with its reason on stderr.
        eprintln!("tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
