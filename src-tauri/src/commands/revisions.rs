use std::sync::Arc;

use desk_core::{Case, Revision, Store};
use tauri::State;

use crate::error::CommandResult;

#[tauri::command(rename_all = "snake_case")]
pub async fn revision_list(
    store: State<'_, Arc<Store>>,
    case_id: i64,
) -> CommandResult<Vec<Revision>> {
    Ok(store.revisions(case_id)?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn revision_restore(
    store: State<'_, Arc<Store>>,
    case_id: i64,
    revision_id: i64,
) -> CommandResult<Case> {
    Ok(store.restore_revision(case_id, revision_id)?)
}
