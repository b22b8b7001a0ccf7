use std::sync::Arc;

use desk_core::{CaseFilter, SearchHit, Store};
use tauri::State;

use crate::error::CommandResult;

#[tauri::command(rename_all = "snake_case")]
pub async fn search(
    store: State<'_, Arc<Store>>,
    text: String,
    filter: Option<CaseFilter>,
) -> CommandResult<Vec<SearchHit>> {
    Ok(store.search(&text, &filter.unwrap_or_default())?)
}
