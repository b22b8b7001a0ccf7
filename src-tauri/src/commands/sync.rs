use std::sync::Arc;

use desk_core::{Case, Store, UiMessage};
use desk_sync::{Command, KeyChange, SyncSettings, cancel_submission, now_ms, submit_case};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::background_sync::SyncState;
use crate::error::{CommandError, CommandResult};
use crate::outbox_view::OutboxItem;
use crate::ui_events::Connectivity;

/// The settings screen: where PAKS is, how to reach it, how fast to send.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SendingSettings {
    pub paks_url: Option<String>,
    pub server_name: Option<String>,
    /// An explicit HTTP(S) proxy; without one the system's (environment) proxy is used.
    pub proxy: Option<String>,
    /// Upload cap in kbit/s, so a shared office link is not choked.
    pub bandwidth_kbps: Option<u32>,
    pub auto_send: bool,
}

impl From<SyncSettings> for SendingSettings {
    fn from(s: SyncSettings) -> Self {
        Self {
            paks_url: s.paks_url,
            server_name: s.server_name,
            proxy: s.proxy,
            bandwidth_kbps: s.bandwidth_kbps,
            auto_send: s.auto_send,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectedView {
    pub paks_url: String,
    pub server_name: String,
    /// True when this address answered with another key than before: say so.
    pub key_changed: bool,
    /// Where the token is kept (`token_in_keyring`, or `token_in_file` with `path` and `detail`).
    pub token_kept: UiMessage,
}

fn token_kept(location: &desk_sync::TokenLocation) -> UiMessage {
    match location {
        desk_sync::TokenLocation::Keyring => UiMessage::new("token_in_keyring"),
        desk_sync::TokenLocation::File { path, reason } => UiMessage::new("token_in_file")
            .with("path", path.as_path())
            .with("detail", reason.as_str()),
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_settings_get(store: State<'_, Arc<Store>>) -> CommandResult<SendingSettings> {
    Ok(SyncSettings::load(&store)?.into())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_settings_set(
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    proxy: Option<String>,
    bandwidth_kbps: Option<u32>,
    auto_send: bool,
) -> CommandResult<SendingSettings> {
    let mut settings = SyncSettings::load(&store)?;
    settings.proxy = proxy.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    settings.bandwidth_kbps = bandwidth_kbps.filter(|k| *k > 0);
    settings.auto_send = auto_send;
    settings.save(&store)?;
    sync.send_now();
    Ok(settings.into())
}

/// Checks the address is a real PAKS that accepts the token, then keeps both. An address whose
/// key changed fails with `server_key_changed` (old and new key ids in `params`) until the
/// person confirms with `accept_new_key`.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_connect(
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    url: String,
    token: String,
    accept_new_key: bool,
) -> CommandResult<ConnectedView> {
    let key_change = if accept_new_key { KeyChange::Accept } else { KeyChange::Refuse };
    let connected =
        desk_sync::connect(&store, store.dir(), url.trim(), token.trim(), None, key_change).await?;
    sync.set_connectivity(Connectivity::Online);
    sync.send_now();
    Ok(ConnectedView {
        paks_url: connected.paks_url,
        server_name: connected.server_name,
        key_changed: connected.key_changed,
        token_kept: token_kept(&connected.token_location),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_connectivity(sync: State<'_, SyncState>) -> CommandResult<Connectivity> {
    Ok(sync.connectivity())
}

/// "Send now": check PAKS and send what waits, even with automatic sending off.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(sync: State<'_, SyncState>) -> CommandResult<()> {
    if sync.send_now() { Ok(()) } else { Err(worker_stopped()) }
}

/// One click: checks the case, freezes it with its files in the outbox, and starts sending.
#[tauri::command(rename_all = "snake_case")]
pub async fn case_submit(
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    id: i64,
) -> CommandResult<OutboxItem> {
    let job = submit_case(&store, &sync.outbox, id, &[], now_ms())?;
    sync.handle.try_send(Command::Kick);
    let entry = sync.outbox.entries()?.into_iter().find(|e| e.submission.id == job.id);
    entry.map(|e| OutboxItem::from(&e)).ok_or_else(worker_stopped)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn outbox_list(sync: State<'_, SyncState>) -> CommandResult<Vec<OutboxItem>> {
    Ok(sync.outbox.entries()?.iter().map(OutboxItem::from).collect())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn outbox_retry(sync: State<'_, SyncState>, job_id: i64) -> CommandResult<()> {
    sync.handle.try_send(Command::NetworkBack);
    if sync.handle.try_send(Command::RetryNow(job_id)) { Ok(()) } else { Err(worker_stopped()) }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn outbox_cancel(
    store: State<'_, Arc<Store>>,
    sync: State<'_, SyncState>,
    job_id: i64,
) -> CommandResult<Case> {
    Ok(cancel_submission(&store, &sync.outbox, job_id)?)
}

/// "Edit and resubmit": a new draft version of a case PAKS already has.
#[tauri::command(rename_all = "snake_case")]
pub async fn case_new_version(store: State<'_, Arc<Store>>, id: i64) -> CommandResult<Case> {
    Ok(store.new_version(id)?)
}

fn worker_stopped() -> CommandError {
    CommandError::new(
        "sync_stopped",
        "Sending has stopped inside PAKS Desk. Close PAKS Desk and open it again; nothing is lost.",
    )
}
