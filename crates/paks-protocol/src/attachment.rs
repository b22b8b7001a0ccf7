use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::FieldError;

/// A file attached to a submission: an upload completed on the server's tus endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDescriptor {
    /// The id at the end of the tus upload URL `/api/v1/uploads/{upload_id}`.
    pub upload_id: Uuid,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    pub size: u64,
    /// Plain file name: no directory parts, no control characters.
    pub name: String,
    /// E.g. `application/pdf`.
    pub media_type: String,
}

/// Checks that `name` is a plain file name that is safe to offer for download.
pub fn validate_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.trim().is_empty() {
        return Err("file name is empty".into());
    }
    if name.len() > 255 {
        return Err("file name is longer than 255 bytes".into());
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." || name.contains(':') {
        return Err("file name has path parts".into());
    }
    if name.chars().any(char::is_control) {
        return Err("file name has control characters".into());
    }
    if name.chars().any(crate::is_bidi_control) {
        return Err("file name has invisible text-direction characters (such as U+202E), which can disguise its type".into());
    }
    Ok(())
}

/// A media type from a file name's extension, for the common kinds of attachment (a file that
/// arrives without one, e.g. in a hand-carried bag).
pub fn media_type_for_name(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    s.len() <= 255 && s.split_once('/').is_some_and(|(a, b)| token(a) && token(b))
}

impl AttachmentDescriptor {
    /// Checks the descriptor on its own; `index` places errors at `/attachments/{index}`.
    pub fn validate(&self, index: usize) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let at = |field: &str| format!("/attachments/{index}/{field}");
        if !crate::is_sha256_hex(&self.sha256) {
            errors.push(FieldError {
                pointer: at("sha256"),
                message: "must be 64 lower-case hex digits".into(),
            });
        }
        if let Err(message) = validate_file_name(&self.name) {
            errors.push(FieldError { pointer: at("name"), message });
        }
        if !is_media_type(&self.media_type) {
            errors.push(FieldError {
                pointer: at("media_type"),
                message: "must be a media type such as application/pdf".into(),
            });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
