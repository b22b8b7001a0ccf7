//! The desktop notifications' words in the UI's language, taken from the UI's own message files
//! (embedded at build time), so the one catalog a translator edits covers them too.

use std::collections::HashMap;

use desk_core::{CaseStatus, Store};

/// Where the UI's language is kept for the Rust side (the UI sets it at start and on change).
pub const UI_LOCALE_KEY: &str = "ui.locale";

/// The languages the UI offers, with their message files; `en-XA` is the pseudo-locale.
const CATALOGS: [(&str, &str); 4] = [
    ("en", include_str!("../../ui/src/messages/en.json")),
    ("fr", include_str!("../../ui/src/messages/fr.json")),
    ("ru", include_str!("../../ui/src/messages/ru.json")),
    ("zh-Hans", include_str!("../../ui/src/messages/zh-Hans.json")),
];
const PSEUDO: &str = "en-XA";

pub fn is_ui_locale(locale: &str) -> bool {
    locale == PSEUDO || CATALOGS.iter().any(|(name, _)| *name == locale)
}

/// The message `key` in `locale` (English when the language or the key is missing). The
/// notifications' messages have no parameters, so no ICU formatting is needed here.
pub fn message(locale: &str, key: &str) -> String {
    let find = |wanted: &str| {
        CATALOGS.iter().find(|(name, _)| *name == wanted).and_then(|(_, json)| {
            serde_json::from_str::<HashMap<String, String>>(json).ok()?.remove(key)
        })
    };
    let english = find("en").unwrap_or_else(|| key.to_owned());
    if locale == PSEUDO {
        return pseudo(&english);
    }
    find(locale).unwrap_or(english)
}

/// As the UI's pseudo-locale shows it (`ui/src/lib/pseudo.ts`): accented, bracketed, longer.
fn pseudo(text: &str) -> String {
    const PLAIN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const ACCENTED: &str = "áƀçðéƒĝĥíĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÍĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ";
    let accented: String = text
        .chars()
        .map(|c| PLAIN.find(c).and_then(|i| ACCENTED.chars().nth(i)).unwrap_or(c))
        .collect();
    let padding = "~".repeat((text.chars().count() / 3).max(2));
    format!("[{accented} {padding}]")
}

/// The notification's title and body for a case that reached `status`, if it is news.
pub fn for_status(
    store: &Store,
    status: CaseStatus,
    title: Option<&str>,
) -> Option<(String, String)> {
    let key = match status {
        CaseStatus::Submitted => "notify.submitted",
        CaseStatus::Published => "notify.published",
        CaseStatus::ChangesRequested => "notify.changes_requested",
        CaseStatus::Rejected => "notify.rejected",
        _ => return None,
    };
    let locale = store.setting(UI_LOCALE_KEY).ok().flatten().unwrap_or_else(|| "en".to_owned());
    let title = title.map_or_else(|| message(&locale, "notify.untitled"), str::to_owned);
    Some((title, message(&locale, key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_speak_the_ui_language_from_the_ui_catalogs() {
        assert_eq!(message("en", "notify.published"), "PAKS has published it.");
        assert_eq!(message("ru", "notify.published"), "PAKS опубликовал кейс.");
        assert_eq!(message("zh-Hans", "notify.published"), "PAKS 已发布。");
        assert_eq!(message("fr", "notify.untitled"), "Votre étude de cas");
        assert_eq!(message("xx", "notify.published"), "PAKS has published it.");
        assert!(message("en-XA", "notify.published").starts_with("[ÞÅĶŠ ĥáš þûƀļíšĥéð íţ. ~"));
        assert!(is_ui_locale("zh-Hans") && is_ui_locale("en-XA") && !is_ui_locale("de"));
    }

    #[test]
    fn a_case_reaching_a_status_worth_telling_gets_words_in_the_stored_language() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.set_setting(UI_LOCALE_KEY, "ru").unwrap();
        let (title, body) = for_status(&store, CaseStatus::Submitted, None).unwrap();
        assert_eq!(title, "Ваш кейс");
        assert_eq!(body, "PAKS получил кейс. Квитанция — в PAKS Desk.");
        assert!(for_status(&store, CaseStatus::Draft, Some("x")).is_none());
    }
}
