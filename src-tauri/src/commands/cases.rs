use std::sync::Arc;

use desk_core::catalog::SdgSuggestion;
use desk_core::{
    Case, CaseField, CaseFilter, CaseSummary, Framework, LinkInput, MissingItem, SavedField, Store,
};
use tauri::State;

use crate::error::CommandResult;

#[tauri::command(rename_all = "snake_case")]
pub async fn case_list(
    store: State<'_, Arc<Store>>,
    filter: Option<CaseFilter>,
) -> CommandResult<Vec<CaseSummary>> {
    crate::startup_timing::note_case_list();
    Ok(store.list_cases(&filter.unwrap_or_default())?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_create(
    store: State<'_, Arc<Store>>,
    title: String,
    country: Option<String>,
) -> CommandResult<Case> {
    Ok(store.create_case(&title, country.as_deref())?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_get(store: State<'_, Arc<Store>>, id: i64) -> CommandResult<Case> {
    Ok(store.case(id)?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_set_field(
    store: State<'_, Arc<Store>>,
    id: i64,
    field: CaseField,
    value: String,
) -> CommandResult<SavedField> {
    Ok(store.set_field(id, field, &value)?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_link_goal(
    store: State<'_, Arc<Store>>,
    id: i64,
    link: LinkInput,
) -> CommandResult<Case> {
    Ok(store.link_goal(id, &link)?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_unlink_goal(
    store: State<'_, Arc<Store>>,
    id: i64,
    framework: Framework,
    target: String,
    indicator: Option<String>,
) -> CommandResult<Case> {
    Ok(store.unlink_goal(id, framework, &target, indicator.as_deref())?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_missing(
    store: State<'_, Arc<Store>>,
    id: i64,
) -> CommandResult<Vec<MissingItem>> {
    Ok(store.case(id)?.missing())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_suggested_sdg(
    store: State<'_, Arc<Store>>,
    id: i64,
) -> CommandResult<Vec<SdgSuggestion>> {
    Ok(store.suggested_sdg_targets(id)?)
}
