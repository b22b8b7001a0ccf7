use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};

use crate::error::{Error, Result};

/// The server's Ed25519 key, which signs receipts and identity challenges.
pub struct ServerKey {
    key: SigningKey,
}

impl ServerKey {
    /// Loads the key from `path` (64 hex digits of the seed), creating it on first start.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| Error::BadKeyFile(path.into()))?;
                let seed: [u8; 32] =
                    bytes.try_into().map_err(|_| Error::BadKeyFile(path.into()))?;
                Ok(Self { key: SigningKey::from_bytes(&seed) })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
                let mut options = fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(Error::io(path))?;
                file.write_all(hex::encode(seed).as_bytes()).map_err(Error::io(path))?;
                file.sync_all().map_err(Error::io(path))?;
                Ok(Self { key: SigningKey::from_bytes(&seed) })
            }
            Err(e) => Err(Error::Io { path: path.into(), source: e }),
        }
    }

    /// Standard base64 of the public key, as the identity endpoint publishes it.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.key.verifying_key().as_bytes())
    }

    pub fn key_id(&self) -> String {
        paks_protocol::key_id(&self.key.verifying_key())
    }

    /// Standard base64 of the signature over `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.key.sign(message).to_bytes())
    }
}
