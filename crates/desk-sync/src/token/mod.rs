//! The focal point's API token: never in SQLite. It is kept in the OS keyring; where none can be
//! used (a headless Linux machine without a Secret Service, a locked keyring nobody unlocks) it
//! is kept in a file that only the user can read, and the caller is told so and why.
//!
//! The token lives in exactly one place: saving to the keyring removes the file, and `load`
//! reads the file first, so a machine without a keyring never waits on D-Bus.

mod os_keyring;
mod private_file;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Result, SyncError};
use os_keyring::OsKeyring;

pub use os_keyring::SERVICE as KEYRING_SERVICE;
pub use private_file::TOKEN_FILE;

/// Set to `off` to keep the token in the file even where a keyring runs.
pub const KEYRING_ENV: &str = "PAKS_DESK_KEYRING";

/// Where the token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenLocation {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A file readable only by this user (mode 0600), because the keyring could not be used.
    File { path: PathBuf, reason: String },
}

impl TokenLocation {
    /// A sentence for the person.
    pub fn describe(&self) -> String {
        match self {
            TokenLocation::Keyring => "The token is kept in the system keyring.".into(),
            TokenLocation::File { path, reason } => format!(
                "The token is kept in {} (readable only by you), not in the system keyring: {reason}.",
                path.display()
            ),
        }
    }
}

/// Token storage for one data folder.
#[derive(Debug, Clone)]
pub struct TokenStore {
    file: PathBuf,
    keyring: Option<OsKeyring>,
}

impl TokenStore {
    /// The keyring is used unless `PAKS_DESK_KEYRING=off`.
    pub fn new(data_dir: &Path) -> Self {
        let off = std::env::var(KEYRING_ENV).is_ok_and(|v| v.trim().eq_ignore_ascii_case("off"));
        Self {
            file: data_dir.join(TOKEN_FILE),
            keyring: (!off).then(|| OsKeyring::for_data_dir(data_dir)),
        }
    }

    /// Keeps the token in the private file only, never asking a keyring (harnesses and tests
    /// that must not touch the developer's own keyring).
    pub fn file_only(data_dir: &Path) -> Self {
        Self { file: data_dir.join(TOKEN_FILE), keyring: None }
    }

    /// Keeps the token in the keyring, or in the private file when the keyring cannot be used;
    /// says where and why.
    pub fn save(&self, token: &str) -> Result<TokenLocation> {
        let token = token.trim();
        if token.is_empty() || token.chars().any(char::is_control) {
            return Err(SyncError::TokenMalformed);
        }
        let reason = match &self.keyring {
            Some(keyring) => match keyring.set(token) {
                Ok(()) => {
                    private_file::remove(&self.file)?;
                    return Ok(TokenLocation::Keyring);
                }
                Err(reason) => reason,
            },
            None => format!("{KEYRING_ENV}=off"),
        };
        private_file::write(&self.file, token)?;
        Ok(TokenLocation::File { path: self.file.clone(), reason })
    }

    pub fn load(&self) -> Result<Option<String>> {
        if let Some(token) = private_file::read(&self.file)? {
            return Ok(Some(token));
        }
        match &self.keyring {
            Some(keyring) => keyring.get().map_err(SyncError::Keyring),
            None => Ok(None),
        }
    }

    /// Where the token is now (None: there is none).
    pub fn location(&self) -> Result<Option<TokenLocation>> {
        if private_file::read(&self.file)?.is_some() {
            let reason = match &self.keyring {
                None => format!("{KEYRING_ENV}=off"),
                Some(keyring) => match keyring.get() {
                    Err(reason) => reason,
                    Ok(_) => "the system keyring was not available when you connected; connect again to move the token there".into(),
                },
            };
            return Ok(Some(TokenLocation::File { path: self.file.clone(), reason }));
        }
        match &self.keyring {
            Some(keyring) => match keyring.get() {
                Ok(Some(_)) => Ok(Some(TokenLocation::Keyring)),
                Ok(None) => Ok(None),
                Err(reason) => Err(SyncError::Keyring(reason)),
            },
            None => Ok(None),
        }
    }

    /// Forgets the token everywhere it may be.
    pub fn clear(&self) -> Result<()> {
        private_file::remove(&self.file)?;
        match &self.keyring {
            Some(keyring) => keyring.delete().map_err(SyncError::Keyring),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_the_keyring_off_the_token_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::file_only(dir.path());
        assert_eq!(store.load().unwrap(), None);
        assert_eq!(store.location().unwrap(), None);
        let at = store.save(" secret-token \n").unwrap();
        assert!(at.describe().contains("readable only by you"), "{}", at.describe());
        assert!(matches!(&at, TokenLocation::File { reason, .. } if reason.contains("off")));
        assert_eq!(store.load().unwrap().as_deref(), Some("secret-token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.save("second").unwrap();
        assert_eq!(store.load().unwrap().as_deref(), Some("second"));
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn a_token_with_control_characters_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::file_only(dir.path());
        assert!(store.save("abc\u{7}def").is_err());
        assert!(store.save("   ").is_err());
        assert_eq!(store.load().unwrap(), None);
    }
}
