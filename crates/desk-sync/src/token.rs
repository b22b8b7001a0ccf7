//! The focal point's API token: never in SQLite. It belongs in the OS keyring; where none is
//! available (a headless Linux machine without a Secret Service) it is kept in a file that only
//! the user can read, and the caller is told so.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Result, SyncError};

pub const TOKEN_FILE: &str = "paks-token";

/// Where the token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenLocation {
    Keyring,
    /// A file readable only by this user (mode 0600).
    File {
        path: PathBuf,
    },
}

impl TokenLocation {
    /// A sentence for the person.
    pub fn describe(&self) -> String {
        match self {
            TokenLocation::Keyring => "The token is kept in the system keyring.".into(),
            TokenLocation::File { path } => format!(
                "No system keyring is available here, so the token is kept in {} (readable only by you).",
                path.display()
            ),
        }
    }
}

/// Token storage for one data folder. The OS keyring backend is not wired yet (see
/// docs/sync.md); today the token is always kept in a private file in the data folder.
#[derive(Debug, Clone)]
pub struct TokenStore {
    file: PathBuf,
}

impl TokenStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { file: data_dir.join(TOKEN_FILE) }
    }

    /// Keeps the token in the private file; says where.
    pub fn save(&self, token: &str) -> Result<TokenLocation> {
        let token = token.trim();
        if token.is_empty() || token.chars().any(char::is_control) {
            return Err(SyncError::Invalid("The token is empty or has control characters.".into()));
        }
        self.save_file(token)?;
        Ok(TokenLocation::File { path: self.file.clone() })
    }

    pub fn load(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(&self.file) {
            Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn clear(&self) -> Result<()> {
        self.remove_file()
    }

    fn remove_file(&self) -> Result<()> {
        match std::fs::remove_file(&self.file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn save_file(&self, token: &str) -> Result<()> {
        if let Some(parent) = self.file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = self.file.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(token.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        assert_eq!(store.load().unwrap(), None);
        let at = store.save(" secret-token \n").unwrap();
        assert!(at.describe().contains("readable only by you"));
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
}
