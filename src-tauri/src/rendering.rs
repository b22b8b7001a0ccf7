//! How the window's web view draws.
//!
//! On Linux, WebKitGTK composites pages with OpenGL. On a laptop without a working GPU driver
//! (and under Xvfb) that GL is Mesa's llvmpipe, which costs the web process some 65–85 MiB
//! (the app and its WebKit processes: 303 → 240 MiB PSS on an empty profile, 330 → 247 MiB over
//! 500 cases, see the README) and buys nothing on screens of forms and lists; some GPU drivers
//! also leave WebKitGTK windows blank. So the app draws on the CPU unless `PAKS_DESK_GPU=1`
//! asks for the GPU.
//!
//! Drawing on the CPU, the app also keeps GTK from setting up OpenGL (GLX) for its own window
//! and WebKit from setting up its DMA-BUF renderer (GPU buffers shared between processes): each
//! initialised Mesa again in the app process at start. Without them a launch reaches the case
//! list ~60 ms sooner and the processes hold ~11 MiB less.
//!
//! WebKit's app-side code still opened an EGL display at the first page load only to find the
//! GPU's render node to hand the web process; under Mesa's software driver that mapped LLVM into
//! the app's process (235 → 218 MiB over 500 cases, README). Naming the device in
//! `WEBKIT_WEB_RENDER_DEVICE_FILE` skips that search. The device named is `/dev/null`: drawing
//! on the CPU, the web process has no use for a GPU buffer device.
//! (The web process itself still opens an EGL display for every page: WebKitGTK 2.50 does so
//! before the page's settings, hardware acceleration included, reach it.)
//!
//! These are read only from the environment, before GTK starts, hence `prepare_environment`.
//! Programs the app starts inherit them (the viewer an attachment opens in): a GTK 3 program
//! then draws without GL, which it does well; a WebKit-based one on the CPU, as on many desktops
//! where the DMA-BUF renderer is off for driver bugs.

use tauri::{AppHandle, Manager};

/// The environment variable that turns GPU compositing back on.
pub const GPU_VARIABLE: &str = "PAKS_DESK_GPU";

/// What CPU drawing sets, unless the user set these variables already.
#[cfg(target_os = "linux")]
const CPU_DRAWING_ENVIRONMENT: [(&str, &str); 3] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
];

fn gpu_asked() -> bool {
    std::env::var(GPU_VARIABLE).is_ok_and(|v| v == "1")
}

/// Sets the environment GTK and WebKit read when they start, for CPU drawing.
///
/// # Safety
/// Must run before any other thread exists (first thing in `main`): setting the environment
/// while another thread may read it is undefined behaviour.
#[allow(unsafe_code)]
pub unsafe fn prepare_environment() {
    #[cfg(target_os = "linux")]
    if !gpu_asked() {
        for (name, value) in CPU_DRAWING_ENVIRONMENT {
            if std::env::var_os(name).is_none() {
                // SAFETY: the caller guarantees no other thread is running.
                unsafe { std::env::set_var(name, value) };
            }
        }
    }
}

pub fn configure(app: &AppHandle) {
    if gpu_asked() {
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
