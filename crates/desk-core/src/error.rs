//! The one error type of `desk-core`. Messages are written for the focal point, not for us:
//! they say what is wrong and what to do.

use std::path::PathBuf;

use crate::completeness::MissingItem;

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

    #[error("{field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },

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
}

fn missing_list(items: &[MissingItem]) -> String {
    items.iter().map(|item| item.label.as_str()).collect::<Vec<_>>().join(", ")
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
            Error::FileChanged { .. } => "file_changed",
            Error::AttachmentNotFound(_) => "attachment_not_found",
            Error::AttachmentStorage(_) => "attachment_storage",
            Error::Extraction(_) => "extraction",
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
