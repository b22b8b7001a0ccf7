//! "Export as Word / PDF": a case as a document for the focal point's ministry, and opening the
//! document written.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use desk_core::Store;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::background_sync::SyncState;
use crate::error::{CommandError, CommandResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DocumentFormat {
    Pdf,
    Docx,
}

impl DocumentFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DocumentWritten {
    pub path: String,
    pub bytes: u64,
    /// Characters no font on this computer shows (they print as empty boxes); empty if none.
    pub characters_without_font: String,
}

/// The documents this run of the app wrote: the only files `case_document_open` opens, so the
/// web side cannot have any other file opened.
#[derive(Default)]
pub struct ExportedDocuments(Mutex<HashSet<PathBuf>>);

impl ExportedDocuments {
    fn add(&self, path: PathBuf) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(path);
    }

    fn contains(&self, path: &Path) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(path)
    }
}

/// Asks where to save (the dialog titled `title`, in the UI's language), then writes the case
/// there off the UI thread (typesetting takes seconds). `None` if the person cancels.
#[tauri::command(rename_all = "snake_case")]
pub async fn case_export_document(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    exported: State<'_, ExportedDocuments>,
    id: i64,
    format: DocumentFormat,
    title: String,
) -> CommandResult<Option<DocumentWritten>> {
    let Some(chosen) = save_path(&app, format, &title) else { return Ok(None) };
    let out = if chosen.extension().is_none() {
        chosen.with_extension(format.extension())
    } else {
        chosen
    };
    let (store, outbox) = (store.inner().clone(), sync.outbox.clone());
    let written = tauri::async_runtime::spawn_blocking(move || {
        desk_sync::publication::export_case_document(&store, &outbox, id, &out)
    })
    .await
    .map_err(|e| CommandError::new("task_failed", e.to_string()).with("detail", e.to_string()))??;
    exported.add(written.path.clone());
    Ok(Some(DocumentWritten {
        path: written.path.display().to_string(),
        bytes: written.bytes,
        characters_without_font: written.characters_without_font.into_iter().collect(),
    }))
}

/// Opens a document `case_export_document` wrote in the program the system uses for it.
#[tauri::command(rename_all = "snake_case")]
pub async fn case_document_open(
    exported: State<'_, ExportedDocuments>,
    path: String,
) -> CommandResult<()> {
    let path = PathBuf::from(path);
    if !exported.contains(&path) {
        return Err(CommandError::new(
            "document_not_exported",
            format!("{} was not exported by PAKS Desk in this session.", path.display()),
        )
        .with("path", path.as_path()));
    }
    tauri_plugin_opener::open_path(&path, None::<&str>).map_err(|e| {
        CommandError::new(
            "no_viewer",
            format!(
                "No program on this computer opens this file ({e}). It is at {}.",
                path.display()
            ),
        )
        .with("path", path.as_path())
    })
}

/// The native dialog, except in debug builds driven by the end-to-end tests (which cannot click
/// in a GTK dialog): there `PAKS_DESK_E2E_SAVE_DOCUMENT` names the file, without its extension.
fn save_path(app: &AppHandle, format: DocumentFormat, title: &str) -> Option<PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("PAKS_DESK_E2E_SAVE_DOCUMENT") {
        return Some(PathBuf::from(path).with_extension(format.extension()));
    }
    let kind = match format {
        DocumentFormat::Pdf => "PDF",
        DocumentFormat::Docx => "Word",
    };
    app.dialog()
        .file()
        .set_title(title.chars().take(200).collect::<String>())
        .add_filter(kind, &[format.extension()])
        .set_file_name(format!("case.{}", format.extension()))
        .blocking_save_file()
        .and_then(|f| f.into_path().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_document_written_in_this_session_is_opened() {
        let exported = ExportedDocuments::default();
        exported.add(PathBuf::from("/home/souk/case.pdf"));
        assert!(exported.contains(Path::new("/home/souk/case.pdf")));
        assert!(!exported.contains(Path::new("/home/souk/.bashrc")));
    }
}
