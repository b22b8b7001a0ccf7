//! Wire types of the PAKS submission protocol (API v1), shared by PAKS Desk and `paks-server`.
//!
//! Nothing here speaks HTTP: these are the JSON bodies, their validation rules, the canonical
//! form used for hashing, and the pure verification of what the server signs.

mod attachment;
mod case;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod identity;
mod problem;
mod public;
mod receipt;
mod schema;
mod status;
mod submission;

pub use attachment::{AttachmentDescriptor, media_type_for_name, validate_file_name};
pub use case::{
    CASE_SCHEMA_VERSION, CaseDocument, FocalPointContact, MdgLink, SdgLink, TextSection,
    canonical_case_json, case_sha256,
};
pub use error::ProtocolError;
pub use identity::{
    IDENTITY_SIGNING_CONTEXT, PAKS_SERVICE, ServerIdentity, TusCapabilities,
    identity_signing_bytes, verify_identity,
};
pub use problem::{FieldError, PROBLEM_CONTENT_TYPE, Problem, ProblemType};
pub use public::{
    PublicChange, PublicChangeKind, PublicChangePage, PublishedCase, PublishedCaseList,
    PublishedCaseSummary, PublishedFile,
};
pub use receipt::{
    RECEIPT_SIGNING_CONTEXT, RECEIPT_VERSION, Receipt, ReceiptFile, key_id, public_key_id,
    verify_receipt,
};
pub use schema::component_schemas;
pub use status::{SubmissionState, SubmissionStatus};
pub use submission::SubmissionRequest;

/// Version segment of every API path: `/api/v1/...`.
pub const API_VERSION: &str = "1";

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Unicode's invisible text-direction controls: embeddings and overrides (U+202A–U+202E),
/// isolates (U+2066–U+2069) and marks (U+200E, U+200F, U+061C). `char::is_control` lets them
/// through, yet in a name they reorder what is shown: `report\u{202E}fdp.exe` reads as
/// `reportexe.pdf`. Titles and file names refuse them; the desk drops them from file names.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True for 64 lower-case hex digits, the form every SHA-256 takes on the wire.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests;
