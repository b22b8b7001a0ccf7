//! PAKS Desk releases served to the desks as their update feed, so focal points need no other
//! server: the operator publishes one with `paks-server release add`; the desks ask
//! `GET /api/v1/desk/updates/{target}/{arch}/{current_version}` and download the file with
//! Range requests. The file is signed (minisign) by whoever built it; PAKS only passes the
//! signature on, the desk checks it with the public key built into the app.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use semver::Version;
use sha2::Digest;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::metadata::{DeskRelease, MetadataStore};

/// The platforms the desk is built for, as `release add --target` names them: Tauri's target
/// (`{{target}}` of its updater) and architecture.
pub const TARGETS: &[(&str, &str, &str)] =
    &[("linux-x86_64", "linux", "x86_64"), ("windows-x86_64", "windows", "x86_64")];

/// A release file's address in the data folder: named by its SHA-256, so two releases of the
/// same bytes share it and a name can never point at other bytes.
pub fn file_path(config: &Config, sha256: &str) -> PathBuf {
    config.releases_dir().join(sha256)
}

/// `linux-x86_64` → (`linux`, `x86_64`).
pub fn parse_target(spec: &str) -> Result<(&'static str, &'static str)> {
    TARGETS.iter().find(|(name, ..)| *name == spec.trim()).map(|(_, t, a)| (*t, *a)).ok_or_else(
        || {
            let known: Vec<&str> = TARGETS.iter().map(|(n, ..)| *n).collect();
            Error::Invalid(format!("unknown target {spec:?}; use one of {}", known.join(", ")))
        },
    )
}

/// The signature as Tauri's updater wants it: base64 of a minisign signature file. Checked
/// here only for shape (the desk verifies it), so that a wrong file is refused at publishing.
fn read_signature(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let text = text.trim();
    let decoded = STANDARD.decode(text).ok().and_then(|b| String::from_utf8(b).ok());
    match decoded {
        Some(sig) if sig.starts_with("untrusted comment:") && sig.lines().count() >= 4 => {
            Ok(text.to_owned())
        }
        _ => Err(Error::Invalid(format!(
            "{} is not a signature made by `tauri signer sign` (base64 of a minisign .sig file)",
            path.display()
        ))),
    }
}

/// Copies `source` into the releases folder under its SHA-256 (written to a temporary name,
/// synced, then renamed); returns its SHA-256 and size.
fn store_file(config: &Config, source: &Path) -> Result<(String, u64)> {
    let dir = config.releases_dir();
    crate::disk_store::create_private_dir(&dir)?;
    let partial = dir.join(format!(".incoming-{}", uuid::Uuid::new_v4()));
    let copied = (|| {
        let mut input = File::open(source).map_err(Error::io(source))?;
        let mut output = File::create(&partial).map_err(Error::io(&partial))?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = input.read(&mut buf).map_err(Error::io(source))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output.write_all(&buf[..n]).map_err(Error::io(&partial))?;
            size += n as u64;
        }
        output.sync_all().map_err(Error::io(&partial))?;
        Ok((hex::encode(hasher.finalize()), size))
    })();
    let (sha256, size) = match copied {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let path = file_path(config, &sha256);
    std::fs::rename(&partial, &path).map_err(Error::io(&path))?;
    File::open(&dir).and_then(|d| d.sync_all()).map_err(Error::io(&dir))?;
    Ok((sha256, size))
}

/// `paks-server release add`: checks the version, target and signature, stores the file and
/// records the release. A version already published for the target is refused (a desk may hold
/// half of its file: its bytes must never change).
pub fn add(
    config: &Config,
    store: &dyn MetadataStore,
    version: &str,
    target: &str,
    file: &Path,
    signature: &Path,
    notes: &str,
) -> Result<DeskRelease> {
    let version = Version::parse(version.trim()).map_err(|e| {
        Error::Invalid(format!("{version:?} is not a semantic version such as 0.2.0: {e}"))
    })?;
    let (target, arch) = parse_target(target)?;
    let signature = read_signature(signature)?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Invalid(format!("{} is not a file", file.display())))?;
    let (sha256, size) = store_file(config, file)?;
    let release = DeskRelease {
        target: target.to_owned(),
        arch: arch.to_owned(),
        version: version.to_string(),
        file_name,
        size,
        sha256,
        signature,
        notes: notes.trim().to_owned(),
        published_at: crate::clock::rfc3339(crate::clock::now())?,
    };
    if !store.add_desk_release(&release)? {
        return Err(Error::Conflict(format!(
            "version {version} for {target}-{arch} was published already; publish a newer version"
        )));
    }
    Ok(release)
}

/// The newest release of `target`/`arch` newer than `current`, if any.
pub fn newer_than(
    store: &dyn MetadataStore,
    target: &str,
    arch: &str,
    current: &Version,
) -> Result<Option<DeskRelease>> {
    let newest = store
        .desk_releases(target, arch)?
        .into_iter()
        .filter_map(|r| Version::parse(&r.version).ok().map(|v| (v, r)))
        .filter(|(v, _)| v > current)
        .max_by(|(a, _), (b, _)| a.cmp(b));
    Ok(newest.map(|(_, r)| r))
}

/// The release of exactly this version.
pub fn find(
    store: &dyn MetadataStore,
    target: &str,
    arch: &str,
    version: &Version,
) -> Result<Option<DeskRelease>> {
    Ok(store
        .desk_releases(target, arch)?
        .into_iter()
        .find(|r| Version::parse(&r.version).is_ok_and(|v| &v == version)))
}
