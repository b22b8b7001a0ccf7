//! Reading an attached file's text happens after attaching returns, in the isolated extraction
//! worker (a child process of this same binary), so the window never waits on a large PDF.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use desk_core::Store;
use desk_extract::{Limits, OcrStatus, WorkerCommand};
use tauri::{AppHandle, Emitter, Manager};

use crate::ui_events::{self, AttachmentIndexed, AttachmentReading};

/// One document is read at a time: a drop of twenty files, or many left pending at launch, must
/// not start twenty extraction workers (each may use its whole memory limit) at once.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The files waiting or being read, each with the flag that stops its OCR and how many
/// readings of it are queued (the same file attached to two cases is read twice).
#[derive(Default)]
pub struct Readings(Mutex<HashMap<String, (Arc<AtomicBool>, usize)>>);

impl Readings {
    fn begin(&self, sha256: &str) -> Arc<AtomicBool> {
        let mut readings = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (stop, queued) = readings.entry(sha256.to_owned()).or_default();
        *queued += 1;
        stop.clone()
    }

    fn end(&self, sha256: &str) {
        let mut readings = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, queued)) = readings.get_mut(sha256) {
            *queued = queued.saturating_sub(1);
            if *queued == 0 {
                readings.remove(sha256);
            }
        }
    }

    /// Stops OCR of `sha256`; false when it is not being read.
    pub fn stop(&self, sha256: &str) -> bool {
        let readings = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        readings.get(sha256).map(|(stop, _)| stop.store(true, Ordering::SeqCst)).is_some()
    }
}

pub fn index_in_background(app: AppHandle, store: Arc<Store>, case_id: i64, sha256: String) {
    let stop = app.state::<Readings>().begin(&sha256);
    tauri::async_runtime::spawn_blocking(move || {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(err) = read_text(&app, &store, &sha256, &stop) {
            // The attachment stays "waiting to be read" and is tried again at the next launch.
            tracing::warn!(sha256, "could not read the file's text: {err}");
        }
        app.state::<Readings>().end(&sha256);
        if let Err(err) =
            app.emit(ui_events::ATTACHMENT_INDEXED, AttachmentIndexed { case_id, sha256 })
        {
            tracing::warn!("could not tell the window: {err}");
        }
    });
}

/// Reads `sha256`, telling the window how far OCR is. Stopped by the person, the file keeps
/// what its text layer gives and its scanned pages stay unread.
fn read_text(
    app: &AppHandle,
    store: &Store,
    sha256: &str,
    stop: &AtomicBool,
) -> Result<(), String> {
    let worker = WorkerCommand::current_exe().map_err(|e| e.to_string())?;
    let limits = store.reading_limits(sha256).map_err(|e| e.to_string())?;
    let mut on_ocr = |status: OcrStatus| {
        let reading =
            AttachmentReading { sha256: sha256.to_owned(), done: status.done, total: status.total };
        if let Err(err) = app.emit(ui_events::ATTACHMENT_READING, reading) {
            tracing::warn!("could not tell the window: {err}");
        }
    };
    let read = store
        .index_attachment_watched(sha256, &worker, &limits, stop, &mut on_ocr)
        .map_err(|e| e.to_string())?;
    if read.is_none() {
        let without_ocr = Limits { ocr_languages: String::new(), ..limits };
        store.index_attachment(sha256, &worker, &without_ocr).map_err(|e| e.to_string())?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_queued_twice_can_be_stopped_until_its_last_reading_ends() {
        let readings = Readings::default();
        let first = readings.begin("ab");
        let second = readings.begin("ab");
        readings.end("ab");
        assert!(readings.stop("ab"), "the second reading is still queued");
        assert!(first.load(Ordering::SeqCst) && second.load(Ordering::SeqCst));
        readings.end("ab");
        assert!(!readings.stop("ab"), "nothing is being read any more");
    }
}
