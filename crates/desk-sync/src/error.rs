//! The one error type of `desk-sync`. Every message is written for the focal point: what
//! happened and what to do. `is_transient()` decides between "retry later by itself" and
//! "needs the person".

use std::time::Duration;

use desk_core::UiMessage;

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("PAKS cannot be reached ({0}). Sending resumes by itself when the connection is back.")]
    Offline(String),

    #[error(
        "The network answers, but not as PAKS ({0}). You may need to sign in to the Wi-Fi or proxy first; sending resumes by itself."
    )]
    NotPaks(String),

    #[error("PAKS had a problem ({status}: {detail}). It will be tried again automatically.")]
    Server { status: u16, detail: String },

    #[error("PAKS asks us to slow down. It will be tried again in {}.", seconds(*.retry_after))]
    RateLimited { retry_after: Duration },

    #[error(
        "PAKS is still working on an earlier attempt to send this (the connection dropped while it was being sent). Sending waits for it and goes on by itself, in {}.", seconds(*.retry_after)
    )]
    StillWorking { retry_after: Duration },

    #[error("PAKS sent an answer that could not be understood ({0}). It will be tried again.")]
    Garbled(String),

    #[error(
        "PAKS refused the access token (unknown, expired or revoked): {0}. Ask the PAKS team for a new token, then connect again."
    )]
    Unauthorized(String),

    #[error("An upload expired on PAKS before the case was sent ({0}); it is sent again.")]
    UploadExpired(String),

    #[error("PAKS refused this case: {0}. Cancel sending it, correct it, then submit it again.")]
    Refused(String),

    #[error(
        "The file \"{name}\" changed on disk after the case was submitted, so it is no longer what was sent. Put the original file back, or start a new version with the new file."
    )]
    FileChanged { name: String },

    #[error(
        "The file \"{name}\" can no longer be read ({reason}). Put it back, or start a new version without it."
    )]
    FileMissing { name: String, reason: String },

    #[error(
        "PAKS answered, but its receipt does not carry a valid signature ({0}), so the case is not counted as submitted. Check that you are connected to the real PAKS; retry when it is fixed."
    )]
    BadReceipt(String),

    #[error(
        "PAKS Desk is not connected to PAKS yet. Connect with the PAKS address and your token."
    )]
    NotConnected,

    #[error(
        "PAKS cannot be reached at {url} ({reason}). Check the address and that this computer is online (and its proxy, if the office uses one), then connect again."
    )]
    AddressUnreachable { url: String, reason: String },

    #[error(
        "The address {url} does not answer as PAKS ({detail}). Check the address the PAKS team gave you (e.g. https://paks.example.org, without /api/v1); a hotel or office network may first ask you to sign in to its Wi-Fi or proxy."
    )]
    NotPaksAddress { url: String, detail: String },

    #[error(
        "The address {url} starts with http://, so the access token would cross the network unencrypted, readable by anyone on the way. Use the https:// address the PAKS team gave you (plain http:// is only for a PAKS on this computer, such as http://127.0.0.1:8080)."
    )]
    InsecureAddress { url: String },

    #[error(
        "PAKS at {url} now signs with another key ({new_key_id}) than the one this app trusts ({old_key_id}). The PAKS team may have changed its key, or another server may be answering in its place, so nothing was sent to it, not even the token. Ask the PAKS team whether its key is now {new_key_id}; only if so, connect again and accept the new key."
    )]
    ServerKeyChanged { url: String, old_key_id: String, new_key_id: String },

    #[error(
        "The system keyring could not be read ({0}). Unlock it (sign in to the desktop again); sending resumes by itself."
    )]
    Keyring(String),

    #[error(
        "The token is empty or has control characters: paste the API token the PAKS team gave you."
    )]
    TokenMalformed,

    #[error(
        "'{url}' is not a web address PAKS Desk can use: write it as https://paks.example.org (or http:// for a PAKS on this computer)."
    )]
    NotAnAddress { url: String },

    #[error(
        "The proxy '{proxy}' is not a valid address: write it as http://proxy.example.org:8080."
    )]
    ProxyInvalid { proxy: String },

    #[error("PAKS at {url} could not answer now ({detail}). Connect again in a few minutes.")]
    PaksBusy { url: String, detail: String },

    #[error(
        "This case may already have reached PAKS, so it can no longer be cancelled. Wait for the receipt, then start a new version to change it."
    )]
    CannotCancel,

    #[error("This version was already sent. Start a new version to change it.")]
    AlreadySent,

    #[error(
        "The case does not meet PAKS's rules yet ({fields}). Correct these fields, then submit again."
    )]
    CaseRulesUnmet { fields: String },

    /// A fault in PAKS Desk itself (a job that is not there, a value that cannot be encoded):
    /// nothing the person did, so it is said as it is.
    #[error("{0}")]
    Invalid(String),

    #[error("The outbox could not be read or saved: {0}")]
    Database(String),

    #[error(
        "This job's saved data is damaged ({0}), so it cannot be sent. Cancel sending it, then submit the case again."
    )]
    DamagedJob(String),

    #[error(
        "The update PAKS offered is not signed by the PAKS Desk team ({0}), so it was deleted and not installed. The version you have keeps working; tell the PAKS team."
    )]
    UpdateSignature(String),

    #[error(
        "The document could not be saved as {path} ({detail}). Choose a folder you can write to, on a disk with free space."
    )]
    ExportUnwritable { path: String, detail: String },

    #[error(transparent)]
    Publication(#[from] paks_publication::PublicationError),

    #[error(transparent)]
    Core(#[from] desk_core::Error),

    #[error("A local file could not be read or written: {0}")]
    Io(#[from] std::io::Error),
}

/// "1 second", "5 seconds" (at least one: a wait shorter than a second is said as one).
fn seconds(wait: Duration) -> String {
    match wait.as_secs().max(1) {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

impl SyncError {
    /// True when retrying later, without the person doing anything, may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Offline(_)
            | SyncError::NotPaks(_)
            | SyncError::Server { .. }
            | SyncError::RateLimited { .. }
            | SyncError::StillWorking { .. }
            | SyncError::Garbled(_)
            | SyncError::UploadExpired(_)
            | SyncError::Database(_)
            | SyncError::Keyring(_)
            | SyncError::Io(_) => true,
            SyncError::Core(e) => matches!(e, desk_core::Error::Busy),
            SyncError::Unauthorized(_)
            | SyncError::Refused(_)
            | SyncError::FileChanged { .. }
            | SyncError::FileMissing { .. }
            | SyncError::BadReceipt(_)
            | SyncError::NotConnected
            | SyncError::AddressUnreachable { .. }
            | SyncError::NotPaksAddress { .. }
            | SyncError::InsecureAddress { .. }
            | SyncError::ServerKeyChanged { .. }
            | SyncError::TokenMalformed
            | SyncError::NotAnAddress { .. }
            | SyncError::ProxyInvalid { .. }
            | SyncError::PaksBusy { .. }
            | SyncError::CannotCancel
            | SyncError::AlreadySent
            | SyncError::CaseRulesUnmet { .. }
            | SyncError::Invalid(_)
            | SyncError::UpdateSignature(_)
            | SyncError::DamagedJob(_)
            | SyncError::ExportUnwritable { .. }
            | SyncError::Publication(_) => false,
        }
    }

    /// True when a request that failed this way cannot have made anything on PAKS: PAKS answered
    /// "no", or the request never got that far. Anything else (a cut, a timeout, a 5xx, an
    /// answer that could not be read) may have.
    pub fn proves_nothing_made(&self) -> bool {
        matches!(
            self,
            SyncError::Refused(_)
                | SyncError::Unauthorized(_)
                | SyncError::UploadExpired(_)
                | SyncError::NotConnected
                | SyncError::InsecureAddress { .. }
                | SyncError::ServerKeyChanged { .. }
                | SyncError::TokenMalformed
                | SyncError::NotAnAddress { .. }
                | SyncError::ProxyInvalid { .. }
                | SyncError::CannotCancel
                | SyncError::AlreadySent
                | SyncError::CaseRulesUnmet { .. }
                | SyncError::Invalid(_)
        )
    }

    /// True when the error says the network path to PAKS is down (not PAKS itself).
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Offline(_) | SyncError::NotPaks(_))
    }

    /// The delay the server asked for, if it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::RateLimited { retry_after } | SyncError::StillWorking { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// A stable machine-readable code, sent to the UI beside the message.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::NotPaks(_) => "not_paks",
            SyncError::Server { .. } => "server_error",
            SyncError::RateLimited { .. } => "rate_limited",
            SyncError::StillWorking { .. } => "still_working",
            SyncError::Garbled(_) => "garbled_answer",
            SyncError::Unauthorized(_) => "unauthorized",
            SyncError::Refused(_) => "refused",
            SyncError::UploadExpired(_) => "upload_expired",
            SyncError::FileChanged { .. } => "file_changed",
            SyncError::FileMissing { .. } => "file_missing",
            SyncError::BadReceipt(_) => "bad_receipt",
            SyncError::NotConnected => "not_connected",
            SyncError::AddressUnreachable { .. } => "address_unreachable",
            SyncError::NotPaksAddress { .. } => "not_paks_address",
            SyncError::InsecureAddress { .. } => "insecure_address",
            SyncError::ServerKeyChanged { .. } => "server_key_changed",
            SyncError::Keyring(_) => "keyring",
            SyncError::TokenMalformed => "token_malformed",
            SyncError::NotAnAddress { .. } => "not_an_address",
            SyncError::ProxyInvalid { .. } => "proxy_invalid",
            SyncError::PaksBusy { .. } => "paks_busy",
            SyncError::CannotCancel => "cannot_cancel",
            SyncError::AlreadySent => "already_sent",
            SyncError::CaseRulesUnmet { .. } => "case_rules_unmet",
            SyncError::Invalid(_) => "invalid",
            SyncError::Database(_) => "outbox",
            SyncError::DamagedJob(_) => "damaged_job",
            SyncError::UpdateSignature(_) => "update_signature_bad",
            SyncError::ExportUnwritable { .. } => "export_unwritable",
            SyncError::Publication(e) => e.code(),
            SyncError::Core(e) => e.code(),
            SyncError::Io(_) => "io",
        }
    }
}

impl SyncError {
    /// The code and the parameters the UI words in the user's language; what PAKS or the
    /// system said travels as `detail`, shown as it is.
    pub fn ui_message(&self) -> UiMessage {
        let message = UiMessage::new(self.code());
        match self {
            SyncError::Offline(detail)
            | SyncError::NotPaks(detail)
            | SyncError::Garbled(detail)
            | SyncError::Unauthorized(detail)
            | SyncError::UploadExpired(detail)
            | SyncError::Refused(detail)
            | SyncError::BadReceipt(detail)
            | SyncError::Keyring(detail)
            | SyncError::Invalid(detail)
            | SyncError::Database(detail)
            | SyncError::DamagedJob(detail)
            | SyncError::UpdateSignature(detail) => message.with("detail", detail),
            SyncError::Server { status, detail } => {
                message.with("status", *status).with("detail", detail)
            }
            SyncError::RateLimited { retry_after } | SyncError::StillWorking { retry_after } => {
                message.with("seconds", retry_after.as_secs().max(1))
            }
            SyncError::FileChanged { name } => message.with("name", name),
            SyncError::FileMissing { name, reason } => {
                message.with("name", name).with("detail", reason)
            }
            SyncError::AddressUnreachable { url, reason } => {
                message.with("url", url).with("detail", reason)
            }
            SyncError::NotPaksAddress { url, detail } => {
                message.with("url", url).with("detail", detail)
            }
            SyncError::InsecureAddress { url } => message.with("url", url),
            SyncError::ServerKeyChanged { url, old_key_id, new_key_id } => message
                .with("url", url)
                .with("old_key_id", old_key_id)
                .with("new_key_id", new_key_id),
            SyncError::NotConnected
            | SyncError::TokenMalformed
            | SyncError::CannotCancel
            | SyncError::AlreadySent => message,
            SyncError::NotAnAddress { url } => message.with("url", url),
            SyncError::ProxyInvalid { proxy } => message.with("proxy", proxy),
            SyncError::PaksBusy { url, detail } => message.with("url", url).with("detail", detail),
            SyncError::CaseRulesUnmet { fields } => message.with("fields", fields),
            SyncError::ExportUnwritable { path, detail } => {
                message.with("path", path).with("detail", detail)
            }
            SyncError::Publication(e) => match e {
                paks_publication::PublicationError::UnknownFormat(path) => {
                    message.with("path", path)
                }
                e => message.with("detail", e.to_string()),
            },
            SyncError::Core(e) => e.ui_message(),
            SyncError::Io(e) => message.with("detail", e.to_string()),
        }
    }
}

impl SyncError {
    /// The case's fields that PAKS's rules refuse, named by their place in the case document
    /// (`summary`, `mdg_links/0/note`), which reads the same in every language.
    pub fn rules_unmet(errors: &[paks_protocol::FieldError]) -> Self {
        let mut fields: Vec<&str> = errors
            .iter()
            .map(|e| e.pointer.trim_start_matches("/case/").trim_start_matches('/'))
            .collect();
        fields.dedup();
        SyncError::CaseRulesUnmet { fields: fields.join(", ") }
    }

    /// The parameters of `ui_message()` as JSON, as the outbox keeps them beside the code.
    pub fn ui_message_params_json(&self) -> String {
        serde_json::to_string(&self.ui_message().params).unwrap_or_else(|_| "{}".to_owned())
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            // A stored value this build cannot read (an unknown state, a wrong type): retrying
            // reads the same value again.
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => SyncError::DamagedJob(e.to_string()),
            _ => SyncError::Database(e.to_string()),
        }
    }
}

impl From<reqwest::Error> for SyncError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_decode() {
            return SyncError::Garbled(e.to_string());
        }
        // Connect, timeout, reset, broken body: the path to PAKS is down or flaky.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        SyncError::Offline(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_gets_codes_with_params_and_core_errors_keep_theirs() {
        let wait = SyncError::RateLimited { retry_after: Duration::from_millis(200) }.ui_message();
        assert_eq!(wait.code, "rate_limited");
        assert_eq!(wait.params["seconds"], desk_core::MessageParam::Number(1));
        let key = SyncError::ServerKeyChanged {
            url: "https://paks.example.org/".into(),
            old_key_id: "aa".into(),
            new_key_id: "bb".into(),
        }
        .ui_message();
        assert_eq!(key.params.len(), 3);
        let core = SyncError::Core(desk_core::Error::CaseNotFound(7)).ui_message();
        assert_eq!(
            (core.code.as_str(), &core.params["id"]),
            ("case_not_found", &desk_core::MessageParam::Number(7))
        );
    }

    #[test]
    fn what_the_person_can_correct_travels_as_a_code_not_an_english_sentence() {
        let rules = SyncError::rules_unmet(&[
            paks_protocol::FieldError { pointer: "/case/summary".into(), message: "x".into() },
            paks_protocol::FieldError { pointer: "/case/summary".into(), message: "y".into() },
            paks_protocol::FieldError { pointer: "/case/mdg_links/0".into(), message: "z".into() },
        ])
        .ui_message();
        assert_eq!(rules.code, "case_rules_unmet");
        assert_eq!(
            rules.params["fields"],
            desk_core::MessageParam::Text("summary, mdg_links/0".into())
        );
        for (url, code) in
            [("paks.example.org", "not_an_address"), ("ftp://paks.org", "not_an_address")]
        {
            let err = crate::client::PaksClient::new(url, "t", Default::default()).err();
            let message = err.map(|e| e.ui_message());
            assert_eq!(message.as_ref().map(|m| m.code.as_str()), Some(code), "{url}");
            assert_eq!(
                message.map(|m| m.params["url"].clone()),
                Some(desk_core::MessageParam::Text(url.into()))
            );
        }
        let options = crate::client::ClientOptions {
            proxy: Some("http://[::1".into()),
            ..Default::default()
        };
        let err = crate::client::PaksClient::new("https://paks.example.org", "t", options).err();
        assert_eq!(err.map(|e| e.code()), Some("proxy_invalid"));
    }

    #[test]
    fn transient_and_permanent_are_told_apart() {
        assert!(SyncError::Offline("reset".into()).is_transient());
        assert!(SyncError::Server { status: 503, detail: "x".into() }.is_transient());
        assert!(SyncError::RateLimited { retry_after: Duration::from_secs(3) }.is_transient());
        assert!(!SyncError::Unauthorized("revoked".into()).is_transient());
        assert!(!SyncError::FileChanged { name: "a.pdf".into() }.is_transient());
        assert!(!SyncError::Refused("bad".into()).is_transient());
        assert_eq!(SyncError::NotConnected.code(), "not_connected");
        let msg = SyncError::FileChanged { name: "deck.pptx".into() }.to_string();
        assert!(msg.contains("deck.pptx") && msg.contains("new version"), "{msg}");
    }
}
