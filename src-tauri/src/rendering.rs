//! How the window's web view draws.
//!
//! On Linux, WebKitGTK composites pages with OpenGL. On a laptop without a working GPU driver
//! (and under Xvfb) that GL is Mesa's llvmpipe, which costs the web process some 65–85 MiB
//! (the app and its WebKit processes: 303 → 240 MiB PSS on an empty profile, 330 → 247 MiB over
//! 500 cases, see the README) and buys nothing on screens of forms and lists; some GPU drivers
//! also leave WebKitGTK windows blank. So the app draws on the CPU unless `PAKS_DESK_GPU=1`
//! asks for the GPU.

use tauri::{AppHandle, Manager};

/// The environment variable that turns GPU compositing back on.
pub const GPU_VARIABLE: &str = "PAKS_DESK_GPU";

pub fn configure(app: &AppHandle) {
    if std::env::var(GPU_VARIABLE).is_ok_and(|v| v == "1") {
        tracing::info!("{GPU_VARIABLE}=1: the window draws with the GPU");
        return;
    }
    let Some(window) = app.get_webview_window("main") else { return };
    if let Err(e) = draw_on_cpu(&window) {
        tracing::warn!(error = %e, "could not turn GPU compositing off");
    }
}

#[cfg(target_os = "linux")]
fn draw_on_cpu(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn draw_on_cpu(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    Ok(())
}
