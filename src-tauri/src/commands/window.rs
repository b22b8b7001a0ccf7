use tauri::State;

use crate::close_guard::CloseGuard;
use crate::startup_timing::{self, PageMarks};

/// The window has saved what was typed: it may close now.
#[tauri::command(rename_all = "snake_case")]
pub async fn window_close_ready(guard: State<'_, CloseGuard>) -> Result<(), ()> {
    guard.close_now();
    Ok(())
}

/// The window painted its first case list: logs the time since launch and when the page reached
/// each step of its start (the launch benchmark reads them).
#[tauri::command(rename_all = "snake_case")]
pub fn startup_list_shown(marks: PageMarks) {
    startup_timing::note_list_shown(marks);
}
