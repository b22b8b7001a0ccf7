//! Updates of PAKS Desk itself. PAKS offers a newer release; desk-sync downloads it with its
//! resumable client into the data folder and checks its SHA-256 and signature; Tauri's updater
//! plugin installs it from those verified bytes, only when the person asks, and the app restarts.

use std::path::PathBuf;
use std::sync::Arc;

use desk_core::Store;
use desk_sync::update::{
    DownloadOptions, UpdateOffer, download_update, this_platform, update_client, verified_path,
    verify_signature,
};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_updater::UpdaterExt;

use crate::error::{CommandError, CommandResult};
use crate::ui_events;

fn updates_dir() -> CommandResult<PathBuf> {
    Ok(crate::data_dir()?.join("updates"))
}

/// The minisign public key of tauri.conf.json's `plugins.updater.pubkey`.
fn public_key(app: &AppHandle) -> CommandResult<String> {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("pubkey"))
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            CommandError::new("update_no_key", "This build of PAKS Desk cannot check updates.")
        })
}

fn platform() -> CommandResult<(&'static str, &'static str)> {
    this_platform().ok_or_else(|| {
        CommandError::new("update_unsupported", "PAKS offers no updates for this system.")
    })
}

fn install_failed(err: impl std::fmt::Display) -> CommandError {
    CommandError::new(
        "update_install_failed",
        format!("The update could not be installed ({err}). The version you have keeps working."),
    )
}

/// The newer release PAKS offers, if any.
#[tauri::command(rename_all = "snake_case")]
pub async fn update_check(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
) -> CommandResult<Option<UpdateOffer>> {
    let (target, arch) = platform()?;
    let current = app.package_info().version.to_string();
    Ok(update_client(&store)?.update_offer(target, arch, &current).await?)
}

/// Downloads and verifies `offer`, resuming what an earlier run left; progress goes out as
/// `update-progress` events.
#[tauri::command(rename_all = "snake_case")]
pub async fn update_download(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    offer: UpdateOffer,
) -> CommandResult<()> {
    let client = update_client(&store)?;
    let key = public_key(&app)?;
    let options = DownloadOptions::default();
    download_update(&client, &offer, &key, &updates_dir()?, &options, |progress| {
        let _ = app.emit(ui_events::UPDATE_PROGRESS, progress);
    })
    .await?;
    Ok(())
}

/// Installs the downloaded `offer` through Tauri's updater, then restarts into it.
#[tauri::command(rename_all = "snake_case")]
pub async fn update_install(
    app: AppHandle,
    store: State<'_, Arc<Store>>,
    offer: UpdateOffer,
) -> CommandResult<()> {
    let path = verified_path(&updates_dir()?, &offer);
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        CommandError::new(
            "update_not_downloaded",
            format!("The update is not downloaded ({e}); download it first."),
        )
    })?;
    // The file may have changed on disk since it was checked.
    verify_signature(&bytes, &offer.signature, &public_key(&app)?)?;
    let (target, arch) = platform()?;
    let current = app.package_info().version.to_string();
    let feed = update_client(&store)?.update_feed_url(target, arch, &current)?;
    let update = app
        .updater_builder()
        .endpoints(vec![feed])
        .and_then(|b| b.build())
        .map_err(install_failed)?
        .check()
        .await
        .map_err(install_failed)?
        .filter(|u| u.version == offer.version)
        .ok_or_else(|| install_failed("PAKS no longer offers this version"))?;
    update.install(&bytes).map_err(install_failed)?;
    app.restart()
}
