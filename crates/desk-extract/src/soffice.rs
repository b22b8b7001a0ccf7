//! Old binary PPT and DOC, converted by LibreOffice when it is installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::DocError;
use crate::kind::DocKind;
use crate::limits::Limits;

/// Where `soffice` is, if anywhere: `PAKS_SOFFICE`, then the `PATH`, then the usual places.
pub fn find_soffice() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PAKS_SOFFICE").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let names = ["soffice", "libreoffice"];
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for name in names {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
        }
    }
    [
        "/usr/lib/libreoffice/program/soffice",
        "/opt/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        "C:\\Program Files\\LibreOffice\\program\\soffice.exe",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Converts `input` (a PPT or DOC) to PPTX or DOCX in a fresh folder and returns the bytes.
/// A fresh `-env:UserInstallation` profile per call keeps concurrent or crashed runs from
/// locking each other out.
pub(crate) fn convert(input: &Path, kind: DocKind, limits: &Limits) -> Result<Vec<u8>, DocError> {
    let target = match kind {
        DocKind::Ppt => "pptx",
        DocKind::Doc => "docx",
        other => {
            return Err(DocError::NotSupported(format!(
                "{} cannot be converted",
                other.describe()
            )));
        }
    };
    let Some(soffice) = find_soffice() else {
        let ext = if kind == DocKind::Ppt { "ppt" } else { "doc" };
        return Err(DocError::NotSupported(format!("install LibreOffice to index .{ext} files")));
    };
    let work = tempfile::tempdir()
        .map_err(|e| DocError::NotSupported(format!("no temporary folder ({e})")))?;
    let profile = work.path().join("profile");
    let out_dir = work.path().join("out");
    // soffice names its output after the input; a plain copy name avoids odd file names.
    let src =
        work.path().join(format!("input.{}", if kind == DocKind::Ppt { "ppt" } else { "doc" }));
    std::fs::copy(input, &src).map_err(|e| DocError::damaged(format!("cannot be copied ({e})")))?;
    let mut profile_url = String::from("file://");
    for seg in profile.to_string_lossy().split('/').filter(|s| !s.is_empty()) {
        profile_url.push('/');
        profile_url.push_str(seg);
    }
    let mut child = Command::new(&soffice)
        .arg(format!("-env:UserInstallation={profile_url}"))
        .args(["--headless", "--norestore", "--nolockcheck", "--convert-to", target, "--outdir"])
        .arg(&out_dir)
        .arg(&src)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| DocError::NotSupported(format!("LibreOffice could not start ({e})")))?;
    let deadline = Instant::now() + Duration::from_millis(limits.soffice_timeout_ms);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DocError::damaged(format!(
                    "LibreOffice took more than {} s to convert it",
                    limits.soffice_timeout_ms / 1000
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(DocError::damaged(format!("LibreOffice failed ({e})"))),
        }
    }
    let converted = out_dir.join(format!("input.{target}"));
    std::fs::read(&converted).map_err(|_| {
        DocError::damaged("LibreOffice could not convert it (damaged, or protected by a password)")
    })
}
