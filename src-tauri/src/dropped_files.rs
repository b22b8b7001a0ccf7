//! Files dropped on the window. The UI never sees their paths: it gets an id and the names, and
//! attaches by id, so the web side cannot name an arbitrary file to read.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tauri::{AppHandle, DragDropEvent, Emitter};

use crate::ui_events::{self, FilesDropped};

#[derive(Default)]
pub struct DroppedFiles {
    next: AtomicU64,
    drops: Mutex<HashMap<u64, Vec<PathBuf>>>,
}

impl DroppedFiles {
    /// Takes the paths of a drop; each drop can be used once.
    pub fn take(&self, drop_id: u64) -> Option<Vec<PathBuf>> {
        self.drops.lock().ok()?.remove(&drop_id)
    }

    pub fn on_event(&self, app: &AppHandle, event: &DragDropEvent) {
        let DragDropEvent::Drop { paths, .. } = event else { return };
        if paths.is_empty() {
            return;
        }
        let drop_id = self.next.fetch_add(1, Ordering::Relaxed);
        let names = paths
            .iter()
            .map(|p| desk_core::attachment::display_name(p.file_name().unwrap_or_default()))
            .collect();
        if let Ok(mut drops) = self.drops.lock() {
            drops.insert(drop_id, paths.clone());
        }
        if let Err(err) = app.emit(ui_events::FILES_DROPPED, FilesDropped { drop_id, names }) {
            tracing::warn!("could not tell the window about dropped files: {err}");
        }
    }
}
