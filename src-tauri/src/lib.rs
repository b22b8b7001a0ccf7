//! PAKS Desk's desktop shell: opens the store, registers the commands, runs the window.

pub mod commands;
pub mod error;

use desk_core::Store;
use tauri::Manager;
use tracing_subscriber::EnvFilter;

use crate::commands::Startup;
use crate::error::CommandError;

/// Logs go to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Fails only if a subscriber is already set (e.g. twice in one process); keep the first.
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn open_store() -> Result<Store, CommandError> {
    let dir = desk_core::store::default_data_dir().ok_or_else(|| {
        CommandError::new(
            "data_dir",
            "PAKS Desk could not find a folder for its data (no home folder?). \
             Set PAKS_DESK_DATA_DIR to a writable folder and start it again.",
        )
    })?;
    tracing::info!(dir = %dir.display(), "opening the store");
    Ok(Store::open(&dir)?)
}

/// Runs the app; returns the process exit code.
pub fn run() -> i32 {
    init_logging();
    let result = tauri::Builder::default()
        .setup(|app| {
            match open_store() {
                Ok(store) => {
                    app.manage(store);
                    app.manage(Startup(None));
                }
                // The window still opens and shows why; commands needing the store then fail.
                Err(err) => {
                    tracing::error!(code = %err.code, "could not open the store: {}", err.message);
                    app.manage(Startup(Some(err)));
                }
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_error,
            commands::profile::profile_get,
            commands::profile::profile_set,
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
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(err) => {
            tracing::error!("PAKS Desk stopped: {err}");
            1
        }
    }
}
