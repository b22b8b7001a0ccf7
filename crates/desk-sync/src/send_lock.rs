//! One sender per data folder. The app and `paks-desk-cli sync` (or two app windows) may run on
//! the same data folder; only the process holding this OS advisory lock (`flock` on Unix,
//! `LockFileEx` on Windows) sends. The OS drops the lock when the holder exits or is killed, so a
//! waiting process takes over without any stale-lock cleanup.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::Result;

pub const LOCK_FILE: &str = "sync.lock";

/// Held while this process may send; dropping it lets another process send.
#[derive(Debug)]
pub struct SendLock {
    _file: File,
}

/// Who holds the lock, as the holder wrote it (pid and program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSender {
    pub holder: String,
}

impl OtherSender {
    /// A sentence for the person.
    pub fn describe(&self) -> String {
        let who =
            if self.holder.is_empty() { String::new() } else { format!(" ({})", self.holder) };
        format!(
            "Another PAKS Desk{who} is sending from this data folder; this one waits and takes over when it stops."
        )
    }
}

impl SendLock {
    /// Takes the lock if no other process holds it; otherwise says who does.
    pub fn try_acquire(data_dir: &Path) -> Result<std::result::Result<SendLock, OtherSender>> {
        std::fs::create_dir_all(data_dir)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(LOCK_FILE))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Ok(Err(OtherSender { holder: holder.trim().to_owned() }));
            }
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
        let program = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "PAKS Desk".into());
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "{program}, process {}", std::process::id())?;
        Ok(Ok(SendLock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_in_the_same_process_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = SendLock::try_acquire(dir.path()).unwrap().unwrap();
        let other = SendLock::try_acquire(dir.path()).unwrap().unwrap_err();
        assert!(
            other.holder.contains(&std::process::id().to_string()),
            "the holder is named: {other:?}"
        );
        assert!(other.describe().contains("Another PAKS Desk"));
        drop(first);
        assert!(SendLock::try_acquire(dir.path()).unwrap().is_ok());
    }
}
