//! The library sync inside the app: one at a time, started by "Sync now" and by the reachability
//! watch whenever it finds PAKS and the last sync is older than [`LIBRARY_EVERY`]. Each page, the
//! end and a failure go to the window as `library-sync` events.

use std::time::Duration;

use desk_core::{LibraryState, Store, UiMessage};
use desk_extract::WorkerCommand;
use desk_sync::backoff::Backoff;
use desk_sync::library::{
    DOWNLOAD_WHILE_WAITING, LibrarySyncOptions, PAGE_LIMIT, fetch_library_file_text, public_client,
    sync_library,
};
use tauri::{AppHandle, Emitter};

use crate::error::{CommandError, CommandResult};
use crate::ui_events::{self, LibrarySyncUpdate};

/// Files larger than this are not downloaded for their text (they still open on demand).
const FILE_TEXT_MAX_BYTES: u64 = 20 << 20;

/// How old the last library sync may be before the reachability watch starts one.
pub const LIBRARY_EVERY: Duration = Duration::from_secs(30 * 60);

/// The sending's backoff, with fewer tries: the watch starts the sync again two minutes later,
/// and "Sync now" must not leave someone waiting a quarter of an hour.
const OPTIONS: LibrarySyncOptions =
    LibrarySyncOptions { backoff: Backoff::JOBS, give_up_after: 3, page_limit: PAGE_LIMIT };

#[derive(Default)]
pub struct LibrarySync {
    running: tokio::sync::Mutex<()>,
}

impl LibrarySync {
    /// Syncs the library and reads the text of its new files; waits for a sync under way first.
    pub async fn run(&self, app: &AppHandle, store: &Store) -> CommandResult<LibraryState> {
        let _one = self.running.lock().await;
        emit(app, &LibrarySyncUpdate::Started);
        let outcome = sync_and_read(app, store).await;
        match &outcome {
            Ok(state) => emit(app, &LibrarySyncUpdate::Finished { state: state.clone() }),
            Err(err) => emit(
                app,
                &LibrarySyncUpdate::Failed {
                    problem: UiMessage { code: err.code.clone(), params: err.params.clone() },
                },
            ),
        }
        outcome
    }

    /// Called when the reachability check found PAKS: syncs unless a sync runs or the last one
    /// is recent.
    pub async fn when_reachable(&self, app: &AppHandle, store: &Store) {
        let every = i64::try_from(LIBRARY_EVERY.as_millis()).unwrap_or(i64::MAX);
        let recent = store
            .library_state()
            .ok()
            .and_then(|s| s.synced_at)
            .is_some_and(|at| desk_sync::now_ms().saturating_sub(at) < every);
        if recent || self.running.try_lock().is_err() {
            return;
        }
        if let Err(err) = self.run(app, store).await {
            tracing::info!(code = %err.code, "the library sync stopped: {}", err.message);
        }
    }
}

async fn sync_and_read(app: &AppHandle, store: &Store) -> CommandResult<LibraryState> {
    let (client, key) = public_client(store)?;
    sync_library(store, &client, key.as_deref(), &OPTIONS, |report| {
        emit(app, &LibrarySyncUpdate::Progress { report: *report });
    })
    .await?;
    let worker = WorkerCommand::current_exe()
        .map_err(|e| CommandError::from(desk_core::Error::Extraction(e.to_string())))?;
    fetch_library_file_text(store, &client, &worker, &DOWNLOAD_WHILE_WAITING, FILE_TEXT_MAX_BYTES)
        .await?;
    Ok(store.library_state()?)
}

fn emit(app: &AppHandle, update: &LibrarySyncUpdate) {
    if let Err(err) = app.emit(ui_events::LIBRARY_SYNC, update) {
        tracing::warn!("could not tell the window how the library sync goes: {err}");
    }
}
