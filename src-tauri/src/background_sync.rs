//! The sync worker running inside the app: started at launch (it resumes the outbox by itself),
//! its events forwarded to the UI, and a desktop notification when PAKS receives or publishes a
//! case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_core::{CaseStatus, Store};
use desk_sync::{
    Command, Engine, EventSink, Outbox, SyncEvent, SyncHandle, SyncSettings, SyncWorker,
};
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;

use crate::error::CommandError;
use crate::library_sync::LibrarySync;
use crate::notification_words;
use crate::ui_events::{self, Connectivity, SyncUpdate};

pub struct SyncState {
    pub handle: SyncHandle,
    pub outbox: Arc<Outbox>,
    connectivity: Arc<Mutex<Connectivity>>,
    // Kept so the worker lives as long as the app.
    _worker: SyncWorker,
}

impl SyncState {
    pub fn start(
        app: &AppHandle,
        store: Arc<Store>,
        library: Arc<LibrarySync>,
    ) -> Result<Self, CommandError> {
        let settings = SyncSettings::load(&store)?;
        let initial = if settings.paks_url.is_some() {
            Connectivity::Unknown
        } else {
            Connectivity::NotConnected
        };
        let connectivity = Arc::new(Mutex::new(initial));
        let sink = event_sink(app.clone(), store.clone(), connectivity.clone());
        let engine = Engine::open(store.dir(), store.clone(), sink)?;
        let outbox = engine.outbox().clone();
        // SyncWorker spawns on the current tokio runtime: enter Tauri's.
        let runtime = tauri::async_runtime::handle();
        let _entered = runtime.inner().enter();
        let worker = SyncWorker::start(engine);
        let watch = watch_reachability(app.clone(), store, connectivity.clone(), library);
        tauri::async_runtime::spawn(watch);
        Ok(Self { handle: worker.handle(), outbox, connectivity, _worker: worker })
    }

    pub fn connectivity(&self) -> Connectivity {
        self.connectivity.lock().map(|c| c.clone()).unwrap_or(Connectivity::Unknown)
    }

    pub fn set_connectivity(&self, value: Connectivity) {
        if let Ok(mut c) = self.connectivity.lock() {
            *c = value;
        }
    }

    /// Asks the worker to check PAKS and send what waits. False if it has stopped.
    pub fn send_now(&self) -> bool {
        self.handle.try_send(Command::NetworkBack) && self.handle.try_send(Command::Kick)
    }
}

/// How often the indicator asks PAKS when nothing is being sent (one small signed GET).
const REACHABILITY_EVERY: Duration = Duration::from_secs(120);

/// Keeps the reachability indicator true while nothing is being sent (the worker reports it
/// only when it has work): asks PAKS at launch and then every two minutes. PAKS found, the
/// library is synced when its last sync is old.
async fn watch_reachability(
    app: AppHandle,
    store: Arc<Store>,
    connectivity: Arc<Mutex<Connectivity>>,
    library: Arc<LibrarySync>,
) {
    loop {
        let now = match desk_sync::check_reachable(&store, store.dir()).await {
            Ok(()) => Connectivity::Online,
            Err(desk_sync::SyncError::NotConnected) => Connectivity::NotConnected,
            Err(err) => Connectivity::Unreachable { problem: err.ui_message() },
        };
        let online = now == Connectivity::Online;
        let changed =
            connectivity.lock().map(|mut c| std::mem::replace(&mut *c, now.clone()) != now);
        if changed.unwrap_or(false)
            && let Err(err) =
                app.emit(ui_events::SYNC, SyncUpdate::Connectivity { connectivity: now })
        {
            tracing::warn!("could not send the reachability to the window: {err}");
        }
        if online {
            library.when_reachable(&app, &store).await;
        }
        tokio::time::sleep(REACHABILITY_EVERY).await;
    }
}

fn event_sink(
    app: AppHandle,
    store: Arc<Store>,
    connectivity: Arc<Mutex<Connectivity>>,
) -> EventSink {
    let notified: Mutex<HashMap<i64, CaseStatus>> = Mutex::new(HashMap::new());
    Arc::new(move |event: &SyncEvent| {
        let update = SyncUpdate::from(event);
        if let SyncUpdate::Connectivity { connectivity: now } = &update
            && let Ok(mut c) = connectivity.lock()
        {
            *c = now.clone();
        }
        if let Err(err) = app.emit(ui_events::SYNC, &update) {
            tracing::warn!("could not send a sync event to the window: {err}");
        }
        if let SyncEvent::Job { case_id, .. } | SyncEvent::ReceiptMatched { case_id, .. } = event {
            notify_if_news(&app, &store, &notified, *case_id);
        }
    })
}

/// A notification when a case's status becomes one the focal point waits for.
fn notify_if_news(
    app: &AppHandle,
    store: &Store,
    notified: &Mutex<HashMap<i64, CaseStatus>>,
    case_id: i64,
) {
    let Ok(case) = store.case(case_id) else { return };
    let title =
        case.fields.get(&desk_core::CaseField::Title).map(|t| t.trim()).filter(|t| !t.is_empty());
    let Some((title, body)) = notification_words::for_status(store, case.status, title) else {
        return;
    };
    let Ok(mut seen) = notified.lock() else { return };
    if seen.insert(case_id, case.status) == Some(case.status) {
        return;
    }
    if let Err(err) = app.notification().builder().title(title).body(body).show() {
        tracing::info!("no desktop notification ({err}); the app shows the status");
    }
}
