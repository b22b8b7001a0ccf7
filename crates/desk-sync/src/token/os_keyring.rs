//! The OS keyring through the `keyring` crate: the Secret Service on Linux (over D-Bus), the
//! Keychain on macOS, the Credential Manager on Windows. Every call runs on its own thread with a
//! time limit: a locked Secret Service may wait for an unlock prompt that nobody will answer
//! (a headless session), and the app must fall back to the file instead of hanging.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// The keyring's service name; the account is the absolute data folder, so two data folders
/// keep two tokens.
pub const SERVICE: &str = "paks-desk";

const TIME_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub(super) struct OsKeyring {
    account: String,
}

impl OsKeyring {
    pub(super) fn for_data_dir(data_dir: &Path) -> Self {
        let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
        Self { account: absolute.to_string_lossy().into_owned() }
    }

    /// Stores the token and reads it back; the error says why the keyring cannot be used.
    pub(super) fn set(&self, token: &str) -> Result<(), String> {
        let token = token.to_owned();
        self.call(move |entry| {
            entry.set_password(&token)?;
            match entry.get_password() {
                Ok(back) if back == token => Ok(Ok(())),
                Ok(_) => Ok(Err("the keyring returned another value than the one stored".into())),
                Err(e) => Err(e),
            }
        })?
    }

    pub(super) fn get(&self) -> Result<Option<String>, String> {
        self.call(|entry| match entry.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    pub(super) fn delete(&self) -> Result<(), String> {
        self.call(|entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, String> {
        let account = self.account.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("paks-keyring".into())
            .spawn(move || {
                let outcome = keyring::Entry::new(SERVICE, &account).and_then(|e| f(&e));
                let _ = tx.send(outcome.map_err(|e| describe(&e)));
            })
            .map_err(|e| format!("could not start the keyring call: {e}"))?;
        rx.recv_timeout(TIME_LIMIT).unwrap_or_else(|_| {
            Err(format!(
                "the system keyring did not answer within {} seconds (is it locked?)",
                TIME_LIMIT.as_secs()
            ))
        })
    }
}

/// The error and its causes on one line (the D-Bus reason is in a cause).
fn describe(e: &keyring::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let line = s.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = s.source();
    }
    text
}
