//! The one error shape every command returns to the UI: a stable `code` with typed `params`,
//! which the UI words in the user's language, and the English `message` for logs.

use std::collections::BTreeMap;

use desk_core::{MessageParam, UiMessage};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    pub code: String,
    /// English, for logs; the UI words `code` with `params` in the user's language.
    pub message: String,
    pub params: BTreeMap<String, MessageParam>,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into(), params: BTreeMap::new() }
    }

    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<MessageParam>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    fn from_message(ui: UiMessage, message: String) -> Self {
        Self { code: ui.code, message, params: ui.params }
    }
}

impl From<desk_core::Error> for CommandError {
    fn from(err: desk_core::Error) -> Self {
        tracing::warn!(code = err.code(), "command failed: {err}");
        Self::from_message(err.ui_message(), err.to_string())
    }
}

impl From<desk_sync::SyncError> for CommandError {
    fn from(err: desk_sync::SyncError) -> Self {
        tracing::warn!(code = err.code(), "command failed: {err}");
        Self::from_message(err.ui_message(), err.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_code_and_typed_params() {
        let err = CommandError::from(desk_core::Error::CaseNotFound(42));
        assert_eq!(err.code, "case_not_found");
        assert_eq!(err.message, "Case 42 does not exist.");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "case_not_found",
                "message": "Case 42 does not exist.",
                "params": {"id": 42}
            })
        );
    }

    #[test]
    fn a_changed_server_key_carries_both_key_ids_for_the_ui() {
        let err = CommandError::from(desk_sync::SyncError::ServerKeyChanged {
            url: "https://paks.example.org/".into(),
            old_key_id: "0123456789abcdef".into(),
            new_key_id: "fedcba9876543210".into(),
        });
        assert_eq!(err.code, "server_key_changed");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["params"]["old_key_id"], "0123456789abcdef");
        assert_eq!(json["params"]["new_key_id"], "fedcba9876543210");
    }
}
