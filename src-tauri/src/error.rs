//! The one error shape every command returns to the UI: a stable `code` to branch on and a
//! `message` written for the focal point (desk-core writes them so).

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// Values the UI puts in its own translation of `code` (e.g. the key ids of
    /// `server_key_changed`); absent for most errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub params: Option<BTreeMap<String, String>>,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into(), params: None }
    }
}

impl From<desk_core::Error> for CommandError {
    fn from(err: desk_core::Error) -> Self {
        tracing::warn!(code = err.code(), "command failed: {err}");
        Self::new(err.code(), err.to_string())
    }
}

impl From<desk_sync::SyncError> for CommandError {
    fn from(err: desk_sync::SyncError) -> Self {
        tracing::warn!(code = err.code(), "command failed: {err}");
        let params = match &err {
            desk_sync::SyncError::ServerKeyChanged { url, old_key_id, new_key_id } => {
                Some(BTreeMap::from([
                    ("url".to_owned(), url.clone()),
                    ("old_key_id".to_owned(), old_key_id.clone()),
                    ("new_key_id".to_owned(), new_key_id.clone()),
                ]))
            }
            _ => None,
        };
        Self { params, ..Self::new(err.code(), err.to_string()) }
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
    fn core_errors_keep_their_code_and_user_message() {
        let err = CommandError::from(desk_core::Error::CaseNotFound(42));
        assert_eq!(err.code, "case_not_found");
        assert_eq!(err.message, "Case 42 does not exist.");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "case_not_found", "message": "Case 42 does not exist."})
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
