//! The Library screen: the region's published cases, synced from PAKS and read offline.

use std::sync::Arc;

use desk_core::{LibraryCase, LibraryFilter, LibraryHit, LibraryState, LikeCase, Store};
use desk_sync::library::{DOWNLOAD_WHILE_WAITING, open_library_file, public_client};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::{CommandError, CommandResult};
use crate::library_sync::LibrarySync;
use crate::ui_events::{self, LibraryFileProgress};

/// Reads what PAKS published, changed or withdrew since the last sync, then the text of the
/// published files not read yet ("Sync now").
#[tauri::command(rename_all = "snake_case")]
pub async fn library_sync(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    library: State<'_, Arc<LibrarySync>>,
) -> CommandResult<LibraryState> {
    library.run(&app, &store).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn library_state(store: State<'_, Arc<Store>>) -> CommandResult<LibraryState> {
    Ok(store.library_state()?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn library_search(
    store: State<'_, Arc<Store>>,
    text: String,
    filter: Option<LibraryFilter>,
) -> CommandResult<Vec<LibraryHit>> {
    Ok(store.search_library(&text, &filter.unwrap_or_default())?)
}

/// A published case by its case uid.
#[tauri::command(rename_all = "snake_case")]
pub async fn library_case(store: State<'_, Arc<Store>>, id: String) -> CommandResult<LibraryCase> {
    Ok(store.library_case(&id)?)
}

/// Published cases like the user's case `case_id`.
#[tauri::command(rename_all = "snake_case")]
pub async fn library_like(
    store: State<'_, Arc<Store>>,
    case_id: i64,
) -> CommandResult<Vec<LikeCase>> {
    Ok(store.library_like(case_id, 10)?)
}

/// Downloads a published file if it is not here (resuming a cut download; progress as
/// `library-file-progress` events) and opens a copy under its published name in the program the
/// system uses for its type.
#[tauri::command(rename_all = "snake_case")]
pub async fn library_open_file(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    id: String,
    position: u32,
) -> CommandResult<()> {
    let file = store.library_file(&id, &position.to_string())?;
    let (client, _) = public_client(&store)?;
    let mut shown_percent = None;
    let on_bytes = |done: u64| {
        let percent = done.saturating_mul(100).checked_div(file.size).unwrap_or(100);
        if shown_percent.replace(percent) != Some(percent) {
            let progress =
                LibraryFileProgress { case_uid: id.clone(), position, done, total: file.size };
            if let Err(err) = app.emit(ui_events::LIBRARY_FILE_PROGRESS, progress) {
                tracing::warn!("could not tell the window how the download goes: {err}");
            }
        }
    };
    open_library_file(&store, &client, &file, &DOWNLOAD_WHILE_WAITING, on_bytes).await?;
    let dir = app.path().app_cache_dir().map_err(|e| {
        CommandError::new("no_cache_dir", e.to_string()).with("detail", e.to_string())
    })?;
    let copy = store.library_copy_for_viewing(&file, &dir.join("opened").join("library"))?;
    crate::commands::attachments::open_in_viewer(&copy)
}

/// Sets the most disk (MB) opened library files may take; over it the least recently opened
/// leave the disk at once.
#[tauri::command(rename_all = "snake_case")]
pub async fn library_storage_cap_set(
    store: State<'_, Arc<Store>>,
    megabytes: u64,
) -> CommandResult<LibraryState> {
    store.set_library_storage_cap_mb(megabytes)?;
    Ok(store.library_state()?)
}
