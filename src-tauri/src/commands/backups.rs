//! The store's backups, offered when the store could not be opened (damaged, or not a database):
//! the window lists them, puts the chosen one in place and then starts as usual.

use desk_core::clock::{Clock, SystemClock};
use desk_core::store::backup::{self, BackupInfo};
use tauri::{AppHandle, State};

use super::Startup;
use crate::error::CommandResult;

#[tauri::command]
pub async fn backup_list() -> CommandResult<Vec<BackupInfo>> {
    Ok(backup::list(&crate::data_dir()?)?)
}

/// Puts backup `name` (default: the newest sound one) in place of the store that could not
/// open, which is kept aside in the data folder, then opens it and starts.
#[tauri::command]
pub async fn backup_restore(
    app: AppHandle,
    startup: State<'_, Startup>,
    name: Option<String>,
) -> CommandResult<BackupInfo> {
    startup.repair(|| {
        let dir = crate::data_dir()?;
        let restored = backup::restore(&dir, name.as_deref(), SystemClock.now_millis())?;
        for path in &restored.set_aside {
            tracing::info!(path = %path.display(), "kept aside the database the backup replaced");
        }
        crate::start(&app)?;
        Ok(restored.backup)
    })
}
