use tauri::State;

use crate::close_guard::CloseGuard;
use crate::startup_timing;

/// The window has saved what was typed: it may close now.
#[tauri::command(rename_all = "snake_case")]
pub async fn window_close_ready(guard: State<'_, CloseGuard>) -> Result<(), ()> {
    guard.close_now();
    Ok(())
}

/// The window painted its first case list: logs the time since launch (the launch benchmark
/// reads it).
#[tauri::command(rename_all = "snake_case")]
pub fn startup_list_shown() {
    startup_timing::note_list_shown();
}
