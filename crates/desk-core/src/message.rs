//! What the UI shows, as a stable code with typed parameters: the UI words it in the user's
//! language from its message files. The English `Display` of errors stays for logs and the CLI.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A parameter of a message: a number the UI formats for the locale, or text it shows as is
/// (a file name, a path, a technical detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
#[ts(export)]
pub enum MessageParam {
    Number(i64),
    Text(String),
}

impl From<&str> for MessageParam {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for MessageParam {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&String> for MessageParam {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<&Path> for MessageParam {
    fn from(value: &Path) -> Self {
        Self::Text(value.display().to_string())
    }
}

impl From<i64> for MessageParam {
    fn from(value: i64) -> Self {
        Self::Number(value)
    }
}

impl From<u64> for MessageParam {
    fn from(value: u64) -> Self {
        Self::Number(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<usize> for MessageParam {
    fn from(value: usize) -> Self {
        Self::Number(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<u32> for MessageParam {
    fn from(value: u32) -> Self {
        Self::Number(i64::from(value))
    }
}

impl From<u16> for MessageParam {
    fn from(value: u16) -> Self {
        Self::Number(i64::from(value))
    }
}

/// `{code: "file_changed", params: {name: "deck.pptx"}}`: the UI finds `code` in its catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UiMessage {
    pub code: String,
    pub params: BTreeMap<String, MessageParam>,
}

impl UiMessage {
    pub fn new(code: &str) -> Self {
        Self { code: code.to_owned(), params: BTreeMap::new() }
    }

    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<MessageParam>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}
