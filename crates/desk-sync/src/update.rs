//! PAKS Desk's own updates, over the same bad link as its uploads. PAKS offers a newer release
//! (`GET api/v1/desk/updates/{target}/{arch}/{current}`, the answer Tauri's updater expects);
//! the file is fetched with Range requests into the data folder, resumed after cuts and after
//! restarts, with the uploads' backoff and bandwidth cap; it is installed only once its SHA-256
//! and its minisign signature (the key built into the app) hold. Tauri's updater plugin would
//! fetch it in one GET held in memory, which a 256 kbit/s link that drops never completes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, IF_RANGE, RANGE};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use ts_rs::TS;

use crate::backoff::{Backoff, QUICK_PROBES};
use crate::client::{ClientOptions, MAX_ANSWER_BYTES, PaksClient, classify, read_answer};
use crate::error::{Result, SyncError};
use crate::settings::SyncSettings;
use crate::tus::{Pace, hash_file};

/// A newer release PAKS offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UpdateOffer {
    pub version: String,
    pub notes: String,
    pub pub_date: String,
    pub url: String,
    /// base64 of the minisign signature file, as `tauri signer sign` writes it.
    pub signature: String,
    pub size: u64,
    pub sha256: String,
}

/// How far an update's download is, for "12.3 of 14.0 MB, 4 minutes left".
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct UpdateProgress {
    pub version: String,
    pub received: u64,
    pub size: u64,
    /// Over this run of the download (since the app started it), 0 before the first byte.
    pub bytes_per_second: f64,
    pub seconds_left: Option<u64>,
}

/// How persistently a download is retried.
#[derive(Debug, Clone, Copy)]
pub struct DownloadOptions {
    pub backoff: Backoff,
    /// Failures in a row, without a byte arriving between them, before the download gives up
    /// (it resumes from what it has when started again). The first `QUICK_PROBES` come within
    /// 0.25–0.5 s of each other.
    pub give_up_after: u32,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self { backoff: Backoff::JOBS, give_up_after: QUICK_PROBES + 12 }
    }
}

/// The platform of this build as PAKS's feed names it (Tauri's `{{target}}` and `{{arch}}`).
pub fn this_platform() -> Option<(&'static str, &'static str)> {
    let target = if cfg!(target_os = "linux") {
        "linux"
    } else if cfg!(target_os = "windows") {
        "windows"
    } else {
        return None;
    };
    cfg!(target_arch = "x86_64").then_some((target, "x86_64"))
}

/// A client for the update feed of the PAKS this desk is connected to, through its proxy and
/// within its bandwidth cap. No token is sent: releases are public and signed.
pub fn update_client(store: &desk_core::Store) -> Result<PaksClient> {
    let settings = SyncSettings::load(store)?;
    let url = settings.paks_url.ok_or(SyncError::NotConnected)?;
    let options = ClientOptions {
        proxy: settings.proxy,
        bandwidth_kbps: settings.bandwidth_kbps,
        ..ClientOptions::default()
    };
    PaksClient::new(&url, "", options)
}

impl PaksClient {
    /// The newer release PAKS offers for this platform, or `None` when the desk is current.
    pub async fn update_offer(
        &self,
        target: &str,
        arch: &str,
        current_version: &str,
    ) -> Result<Option<UpdateOffer>> {
        let url = self.update_feed_url(target, arch, current_version)?;
        let res = self.http.get(url).timeout(self.options.probe_timeout).send().await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(classify(res).await);
        }
        let body = read_answer(res, MAX_ANSWER_BYTES).await?;
        let offer: UpdateOffer = serde_json::from_slice(&body)
            .map_err(|e| SyncError::Garbled(format!("not an update offer: {e}")))?;
        check_offer(&offer)?;
        self.release_url(&offer)?;
        Ok(Some(offer))
    }

    /// The feed's address for this desk, as Tauri's updater plugin is given it.
    pub fn update_feed_url(&self, target: &str, arch: &str, current: &str) -> Result<reqwest::Url> {
        self.url(&format!("api/v1/desk/updates/{target}/{arch}/{current}"))
    }

    /// The offer's file address, which must be on PAKS's own origin.
    fn release_url(&self, offer: &UpdateOffer) -> Result<reqwest::Url> {
        let url = reqwest::Url::parse(&offer.url)
            .map_err(|e| SyncError::Garbled(format!("bad update address {:?}: {e}", offer.url)))?;
        self.same_origin(url)
    }
}

/// The version becomes part of a file name and the SHA-256 names the bytes: both are checked
/// before either is used.
fn check_offer(offer: &UpdateOffer) -> Result<()> {
    let version_ok = !offer.version.is_empty()
        && offer.version.len() <= 64
        && offer.version.bytes().all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b));
    let sha_ok = offer.sha256.len() == 64
        && offer.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if version_ok && sha_ok {
        Ok(())
    } else {
        Err(SyncError::Garbled(format!(
            "the update offer names version {:?} and SHA-256 {:?}",
            offer.version, offer.sha256
        )))
    }
}

/// Where a release's bytes collect while they arrive: named by version and content, so a
/// restart resumes the same bytes and another offer never appends to them.
fn part_path(dir: &Path, offer: &UpdateOffer) -> PathBuf {
    dir.join(format!("paks-desk-{}-{}.part", offer.version, &offer.sha256[..16]))
}

/// Where it is once its SHA-256 and signature held.
pub fn verified_path(dir: &Path, offer: &UpdateOffer) -> PathBuf {
    dir.join(format!("paks-desk-{}-{}.verified", offer.version, &offer.sha256[..16]))
}

/// The app's configuration, where the release key and the version are written once: the app
/// reads them through Tauri's config, `paks-desk-cli` from this copy built into it.
const APP_CONFIG: &str = include_str!("../../../src-tauri/tauri.conf.json");

fn app_config(pointer: &str) -> Option<String> {
    let config: serde_json::Value = serde_json::from_str(APP_CONFIG).ok()?;
    let value = config.pointer(pointer)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The minisign public key releases must be signed with (tauri.conf.json's
/// `plugins.updater.pubkey`, base64 of the .pub file).
pub fn app_public_key() -> Result<String> {
    app_config("/plugins/updater/pubkey").ok_or_else(|| {
        SyncError::UpdateSignature("this build carries no public key for updates".into())
    })
}

/// The version of the app (tauri.conf.json's `version`), which the update feed compares.
pub fn app_version() -> Result<String> {
    app_config("/version")
        .ok_or_else(|| SyncError::Invalid("the app's configuration names no version".into()))
}

/// Checks `data` against a minisign signature as Tauri's signer writes it (base64 of the .sig
/// file) and the app's public key (base64 of the .pub file, as in tauri.conf.json).
pub fn verify_signature(data: &[u8], signature: &str, public_key: &str) -> Result<()> {
    let text = |what: &str, value: &str| {
        STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| SyncError::UpdateSignature(format!("the {what} is not base64 text")))
    };
    let key = minisign_verify::PublicKey::decode(&text("app's public key", public_key)?)
        .map_err(|e| SyncError::UpdateSignature(format!("the app's public key: {e}")))?;
    let signature = minisign_verify::Signature::decode(&text("signature", signature)?)
        .map_err(|e| SyncError::UpdateSignature(format!("the signature: {e}")))?;
    key.verify(data, &signature, true).map_err(|e| SyncError::UpdateSignature(e.to_string()))
}

async fn file_len(path: &Path) -> u64 {
    tokio::fs::metadata(path).await.map(|m| m.len()).unwrap_or(0)
}

/// Parts of other releases (an older offer) are deleted: only one update is kept at a time.
async fn remove_other_parts(dir: &Path, keep: &Path) -> Result<()> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let ours = path.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("paks-desk-") && (n.ends_with(".part") || n.ends_with(".verified"))
        });
        if ours && path != keep {
            tokio::fs::remove_file(&path).await?;
        }
    }
    Ok(())
}

/// Downloads `offer` into `dir` (a folder of the data folder), resuming what an earlier run
/// left there, and returns the path of the verified file. A file whose signature does not hold
/// is deleted and refused (`SyncError::UpdateSignature`).
pub async fn download_update(
    client: &PaksClient,
    offer: &UpdateOffer,
    public_key: &str,
    dir: &Path,
    options: &DownloadOptions,
    mut progress: impl FnMut(&UpdateProgress),
) -> Result<PathBuf> {
    check_offer(offer)?;
    tokio::fs::create_dir_all(dir).await?;
    let part = part_path(dir, offer);
    let verified = verified_path(dir, offer);
    if tokio::fs::try_exists(&verified).await? {
        remove_other_parts(dir, &verified).await?;
        return verify_file(&verified, offer, public_key).await.map(|()| verified);
    }
    remove_other_parts(dir, &part).await?;
    let wanted = ResumableFile {
        url: client.release_url(offer)?,
        size: offer.size,
        sha256: offer.sha256.clone(),
        part: part.clone(),
        what: "the update",
    };
    let run = Run { started: Instant::now(), first_offset: file_len(&part).await };
    download_resumable(client, &wanted, options, &mut |received| {
        progress(&run.progress(offer, received))
    })
    .await?;
    verify_file(&part, offer, public_key).await?;
    tokio::fs::rename(&part, &verified).await?;
    Ok(verified)
}

/// The figures of one run of a download.
struct Run {
    started: Instant,
    first_offset: u64,
}

impl Run {
    fn progress(&self, offer: &UpdateOffer, received: u64) -> UpdateProgress {
        let secs = self.started.elapsed().as_secs_f64();
        let got = received.saturating_sub(self.first_offset);
        let rate = if secs > 0.0 && got > 0 { got as f64 / secs } else { 0.0 };
        let left = offer.size.saturating_sub(received);
        UpdateProgress {
            version: offer.version.clone(),
            received,
            size: offer.size,
            bytes_per_second: rate,
            seconds_left: (rate > 0.0).then(|| (left as f64 / rate).ceil() as u64),
        }
    }
}

async fn hash_path(path: &Path) -> Result<(String, u64)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || hash_file(&path))
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(e)))?
        .map_err(SyncError::Io)
}

/// The file's SHA-256 and signature; a file that fails either is deleted.
async fn verify_file(path: &Path, offer: &UpdateOffer, public_key: &str) -> Result<()> {
    let bytes = tokio::fs::read(path).await?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let checked = if sha256 != offer.sha256 {
        Err(SyncError::UpdateSignature(format!(
            "its SHA-256 is {sha256}, not the {} PAKS announced",
            offer.sha256
        )))
    } else {
        verify_signature(&bytes, &offer.signature, public_key)
    };
    if checked.is_err() {
        tokio::fs::remove_file(path).await?;
    }
    checked
}

/// A file to fetch from PAKS into `part`, resumably, until it holds `size` bytes with `sha256`.
pub(crate) struct ResumableFile {
    pub url: reqwest::Url,
    pub size: u64,
    pub sha256: String,
    pub part: PathBuf,
    /// How messages name it ("the update", "deck.pptx").
    pub what: &'static str,
}

/// Fetches the rest of `wanted.part` with Range requests, after cuts too (transient failures
/// are retried as the uploads probe: every 0.25–0.5 s at first, then the backoff; `give_up_after` failures in a row without a byte arriving end it, and the
/// next call resumes from what is on disk). Returns once the part holds exactly the announced
/// bytes; bytes that are not them are dropped and fetched once more.
pub(crate) async fn download_resumable(
    client: &PaksClient,
    wanted: &ResumableFile,
    options: &DownloadOptions,
    on_bytes: &mut impl FnMut(u64),
) -> Result<()> {
    let part = &wanted.part;
    let mut failures = 0u32;
    let mut started_over = false;
    loop {
        let have = file_len(part).await;
        if have >= wanted.size {
            let (sha256, _) = hash_path(part).await?;
            if have == wanted.size && sha256 == wanted.sha256 {
                return Ok(());
            }
            // Bytes that are not the file's (a disk that lost a write, say): start over once.
            tokio::fs::remove_file(part).await?;
            if started_over {
                return Err(SyncError::Garbled(format!(
                    "{} arrived twice with another SHA-256 ({sha256}) than PAKS announced",
                    wanted.what
                )));
            }
            started_over = true;
            continue;
        }
        match fetch_rest(client, wanted, have, on_bytes).await {
            Ok(()) => failures = 0,
            Err(e) if e.is_transient() => {
                if file_len(part).await > have {
                    failures = 0;
                }
                failures += 1;
                if failures > options.give_up_after {
                    return Err(e);
                }
                tracing::info!(error = %e, failures, what = wanted.what, "download interrupted; resuming");
                // As the uploads' reachability probes: quickly at first, so that a link back
                // after a short cut is used within a second, then the backoff.
                let wait = e.retry_after().unwrap_or_else(|| options.backoff.probe_delay(failures));
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// One GET for the bytes from `have` on, appended to the part as they arrive (synced every MiB,
/// so a restart after a power cut resumes from bytes that are really on disk).
async fn fetch_rest(
    client: &PaksClient,
    wanted: &ResumableFile,
    have: u64,
    on_bytes: &mut impl FnMut(u64),
) -> Result<()> {
    const SYNC_EVERY: u64 = 1 << 20;
    let what = wanted.what;
    let mut req = client.http.get(wanted.url.clone());
    if have > 0 {
        // If PAKS's bytes are not the ones we hold a part of, it answers 200 with all of them.
        req = req
            .header(RANGE, format!("bytes={have}-"))
            .header(IF_RANGE, format!("\"{}\"", wanted.sha256));
    }
    let mut res = req.send().await?;
    let mut file =
        tokio::fs::OpenOptions::new().create(true).append(true).open(&wanted.part).await?;
    let mut pos = match res.status() {
        StatusCode::PARTIAL_CONTENT => {
            let range = res.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok());
            if !range.is_some_and(|r| r.starts_with(&format!("bytes {have}-"))) {
                return Err(SyncError::Garbled(format!(
                    "asked for {what} from byte {have}, PAKS sent {range:?}"
                )));
            }
            have
        }
        StatusCode::OK => {
            file.set_len(0).await?;
            0
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            file.set_len(0).await?;
            return Err(SyncError::Garbled(format!("PAKS holds less of {what} than we do")));
        }
        _ => return Err(classify(res).await),
    };
    let pace = Pace::from_kbps(client.options.bandwidth_kbps);
    let mut this_request = 0u64;
    let mut unsynced = 0u64;
    let received = async {
        while let Some(chunk) = res.chunk().await? {
            let len = chunk.len() as u64;
            if pos + len > wanted.size {
                return Err(SyncError::Garbled(format!("{what} is longer than PAKS announced")));
            }
            file.write_all(&chunk).await?;
            pos += len;
            this_request += len;
            unsynced += len;
            if unsynced >= SYNC_EVERY {
                file.sync_data().await?;
                unsynced = 0;
            }
            on_bytes(pos);
            if let Some(pace) = pace {
                pace.wait_for(this_request).await;
            }
        }
        Ok(())
    }
    .await;
    // What arrived before a cut is kept: the next request resumes after it.
    file.flush().await?;
    file.sync_data().await?;
    received
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_configuration_carries_a_minisign_key_and_a_version() {
        let key = app_public_key().expect("a key");
        let text = String::from_utf8(STANDARD.decode(key).expect("base64")).expect("text");
        assert!(minisign_verify::PublicKey::decode(&text).is_ok(), "{text}");
        let version = app_version().expect("a version");
        assert!(version.split('.').all(|n| n.parse::<u32>().is_ok()), "{version}");
    }
}
