use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ProtocolError;

/// Version of the receipt format and of its signing rule.
pub const RECEIPT_VERSION: u32 = 1;

/// Domain separation prefix of the bytes a receipt signature covers.
pub const RECEIPT_SIGNING_CONTEXT: &[u8] = b"paks-receipt-v1\n";

/// The server's signed acknowledgement of a submission.
///
/// The signature is Ed25519 over [`RECEIPT_SIGNING_CONTEXT`] followed by the compact JSON of
/// this object without `signature`, members in the order declared here (see
/// [`Receipt::signing_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub receipt_version: u32,
    pub server_name: String,
    pub submission_id: Uuid,
    pub case_uid: Uuid,
    pub version: u32,
    pub replaces: Option<Uuid>,
    pub country: String,
    /// RFC 3339, UTC.
    pub received_at: String,
    /// SHA-256 of the canonical case document (see `CaseDocument`).
    pub case_sha256: String,
    pub files: Vec<ReceiptFile>,
    /// [`key_id`] of the signing key.
    pub key_id: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// One file as the server received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptFile {
    pub upload_id: Uuid,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Serialize)]
struct SignedPart<'a> {
    receipt_version: u32,
    server_name: &'a str,
    submission_id: Uuid,
    case_uid: Uuid,
    version: u32,
    replaces: Option<Uuid>,
    country: &'a str,
    received_at: &'a str,
    case_sha256: &'a str,
    files: &'a [ReceiptFile],
    key_id: &'a str,
}

impl Receipt {
    /// The exact bytes the signature covers.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, ProtocolError> {
        let part = SignedPart {
            receipt_version: self.receipt_version,
            server_name: &self.server_name,
            submission_id: self.submission_id,
            case_uid: self.case_uid,
            version: self.version,
            replaces: self.replaces,
            country: &self.country,
            received_at: &self.received_at,
            case_sha256: &self.case_sha256,
            files: &self.files,
            key_id: &self.key_id,
        };
        let mut bytes = RECEIPT_SIGNING_CONTEXT.to_vec();
        serde_json::to_writer(&mut bytes, &part)?;
        Ok(bytes)
    }
}

pub(crate) fn decode_public_key(public_key: &str) -> Result<VerifyingKey, ProtocolError> {
    let bytes = STANDARD
        .decode(public_key.trim())
        .map_err(|e| ProtocolError::InvalidPublicKey(e.to_string()))?;
    let arr: [u8; 32] =
        bytes.try_into().map_err(|_| ProtocolError::InvalidPublicKey("not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&arr).map_err(|e| ProtocolError::InvalidPublicKey(e.to_string()))
}

pub(crate) fn verify_signature(
    key: &VerifyingKey,
    message: &[u8],
    signature_b64: &str,
) -> Result<(), ProtocolError> {
    let bytes =
        STANDARD.decode(signature_b64).map_err(|_| ProtocolError::InvalidSignatureEncoding)?;
    let arr: [u8; 64] = bytes.try_into().map_err(|_| ProtocolError::InvalidSignatureEncoding)?;
    let signature = Signature::from_bytes(&arr);
    key.verify_strict(message, &signature).map_err(|_| ProtocolError::BadSignature)
}

/// Short identifier of a server key: the first 16 hex digits of SHA-256 of its 32 bytes.
pub fn key_id(public_key: &VerifyingKey) -> String {
    crate::sha256_hex(public_key.as_bytes())[..16].to_owned()
}

/// [`key_id`] of a public key in standard base64, as `ServerIdentity::public_key` gives it.
pub fn public_key_id(public_key: &str) -> Result<String, ProtocolError> {
    Ok(key_id(&decode_public_key(public_key)?))
}

/// Verifies that `receipt` was issued by the server whose Ed25519 public key (standard base64,
/// as `ServerIdentity::public_key` gives it and as the app pins it) is `public_key`.
///
/// This proves the receipt's every field; the caller still compares `case_sha256` with
/// `case_sha256(&its_case)` and the files with its own.
pub fn verify_receipt(public_key: &str, receipt: &Receipt) -> Result<(), ProtocolError> {
    if receipt.receipt_version != RECEIPT_VERSION {
        return Err(ProtocolError::UnsupportedReceiptVersion(receipt.receipt_version));
    }
    let key = decode_public_key(public_key)?;
    let expected = key_id(&key);
    if receipt.key_id != expected {
        return Err(ProtocolError::KeyMismatch { expected, found: receipt.key_id.clone() });
    }
    verify_signature(&key, &receipt.signing_bytes()?, &receipt.signature)
}
