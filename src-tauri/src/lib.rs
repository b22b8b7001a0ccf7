//! PAKS Desk's desktop shell: opens the store, starts the sync worker, registers the commands
//! and plugins, runs the window.

#[macro_use]
mod command_list;
#[cfg(test)]
mod command_list_tests;

pub mod background_sync;
pub mod close_guard;
pub mod commands;
pub mod dropped_files;
pub mod error;
pub mod indexing;
pub mod library_sync;
pub mod logging;
pub mod notification_words;
pub mod outbox_view;
pub mod rendering;
pub mod startup_timing;
pub mod ui_events;
pub mod window_reveal;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use desk_core::Store;
use tauri::{Manager, RunEvent, WindowEvent};
use tauri_plugin_window_state::StateFlags;

use crate::background_sync::SyncState;
use crate::close_guard::CloseGuard;
use crate::commands::Startup;
use crate::dropped_files::DroppedFiles;
use crate::error::CommandError;

/// The name of every command the UI can invoke, from `command_list.rs`.
pub const COMMANDS: &[&str] = with_app_commands!(command_names);

macro_rules! handler {
    ($($($segment:ident)::+),+ $(,)?) => {
        tauri::generate_handler![$($($segment)::+),+]
    };
}

/// The folder of the store and its backups.
pub(crate) fn data_dir() -> Result<PathBuf, CommandError> {
    desk_core::store::default_data_dir().ok_or_else(|| {
        CommandError::new(
            "no_data_dir",
            "PAKS Desk could not find a folder for its data (no home folder?). \
             Set PAKS_DESK_DATA_DIR to a writable folder and start it again.",
        )
    })
}

fn open_store() -> Result<Store, CommandError> {
    let dir = data_dir()?;
    tracing::info!(dir = %dir.display(), "opening the store");
    Ok(Store::open(&dir)?)
}

/// Opens the store and starts what works on it; at launch, and again after a backup replaced a
/// store that could not open.
pub(crate) fn start(app: &tauri::AppHandle) -> Result<(), CommandError> {
    let store = Arc::new(open_store()?);
    if let Err(err) = Store::keep_daily_backups(&store) {
        tracing::warn!("the daily backups could not start: {err}");
    }
    let library = Arc::new(library_sync::LibrarySync::default());
    let sync = SyncState::start(app, store.clone(), library.clone())?;
    indexing::index_pending(app, &store);
    app.manage(store);
    app.manage(sync);
    app.manage(library);
    Ok(())
}

/// Runs the app; returns the process exit code.
pub fn run() -> ExitCode {
    startup_timing::note_launch();
    let result = tauri::Builder::default()
        // First, so a second launch only brings the running window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        // Size and place, not visibility: the window shows once its page loaded (window_reveal).
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        // Installs updates from bytes desk-sync downloaded and verified (commands::updates).
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|app| {
            logging::init(app.path().app_log_dir().ok().as_deref());
            rendering::configure(app.handle());
            window_reveal::show_at_the_latest(app.handle());
            app.manage(DroppedFiles::default());
            app.manage(indexing::Readings::default());
            app.manage(commands::publication::ExportedDocuments::default());
            app.manage(CloseGuard::new(app.handle().clone()));
            match start(app.handle()) {
                Ok(()) => app.manage(Startup::default()),
                // The window still opens and shows why; commands needing the store then fail.
                Err(err) => {
                    tracing::error!(code = %err.code, "could not start: {}", err.message);
                    app.manage(Startup::failed(err))
                }
            };
            Ok(())
        })
        .on_page_load(window_reveal::on_page_load)
        .on_window_event(|window, event| match event {
            WindowEvent::DragDrop(drop) => {
                window.state::<DroppedFiles>().on_event(window.app_handle(), drop);
            }
            WindowEvent::CloseRequested { api, .. } => {
                window.state::<CloseGuard>().on_close_requested(api);
            }
            _ => {}
        })
        .invoke_handler(with_app_commands!(handler))
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("PAKS Desk could not start: {err}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        // The process ends without dropping what the app holds: say the store closed cleanly
        // here, so the next launch can skip checking the whole file.
        if let RunEvent::Exit = event
            && let Some(store) = app.try_state::<Arc<Store>>()
        {
            store.record_clean_close();
        }
    });
    ExitCode::SUCCESS
}
