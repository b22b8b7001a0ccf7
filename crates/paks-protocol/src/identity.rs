use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::receipt::{decode_public_key, key_id, verify_signature};

/// Value of `ServerIdentity::service` on every PAKS server.
pub const PAKS_SERVICE: &str = "paks-submission";

/// Domain separation prefix of the bytes an identity challenge signature covers.
pub const IDENTITY_SIGNING_CONTEXT: &[u8] = b"paks-identity-v1\n";

/// Body of `GET /api/v1/identity[?challenge=...]`: proves the app reaches a real PAKS server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerIdentity {
    /// Always [`PAKS_SERVICE`].
    pub service: String,
    /// Operator-chosen display name of this server.
    pub name: String,
    /// `1` for `/api/v1`.
    pub api_version: String,
    /// Standard base64 of the server's 32-byte Ed25519 public key, which signs receipts.
    pub public_key: String,
    /// First 16 hex digits of SHA-256 of the public key.
    pub key_id: String,
    /// Server time, RFC 3339 UTC.
    pub time: String,
    pub tus: TusCapabilities,
    /// The `challenge` query parameter, echoed.
    pub challenge: Option<String>,
    /// Standard base64 Ed25519 signature over [`identity_signing_bytes`] of the challenge.
    pub challenge_signature: Option<String>,
}

/// What the tus endpoint supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TusCapabilities {
    pub endpoint: String,
    pub version: String,
    pub extensions: Vec<String>,
    pub checksum_algorithms: Vec<String>,
    pub max_size: u64,
}

/// Bytes the server signs to answer an identity challenge.
pub fn identity_signing_bytes(challenge: &str) -> Vec<u8> {
    let mut bytes = IDENTITY_SIGNING_CONTEXT.to_vec();
    bytes.extend_from_slice(challenge.as_bytes());
    bytes
}

/// Checks that `identity` comes from a PAKS server holding the private half of the pinned
/// `public_key` (standard base64), and that it answers this fresh `challenge`: a captive
/// portal or another server cannot produce it.
pub fn verify_identity(
    public_key: &str,
    challenge: &str,
    identity: &ServerIdentity,
) -> Result<(), ProtocolError> {
    if identity.service != PAKS_SERVICE {
        return Err(ProtocolError::NotPaks(identity.service.clone()));
    }
    let key = decode_public_key(public_key)?;
    let expected = key_id(&key);
    if identity.key_id != expected || identity.public_key.trim() != public_key.trim() {
        return Err(ProtocolError::KeyMismatch { expected, found: identity.key_id.clone() });
    }
    let found = identity.challenge.clone().unwrap_or_default();
    if found != challenge {
        return Err(ProtocolError::ChallengeMismatch { expected: challenge.to_owned(), found });
    }
    let signature =
        identity.challenge_signature.as_deref().ok_or(ProtocolError::MissingChallengeSignature)?;
    verify_signature(&key, &identity_signing_bytes(challenge), signature)
}
