//! Sync settings, kept in the case store's key/value settings (never the token: see `token`).

use desk_core::Store;

use crate::client::{ClientOptions, PaksClient};
use crate::error::{Result, SyncError};

pub const PAKS_URL: &str = "sync.paks_url";
pub const SERVER_KEY: &str = "sync.server_public_key";
pub const SERVER_NAME: &str = "sync.server_name";
pub const PROXY: &str = "sync.proxy";
pub const BANDWIDTH_KBPS: &str = "sync.bandwidth_kbps";
pub const AUTO_SEND: &str = "sync.auto_send";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncSettings {
    pub paks_url: Option<String>,
    /// The server's Ed25519 public key, pinned at `connect`; receipts must verify with it.
    pub server_key: Option<String>,
    pub server_name: Option<String>,
    /// Explicit HTTP(S) proxy; without it the environment's proxy variables apply.
    pub proxy: Option<String>,
    /// Upload cap in kbit/s.
    pub bandwidth_kbps: Option<u32>,
    /// Send automatically when PAKS becomes reachable (on by default).
    pub auto_send: bool,
}

impl SyncSettings {
    pub fn load(store: &Store) -> Result<Self> {
        let get = |key: &str| -> Result<Option<String>> {
            Ok(store.setting(key)?.filter(|v| !v.trim().is_empty()))
        };
        Ok(Self {
            paks_url: get(PAKS_URL)?,
            server_key: get(SERVER_KEY)?,
            server_name: get(SERVER_NAME)?,
            proxy: get(PROXY)?,
            bandwidth_kbps: get(BANDWIDTH_KBPS)?.and_then(|v| v.parse().ok()).filter(|k| *k > 0),
            auto_send: get(AUTO_SEND)?.is_none_or(|v| v != "false"),
        })
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        store.set_setting(PAKS_URL, &opt(&self.paks_url))?;
        store.set_setting(SERVER_KEY, &opt(&self.server_key))?;
        store.set_setting(SERVER_NAME, &opt(&self.server_name))?;
        store.set_setting(PROXY, &opt(&self.proxy))?;
        store.set_setting(
            BANDWIDTH_KBPS,
            &self.bandwidth_kbps.map(|k| k.to_string()).unwrap_or_default(),
        )?;
        store.set_setting(AUTO_SEND, if self.auto_send { "true" } else { "false" })?;
        Ok(())
    }

    /// A client for PAKS's public side (the change feed, published files, releases: no token is
    /// sent), with the desk's proxy and bandwidth cap.
    pub fn public_client(&self) -> Result<PaksClient> {
        let url = self.paks_url.as_deref().ok_or(SyncError::NotConnected)?;
        let options = ClientOptions {
            proxy: self.proxy.clone(),
            bandwidth_kbps: self.bandwidth_kbps,
            ..ClientOptions::default()
        };
        PaksClient::new(url, "", options)
    }
}
