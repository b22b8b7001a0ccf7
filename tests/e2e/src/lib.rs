//! End-to-end test of PAKS Desk: `tests/app.rs` drives the real app binary in a real window
//! through `tauri-driver` and WebKitWebDriver. This library only holds its helpers.
//!
//! Run it on Linux under a virtual display, after building the UI and the app:
//!
//! ```sh
//! (cd ui && npm ci && npm run build)
//! (cd tests/e2e && npm ci)   # axe-core, which checks each screen's accessibility
//! cargo build -p paks-desk
//! xvfb-run -a cargo test -p paks-desk-e2e
//! ```
//!
//! It needs `tauri-driver` (`cargo install tauri-driver --locked`; found on `PATH`, in
//! `~/.cargo/bin`, or at `$TAURI_DRIVER`) and `WebKitWebDriver` (Debian: `webkit2gtk-driver`).
//! `$PAKS_DESK_APP` overrides the path of the app binary.
