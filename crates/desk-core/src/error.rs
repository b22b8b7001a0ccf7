//! The one error type of `desk-core`. Messages are written for the focal point, not for us:
//! they say what is wrong and what to do.

use std::path::PathBuf;

use crate::completeness::MissingItem;
use crate::message::UiMessage;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "The file {path} is not a PAKS Desk database (it may be damaged or another kind of file). Nothing was changed; choose another data folder or restore a backup (`paks-desk-cli backup restore`)."
    )]
    NotADatabase { path: PathBuf },

    #[error(
        "The PAKS Desk database is damaged ({detail}). Restore the newest good backup with `paks-desk-cli backup restore`; the damaged file is kept aside, never deleted."
    )]
    DatabaseDamaged { path: PathBuf, detail: String },

    #[error("There is no good backup in {dir} to restore.")]
    NoBackup { dir: PathBuf },

    #[error("There is no backup named {0} (see `paks-desk-cli backup list`).")]
    BackupNotFound(String),

    #[error("The backup could not be written: {0}. The database itself is unchanged.")]
    Backup(String),

    #[error(
        "This data was written by a newer PAKS Desk (database version {found}; this app knows up to {supported}). Install the newer version; nothing was changed."
    )]
    DatabaseTooNew { found: usize, supported: usize },

    #[error(
        "PAKS Desk cannot write to {path}: the folder or disk is read-only. Your existing data is safe; choose a writable data folder."
    )]
    ReadOnly { path: PathBuf },

    #[error(
        "The disk is full, so this change was not saved. Free some space and try again; what was saved before is safe."
    )]
    DiskFull,

    #[error("The database is busy in another window or program. Try again in a moment.")]
    Busy,

    #[error("Could not open the data folder {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },

    #[error("Case {0} does not exist.")]
    CaseNotFound(i64),

    #[error("Revision {0} does not exist.")]
    RevisionNotFound(i64),

    #[error(
        "'{0}' is not an ESCAP member or associate member country code (use ISO 3166-1 alpha-3, e.g. LAO, BTN, KIR, NPL)."
    )]
    UnknownCountry(String),

    #[error("'{0}' is not a target of the {1} framework (e.g. MDG 8.F, SDG 16.6).")]
    UnknownTarget(String, &'static str),

    #[error("Indicator '{indicator}' does not belong to MDG target {target}.")]
    IndicatorNotInTarget { target: String, indicator: String },

    #[error("'{0}' is not a case field.")]
    UnknownField(String),

    #[error(
        "{field} is {len} characters long; the most PAKS Desk accepts is {max}. Shorten it or move the detail into an attachment."
    )]
    FieldTooLong { field: &'static str, len: usize, max: usize },

    /// `problem` is the reason's code for the UI: required, control_characters, not_one_of,
    /// not_a_year, not_an_email, not_positive, sdg_indicator.
    #[error("{field}: {reason}")]
    InvalidValue { field: &'static str, problem: &'static str, reason: String },

    #[error(
        "The text is not valid UTF-8 (at byte {valid_up_to}); it was not saved. Paste it again as plain text."
    )]
    InvalidUtf8 { valid_up_to: usize },

    #[error("This case is {status} and can no longer be edited. Start a new version to change it.")]
    CaseLocked { status: &'static str },

    #[error("The case cannot be submitted yet. Missing: {}", missing_list(.0))]
    Incomplete(Vec<MissingItem>),

    #[error("A case that is {from} cannot become {to}.")]
    InvalidTransition { from: &'static str, to: &'static str },

    #[error("Your profile is not set up yet: add your name, institution, email and country first.")]
    ProfileMissing,

    #[error("Could not update the database structure: {0}")]
    Migration(String),

    #[error("Unexpected database error: {0}")]
    Database(rusqlite::Error),

    #[error("Stored data could not be read: {0}")]
    Corrupt(String),

    #[error(
        "{name} is empty (0 bytes), so there is nothing to attach. Check that it was saved completely."
    )]
    EmptyFile { name: String },

    #[error("{name} is a folder or a special file, not a document. Choose a file to attach.")]
    NotAFile { name: String },

    #[error(
        "PAKS Desk could not read {name}: {reason}. Check that the file is still there and that you may open it; nothing was attached."
    )]
    FileUnreadable { name: String, reason: String },

    #[error(
        "{name} changed while it was being attached (it may still be downloading, syncing or being saved). Nothing was attached; try again once it is complete."
    )]
    FileChanged { name: String },

    #[error("This case has no attached file {0}.")]
    AttachmentNotFound(String),

    #[error("The file could not be stored in the data folder ({0}). Nothing was attached.")]
    AttachmentStorage(String),

    #[error("The text of the file could not be read ({0}). The file itself is stored safely.")]
    Extraction(String),

    #[error(
        "The library has no published case {0} (it may have been withdrawn; sync the library)."
    )]
    LibraryCaseNotFound(String),

    #[error("That published case has no file {0}.")]
    LibraryFileNotFound(String),

    #[error(
        "PAKS sent a published case that cannot be kept ({0}); the library was left as it was."
    )]
    LibraryCaseInvalid(String),
}

/// A case section by its wire name ("results"), which the UI has a label for; other fields
/// (the profile's) as they are named.
fn field_name(label: &'static str) -> &'static str {
    crate::case::CaseField::ALL
        .into_iter()
        .find(|field| field.label() == label)
        .map_or(label, crate::case::CaseField::column)
}

fn missing_list(items: &[MissingItem]) -> String {
    items.iter().map(MissingItem::label).collect::<Vec<_>>().join(", ")
}

impl Error {
    /// A stable machine-readable code, sent to the UI beside the message.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotADatabase { .. } => "not_a_database",
            Error::DatabaseDamaged { .. } => "database_damaged",
            Error::NoBackup { .. } => "no_backup",
            Error::BackupNotFound(_) => "backup_not_found",
            Error::Backup(_) => "backup",
            Error::DatabaseTooNew { .. } => "database_too_new",
            Error::ReadOnly { .. } => "read_only",
            Error::DiskFull => "disk_full",
            Error::Busy => "busy",
            Error::DataDir { .. } => "data_dir",
            Error::CaseNotFound(_) => "case_not_found",
            Error::RevisionNotFound(_) => "revision_not_found",
            Error::UnknownCountry(_) => "unknown_country",
            Error::UnknownTarget(..) => "unknown_target",
            Error::IndicatorNotInTarget { .. } => "indicator_not_in_target",
            Error::UnknownField(_) => "unknown_field",
            Error::FieldTooLong { .. } => "field_too_long",
            Error::InvalidValue { .. } => "invalid_value",
            Error::InvalidUtf8 { .. } => "invalid_utf8",
            Error::CaseLocked { .. } => "case_locked",
            Error::Incomplete(_) => "incomplete",
            Error::InvalidTransition { .. } => "invalid_transition",
            Error::ProfileMissing => "profile_missing",
            Error::Migration(_) => "migration",
            Error::Database(_) => "database",
            Error::Corrupt(_) => "corrupt",
            Error::EmptyFile { .. } => "empty_file",
            Error::NotAFile { .. } => "not_a_file",
            Error::FileUnreadable { .. } => "file_unreadable",
            Error::FileChanged { .. } => "file_changed_while_attaching",
            Error::AttachmentNotFound(_) => "attachment_not_found",
            Error::AttachmentStorage(_) => "attachment_storage",
            Error::Extraction(_) => "extraction",
            Error::LibraryCaseNotFound(_) => "library_case_not_found",
            Error::LibraryFileNotFound(_) => "library_file_not_found",
            Error::LibraryCaseInvalid(_) => "library_case_invalid",
        }
    }
}

impl Error {
    /// The code and the parameters the UI words in the user's language. Technical details (an
    /// OS error, a SQLite message) travel as `detail`, shown as they are.
    pub fn ui_message(&self) -> UiMessage {
        let message = UiMessage::new(self.code());
        match self {
            Error::NotADatabase { path } | Error::ReadOnly { path } => {
                message.with("path", path.as_path())
            }
            Error::DatabaseDamaged { path, detail } => {
                message.with("path", path.as_path()).with("detail", detail)
            }
            Error::NoBackup { dir } => message.with("path", dir.as_path()),
            Error::BackupNotFound(name)
            | Error::AttachmentNotFound(name)
            | Error::LibraryCaseNotFound(name)
            | Error::LibraryFileNotFound(name) => message.with("name", name),
            Error::Backup(detail)
            | Error::Migration(detail)
            | Error::Corrupt(detail)
            | Error::AttachmentStorage(detail)
            | Error::Extraction(detail)
            | Error::LibraryCaseInvalid(detail) => message.with("detail", detail),
            Error::Database(err) => message.with("detail", err.to_string()),
            Error::DatabaseTooNew { found, supported } => {
                message.with("found", *found).with("supported", *supported)
            }
            Error::DataDir { path, source } => {
                message.with("path", path.as_path()).with("detail", source.to_string())
            }
            Error::CaseNotFound(id) | Error::RevisionNotFound(id) => message.with("id", *id),
            Error::UnknownCountry(value) | Error::UnknownField(value) => {
                message.with("value", value)
            }
            Error::UnknownTarget(target, framework) => {
                message.with("target", target).with("framework", *framework)
            }
            Error::IndicatorNotInTarget { target, indicator } => {
                message.with("target", target).with("indicator", indicator)
            }
            Error::FieldTooLong { field, len, max } => {
                message.with("field", field_name(field)).with("len", *len).with("max", *max)
            }
            Error::InvalidValue { field, problem, .. } => {
                message.with("field", field_name(field)).with("problem", *problem)
            }
            Error::InvalidUtf8 { valid_up_to } => message.with("byte", *valid_up_to),
            Error::Incomplete(items) => {
                let missing: Vec<&str> = items
                    .iter()
                    .map(|item| item.field.map_or("mdg_link", crate::case::CaseField::column))
                    .collect();
                message.with("count", items.len()).with("missing", missing.join(","))
            }
            Error::EmptyFile { name } | Error::NotAFile { name } | Error::FileChanged { name } => {
                message.with("name", name)
            }
            Error::FileUnreadable { name, reason } => {
                message.with("name", name).with("detail", reason)
            }
            Error::DiskFull
            | Error::Busy
            | Error::CaseLocked { .. }
            | Error::InvalidTransition { .. }
            | Error::ProfileMissing => message,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::DiskFull,
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy,
            Some(ErrorCode::ReadOnly) => Error::ReadOnly { path: PathBuf::new() },
            Some(ErrorCode::NotADatabase) => Error::NotADatabase { path: PathBuf::new() },
            Some(ErrorCode::DatabaseCorrupt) => {
                Error::DatabaseDamaged { path: PathBuf::new(), detail: err.to_string() }
            }
            _ => Error::Database(err),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Corrupt(err.to_string())
    }
}

/// Text arriving as bytes (a pasted file, a CLI argument) must be UTF-8; say where it is not.
pub fn text_from_bytes(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|err| Error::InvalidUtf8 { valid_up_to: err.utf8_error().valid_up_to() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageParam;

    #[test]
    fn the_ui_gets_a_code_and_typed_params_not_the_english_sentence() {
        let err = Error::DatabaseTooNew { found: 9, supported: 7 };
        let ui = err.ui_message();
        assert_eq!(ui.code, "database_too_new");
        assert_eq!(ui.params["found"], MessageParam::Number(9));
        assert_eq!(ui.params["supported"], MessageParam::Number(7));
        let json =
            serde_json::to_value(Error::FileChanged { name: "deck.pptx".into() }.ui_message())
                .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "file_changed_while_attaching", "params": {"name": "deck.pptx"}})
        );
        assert!(!json.to_string().contains("changed while it was being attached"));
        let long = Error::FieldTooLong { field: "Results and impact", len: 9, max: 5 }.ui_message();
        assert_eq!(long.params["field"], MessageParam::Text("results".into()));
        let year = crate::CaseField::StartYear.normalize("1850").unwrap_err().ui_message();
        assert_eq!(year.code, "invalid_value");
        assert_eq!(year.params["field"], MessageParam::Text("start_year".into()));
        assert_eq!(year.params["problem"], MessageParam::Text("not_a_year".into()));
    }
}
