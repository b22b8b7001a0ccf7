use std::path::{Path, PathBuf};
use std::sync::Arc;

use desk_core::{Attached, Attachment, Store};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::dropped_files::DroppedFiles;
use crate::error::{CommandError, CommandResult};
use crate::indexing::{Readings, index_in_background};

/// A case's files, with the last measured upload speed for the time estimates.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CaseFiles {
    pub attachments: Vec<Attachment>,
    pub upload_bytes_per_second: Option<u64>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_list(
    store: State<'_, Arc<Store>>,
    case_id: i64,
) -> CommandResult<CaseFiles> {
    Ok(CaseFiles {
        attachments: store.attachments(case_id)?,
        upload_bytes_per_second: store.last_upload_speed()?,
    })
}

/// Opens the native file dialog; attaches what the person picks (nothing if they cancel).
#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_pick(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    case_id: i64,
) -> CommandResult<Vec<Attached>> {
    let paths = picked_files(&app);
    attach_all(&app, &store, case_id, paths)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_add_dropped(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    drops: State<'_, DroppedFiles>,
    case_id: i64,
    drop_id: u64,
) -> CommandResult<Vec<Attached>> {
    let paths = drops.take(drop_id).ok_or_else(|| {
        CommandError::new("drop_expired", "Those files were already attached. Drop them again.")
    })?;
    attach_all(&app, &store, case_id, paths)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_remove(
    store: State<'_, Arc<Store>>,
    case_id: i64,
    sha256: String,
) -> CommandResult<()> {
    Ok(store.detach(case_id, &sha256)?)
}

/// Stops OCR of a file being read: its text layer is kept, its scanned pages stay unread.
/// False when the file is not being read (it finished first).
#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_stop_reading(
    readings: State<'_, Readings>,
    sha256: String,
) -> CommandResult<bool> {
    Ok(readings.stop(&sha256))
}

/// Opens a copy of the file in the program the system uses for its type.
#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_open(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    case_id: i64,
    sha256: String,
) -> CommandResult<()> {
    let dir = app.path().app_cache_dir().map_err(|e| {
        CommandError::new("no_cache_dir", e.to_string()).with("detail", e.to_string())
    })?;
    let copy = store.copy_for_viewing(case_id, &sha256, &dir.join("opened"))?;
    open_in_viewer(&copy)
}

/// Opens `path` in the program the system uses for its type.
pub(crate) fn open_in_viewer(path: &Path) -> CommandResult<()> {
    tauri_plugin_opener::open_path(path, None::<&str>).map_err(|e| {
        CommandError::new(
            "no_viewer",
            format!(
                "No program on this computer opens this file ({e}). It is at {}.",
                path.display()
            ),
        )
        .with("path", path)
    })
}

fn attach_all(
    app: &AppHandle,
    store: &Arc<Store>,
    case_id: i64,
    paths: Vec<PathBuf>,
) -> CommandResult<Vec<Attached>> {
    let mut attached = Vec::with_capacity(paths.len());
    for path in paths {
        let one = store.import_attachment(case_id, &path)?;
        if one.attachment.index_status == desk_core::IndexStatus::Pending {
            index_in_background(app.clone(), store.clone(), case_id, one.attachment.sha256.clone());
        }
        attached.push(one);
    }
    Ok(attached)
}

/// The native dialog, except in debug builds driven by the end-to-end tests, which cannot
/// click in a GTK dialog: there `PAKS_DESK_E2E_PICK` names the files (separated by newlines).
fn picked_files(app: &AppHandle) -> Vec<PathBuf> {
    #[cfg(debug_assertions)]
    if let Ok(list) = std::env::var("PAKS_DESK_E2E_PICK") {
        return list.lines().filter(|l| !l.is_empty()).map(PathBuf::from).collect();
    }
    app.dialog()
        .file()
        .set_title("Attach files to this case")
        .blocking_pick_files()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.into_path().ok())
        .collect()
}
