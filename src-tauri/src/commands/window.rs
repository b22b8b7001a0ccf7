use tauri::State;

use crate::close_guard::CloseGuard;

/// The window has saved what was typed: it may close now.
#[tauri::command(rename_all = "snake_case")]
pub async fn window_close_ready(guard: State<'_, CloseGuard>) -> Result<(), ()> {
    guard.close_now();
    Ok(())
}
