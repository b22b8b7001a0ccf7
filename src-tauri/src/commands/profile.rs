use std::sync::Arc;

use desk_core::{Profile, Store};
use tauri::State;

use crate::error::CommandResult;

#[tauri::command(rename_all = "snake_case")]
pub async fn profile_get(store: State<'_, Arc<Store>>) -> CommandResult<Option<Profile>> {
    Ok(store.profile()?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn profile_set(store: State<'_, Arc<Store>>, profile: Profile) -> CommandResult<Profile> {
    Ok(store.set_profile(&profile)?)
}
