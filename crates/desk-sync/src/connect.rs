//! Connecting the app to a PAKS server: check that the address is a real PAKS (a signed answer
//! to a fresh challenge), that it accepts the token, then pin its key and keep the token.

use std::path::Path;

use desk_core::Store;
use serde::Serialize;

use crate::client::{ClientOptions, PaksClient};
use crate::error::{Result, SyncError};
use crate::settings::SyncSettings;
use crate::token::{TokenLocation, TokenStore};

#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    pub paks_url: String,
    pub server_name: String,
    pub key_id: String,
    /// True when this address was known before with another key (pinned now, as confirmed).
    pub key_changed: bool,
    pub token_location: TokenLocation,
}

/// What to do when the address answers with another key than the one pinned for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// Fail with `ServerKeyChanged` (the default: the person is asked first).
    Refuse,
    /// The person confirmed the new key (the PAKS team said it changed): pin it.
    Accept,
}

/// Checks `url` and `token` against PAKS and stores them (the token outside SQLite). An address
/// that answers with another key than the one pinned for it is refused before the token is
/// sent, unless `key_change` is `Accept`.
pub async fn connect(
    store: &Store,
    data_dir: &Path,
    url: &str,
    token: &str,
    proxy: Option<String>,
    key_change: KeyChange,
) -> Result<Connected> {
    if token.trim().is_empty() {
        return Err(SyncError::TokenMalformed);
    }
    let mut settings = SyncSettings::load(store)?;
    let options = ClientOptions {
        proxy: proxy.clone().or_else(|| settings.proxy.clone()),
        ..ClientOptions::default()
    };
    let client = PaksClient::new(url, token, options)?;
    let identity = client.identity(None).await.map_err(|e| at_connect(client.base_url(), e))?;
    let pinned = settings
        .server_key
        .as_deref()
        .filter(|_| settings.paks_url.as_deref() == Some(client.base_url()));
    let key_changed = pinned.is_some_and(|k| k.trim() != identity.public_key.trim());
    if key_changed && key_change == KeyChange::Refuse {
        return Err(SyncError::ServerKeyChanged {
            url: client.base_url().to_owned(),
            old_key_id: pinned
                .and_then(|k| paks_protocol::public_key_id(k).ok())
                .unwrap_or_else(|| "unreadable".to_owned()),
            new_key_id: identity.key_id,
        });
    }
    client.check_token().await.map_err(|e| at_connect(client.base_url(), e))?;
    let token_location = TokenStore::new(data_dir).save(token)?;
    settings.paks_url = Some(client.base_url().to_owned());
    settings.server_key = Some(identity.public_key.clone());
    settings.server_name = Some(identity.name.clone());
    if proxy.is_some() {
        settings.proxy = proxy;
    }
    settings.save(store)?;
    Ok(Connected {
        paks_url: client.base_url().to_owned(),
        server_name: identity.name,
        key_id: identity.key_id,
        key_changed,
        token_location,
    })
}

/// At `connect` nothing resumes by itself and the address is the likeliest fault: errors that
/// say PAKS did not answer, or something else did, say to check the address.
fn at_connect(url: &str, err: SyncError) -> SyncError {
    match err {
        SyncError::Offline(reason) => {
            SyncError::AddressUnreachable { url: url.to_owned(), reason: plain_reason(&reason) }
        }
        SyncError::NotPaks(detail) | SyncError::Refused(detail) | SyncError::Garbled(detail) => {
            SyncError::NotPaksAddress { url: url.to_owned(), detail }
        }
        SyncError::Server { status, detail } => {
            SyncError::PaksBusy { url: url.to_owned(), detail: format!("{status}: {detail}") }
        }
        SyncError::RateLimited { .. } | SyncError::StillWorking { .. } => {
            SyncError::PaksBusy { url: url.to_owned(), detail: "429".to_owned() }
        }
        other => other,
    }
}

/// The cause of a failed connection in words, from the HTTP client's chain of errors.
fn plain_reason(chain: &str) -> String {
    // The chain starts with "error sending request for url (…)": the address is not the cause.
    let cause = chain.split_once("): ").map_or(chain, |(_, rest)| rest);
    let lower = cause.to_ascii_lowercase();
    let plain = if lower.contains("connection refused") {
        "nothing answers at that address and port"
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        "the name is not known: check its spelling, or the connection"
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "no answer in time"
    } else if lower.contains("certificate") || lower.contains("tls") {
        "its security certificate is not valid"
    } else {
        return cause.rsplit(": ").next().unwrap_or(cause).to_owned();
    };
    plain.to_owned()
}

/// Whether the PAKS this data folder is connected to answers now: it must sign a fresh
/// challenge with the key pinned at `connect` (a captive portal's 200 is not PAKS).
/// `Err(NotConnected)` when no PAKS address or token is set.
pub async fn check_reachable(store: &Store, data_dir: &Path) -> Result<()> {
    let settings = SyncSettings::load(store)?;
    let (Some(url), Some(key)) = (settings.paks_url.as_deref(), settings.server_key.as_deref())
    else {
        return Err(crate::error::SyncError::NotConnected);
    };
    let token = TokenStore::new(data_dir).load()?.ok_or(crate::error::SyncError::NotConnected)?;
    let options = ClientOptions { proxy: settings.proxy.clone(), ..ClientOptions::default() };
    PaksClient::new(url, &token, options)?.identity(Some(key)).await.map(|_| ())
}
