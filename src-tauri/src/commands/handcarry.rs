//! Hand-carry: a case as a BagIt zip for a USB stick, and a colleague's bag opened as a new draft.

use std::path::PathBuf;
use std::sync::Arc;

use desk_core::Store;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::background_sync::SyncState;
use crate::error::{CommandError, CommandResult};
use crate::ui_events::{self, BagProgress};

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BagWritten {
    pub path: String,
    pub payload_bytes: u64,
    pub attachments: usize,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BagOpened {
    pub case_id: i64,
    pub attachments: usize,
    pub warnings: Vec<String>,
}

/// A bag exported of a case version, and whether PAKS has said it received it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CarriedBag {
    pub version: i64,
    /// Milliseconds since the epoch.
    pub exported_at: i64,
    /// The receipt's submission id once PAKS has the bag.
    pub submission_id: Option<String>,
    /// What taking the receipt in did, in words for the person.
    pub outcome: Option<String>,
    /// How often PAKS was asked and had nothing yet.
    pub checks: u32,
    /// Why PAKS could not be asked last time.
    pub last_error: Option<String>,
}

/// The bags exported of a case, newest version first.
#[tauri::command(rename_all = "snake_case")]
pub fn case_bags(sync: State<'_, SyncState>, id: i64) -> CommandResult<Vec<CarriedBag>> {
    let bags = sync.outbox.hand_carried_of_case(id)?;
    Ok(bags
        .into_iter()
        .map(|b| CarriedBag {
            version: b.case_version,
            exported_at: b.exported_at,
            submission_id: b.submission_id,
            outcome: b.outcome,
            checks: b.checks,
            last_error: b.last_error,
        })
        .collect())
}

/// Asks where to save, then writes the bag with progress events. `None` if the person cancels.
#[tauri::command(rename_all = "snake_case")]
pub async fn case_export_bag(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    id: i64,
) -> CommandResult<Option<BagWritten>> {
    let Some(out) = save_path(&app) else { return Ok(None) };
    let (store, outbox) = (store.inner().clone(), sync.outbox.clone());
    let written = tauri::async_runtime::spawn_blocking(move || {
        let mut progress = |done: u64, total: u64| {
            let _ = app.emit(ui_events::BAG_PROGRESS, BagProgress { case_id: id, done, total });
        };
        desk_sync::handcarry::export_bag(&store, &outbox, id, &out, &mut progress).map(|bag| {
            BagWritten {
                path: out.display().to_string(),
                payload_bytes: bag.payload_bytes,
                attachments: bag.attachments,
            }
        })
    })
    .await
    .map_err(|e| CommandError::new("task_failed", e.to_string()).with("detail", e.to_string()))??;
    Ok(Some(written))
}

/// Asks for a bag, validates it and opens it as a new draft. `None` if the person cancels.
#[tauri::command(rename_all = "snake_case")]
pub async fn bag_open(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
) -> CommandResult<Option<BagOpened>> {
    let Some(bag) = open_path(&app) else { return Ok(None) };
    let store = store.inner().clone();
    let opened =
        tauri::async_runtime::spawn_blocking(move || desk_sync::handcarry::open_bag(&store, &bag))
            .await
            .map_err(|e| {
                CommandError::new("task_failed", e.to_string()).with("detail", e.to_string())
            })??;
    Ok(Some(BagOpened {
        case_id: opened.case_id,
        attachments: opened.attachments,
        warnings: opened.warnings,
    }))
}

/// The native dialogs, except in debug builds driven by the end-to-end tests (which cannot
/// click in a GTK dialog): there `PAKS_DESK_E2E_SAVE_BAG` / `PAKS_DESK_E2E_OPEN_BAG` name the file.
fn save_path(app: &AppHandle) -> Option<PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("PAKS_DESK_E2E_SAVE_BAG") {
        return Some(PathBuf::from(path));
    }
    app.dialog()
        .file()
        .set_title("Save the case for hand-carrying")
        .add_filter("BagIt zip", &["zip"])
        .set_file_name("case-bag.zip")
        .blocking_save_file()
        .and_then(|f| f.into_path().ok())
}

fn open_path(app: &AppHandle) -> Option<PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("PAKS_DESK_E2E_OPEN_BAG") {
        return Some(PathBuf::from(path));
    }
    app.dialog()
        .file()
        .set_title("Open a case bag")
        .add_filter("BagIt zip", &["zip"])
        .blocking_pick_file()
        .and_then(|f| f.into_path().ok())
}
