//! The commands the UI invokes. Each is thin: state and arguments in, one call into a crate,
//! a `CommandError` out. They are `async` so Tauri runs them off the main (UI) thread.

pub mod attachments;
pub mod cases;
pub mod catalog;
pub mod handcarry;
pub mod profile;
pub mod revisions;
pub mod search;
pub mod sync;
pub mod window;

use crate::error::CommandError;

/// Why the store could not be opened at start-up, if it could not (the UI shows it).
pub struct Startup(pub Option<CommandError>);

#[tauri::command]
pub async fn startup_error(startup: tauri::State<'_, Startup>) -> Result<Option<CommandError>, ()> {
    Ok(startup.0.clone())
}
