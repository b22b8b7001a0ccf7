use std::sync::Arc;

use desk_core::{Profile, Store};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::notification_words::{UI_LOCALE_KEY, is_ui_locale};

#[tauri::command(rename_all = "snake_case")]
pub async fn profile_get(store: State<'_, Arc<Store>>) -> CommandResult<Option<Profile>> {
    Ok(store.profile()?)
}

/// The system's preferred languages, most preferred first (BCP 47 tags such as "ru-RU").
#[tauri::command(rename_all = "snake_case")]
pub fn system_locales() -> Vec<String> {
    sys_locale::get_locales().collect()
}

/// The UI's language, so the desktop notifications speak it too.
#[tauri::command(rename_all = "snake_case")]
pub async fn ui_locale_set(store: State<'_, Arc<Store>>, locale: String) -> CommandResult<()> {
    if !is_ui_locale(&locale) {
        return Err(CommandError::new(
            "unknown_locale",
            format!("'{locale}' is not a UI language"),
        )
        .with("value", locale));
    }
    Ok(store.set_setting(UI_LOCALE_KEY, &locale)?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn profile_set(store: State<'_, Arc<Store>>, profile: Profile) -> CommandResult<Profile> {
    Ok(store.set_profile(&profile)?)
}
