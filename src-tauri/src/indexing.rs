//! Reading an attached file's text happens after attaching returns, in the isolated extraction
//! worker (a child process of this same binary), so the window never waits on a large PDF.

use std::sync::{Arc, Mutex};

use desk_core::Store;
use desk_extract::WorkerCommand;
use tauri::{AppHandle, Emitter};

use crate::ui_events::{self, AttachmentIndexed};

/// One document is read at a time: a drop of twenty files, or many left pending at launch, must
/// not start twenty extraction workers (each may use its whole memory limit) at once.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn index_in_background(app: AppHandle, store: Arc<Store>, case_id: i64, sha256: String) {
    tauri::async_runtime::spawn_blocking(move || {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let outcome = WorkerCommand::current_exe().map_err(|e| e.to_string()).and_then(|worker| {
            let limits = store.reading_limits(&sha256).map_err(|e| e.to_string())?;
            store.index_attachment(&sha256, &worker, &limits).map_err(|e| e.to_string())
        });
        if let Err(err) = outcome {
            // The attachment stays "waiting to be read" and is tried again at the next launch.
            tracing::warn!(sha256, "could not read the file's text: {err}");
        }
        if let Err(err) =
            app.emit(ui_events::ATTACHMENT_INDEXED, AttachmentIndexed { case_id, sha256 })
        {
            tracing::warn!("could not tell the window: {err}");
        }
    });
}

/// Files attached but never read (the app was closed first) are read now.
pub fn index_pending(app: &AppHandle, store: &Arc<Store>) {
    match store.pending_index() {
        Ok(pending) => {
            for sha256 in pending {
                index_in_background(app.clone(), store.clone(), 0, sha256);
            }
        }
        Err(err) => tracing::warn!("could not list files waiting to be read: {err}"),
    }
}
