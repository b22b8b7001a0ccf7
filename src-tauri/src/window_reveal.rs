//! The window opens hidden and shows once its page has loaded.
//!
//! A window drawn before WebKit's web process is ready makes WebKitGTK block the app's main
//! thread until that process answers, for up to 500 ms (its backing-store timeout); the web
//! process, still starting, may be waiting on the main thread itself. One launch in four took
//! 500 ms longer that way here. Shown after the page loaded, the window draws at once.

use std::time::Duration;

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{AppHandle, Manager, Runtime, Webview};

/// Shows the window even if its page never reports loaded.
const SHOW_AT_THE_LATEST: Duration = Duration::from_secs(3);

pub fn on_page_load<R: Runtime>(webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
    if payload.event() == PageLoadEvent::Finished {
        show(webview.app_handle());
    }
}

/// Shows the window after `SHOW_AT_THE_LATEST` whatever happened to its page.
pub fn show_at_the_latest<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SHOW_AT_THE_LATEST).await;
        show(&app);
    });
}

fn show<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else { return };
    if window.is_visible().unwrap_or(false) {
        return;
    }
    if let Err(e) = window.show().and_then(|()| window.set_focus()) {
        tracing::warn!(error = %e, "could not show the window");
    }
}
