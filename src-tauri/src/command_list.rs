// Every command the UI can invoke: the one list that feeds `tauri::generate_handler!` (lib.rs),
// the ACL manifest in build.rs (which `include!`s this file) and `COMMANDS`, which tests compare
// with `capabilities/default.json` and `ui/src/lib/ipc.ts`. A command's name is its function's.
//
// A new command: its function in `commands/`, its path here, `allow-<name-with-dashes>` in the
// capability and its call in ipc.ts; `command_list_tests.rs` fails when either of the last two is
// forgotten.
//
// `with_app_commands!(callback)` calls `callback! { path, path, … }`.
macro_rules! with_app_commands {
    ($callback:ident) => {
        $callback! {
            commands::startup_error,
            commands::backups::backup_list,
            commands::backups::backup_restore,
            commands::profile::profile_get,
            commands::profile::profile_set,
            commands::profile::ui_locale_set,
            commands::profile::system_locales,
            commands::cases::case_list,
            commands::cases::case_create,
            commands::cases::case_get,
            commands::cases::case_set_field,
            commands::cases::case_link_goal,
            commands::cases::case_unlink_goal,
            commands::cases::case_missing,
            commands::cases::case_suggested_sdg,
            commands::catalog::catalog_fields,
            commands::catalog::catalog_mdg,
            commands::catalog::catalog_sdg,
            commands::catalog::catalog_countries,
            commands::catalog::catalog_crosswalk_notice,
            commands::revisions::revision_list,
            commands::revisions::revision_restore,
            commands::attachments::attachment_list,
            commands::attachments::attachment_pick,
            commands::attachments::attachment_add_dropped,
            commands::attachments::attachment_remove,
            commands::attachments::attachment_open,
            commands::attachments::attachment_stop_reading,
            commands::search::search,
            commands::library::library_sync,
            commands::library::library_state,
            commands::library::library_search,
            commands::library::library_case,
            commands::library::library_like,
            commands::library::library_open_file,
            commands::library::library_storage_cap_set,
            commands::sync::sync_settings_get,
            commands::sync::sync_settings_set,
            commands::sync::sync_connect,
            commands::sync::sync_connectivity,
            commands::sync::sync_now,
            commands::sync::case_submit,
            commands::sync::case_new_version,
            commands::sync::outbox_list,
            commands::sync::outbox_retry,
            commands::sync::outbox_cancel,
            commands::window::window_close_ready,
            commands::window::startup_list_shown,
            commands::handcarry::case_export_bag,
            commands::handcarry::bag_open,
            commands::handcarry::case_bags,
            commands::publication::case_export_document,
            commands::publication::case_document_open,
            commands::updates::update_check,
            commands::updates::update_download,
            commands::updates::update_install,
        }
    };
}

/// The commands' names (each path's last segment), as `&[&str]`.
macro_rules! command_names {
    ($($($segment:ident)::+),+ $(,)?) => {
        &[$(command_name!($($segment)::+)),+]
    };
}

macro_rules! command_name {
    ($name:ident) => {
        stringify!($name)
    };
    ($module:ident :: $($rest:tt)+) => {
        command_name!($($rest)+)
    };
}
