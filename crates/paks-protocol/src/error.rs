/// Errors of the pure protocol functions (signature verification, canonical encoding).
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("the server public key is not 32 bytes of standard base64: {0}")]
    InvalidPublicKey(String),
    #[error("the signature is not 64 bytes of standard base64")]
    InvalidSignatureEncoding,
    #[error("the signature does not verify with the pinned server key")]
    BadSignature,
    #[error("the receipt was signed with key {found}, not the pinned key {expected}")]
    KeyMismatch { expected: String, found: String },
    #[error("unsupported receipt version {0}")]
    UnsupportedReceiptVersion(u32),
    #[error("the identity answer carries no challenge signature")]
    MissingChallengeSignature,
    #[error("the identity answer is for challenge {found:?}, not {expected:?}")]
    ChallengeMismatch { expected: String, found: String },
    #[error("not a PAKS server: service is {0:?}")]
    NotPaks(String),
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}
