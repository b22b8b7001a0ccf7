//! Closing the window waits for the UI to save what was just typed (autosave waits 0.4 s after
//! the last key), but never longer than a few seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, CloseRequestApi, Emitter, Manager};

use crate::ui_events;

const GRACE: Duration = Duration::from_secs(3);

pub struct CloseGuard {
    app: AppHandle,
    ready: AtomicBool,
}

impl CloseGuard {
    pub fn new(app: AppHandle) -> Self {
        Self { app, ready: AtomicBool::new(false) }
    }

    pub fn on_close_requested(&self, api: &CloseRequestApi) {
        if self.ready.load(Ordering::SeqCst) {
            return;
        }
        api.prevent_close();
        if let Err(err) = self.app.emit(ui_events::CLOSE_REQUESTED, ()) {
            tracing::warn!("could not ask the window to save before closing: {err}");
            self.close_now();
            return;
        }
        let app = self.app.clone();
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            if let Some(guard) = app.try_state::<CloseGuard>() {
                guard.close_now();
            }
        });
    }

    pub fn close_now(&self) {
        if self.ready.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(window) = self.app.get_webview_window("main")
            && let Err(err) = window.close()
        {
            tracing::warn!("could not close the window: {err}");
        }
    }
}
