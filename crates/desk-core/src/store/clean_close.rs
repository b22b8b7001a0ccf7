//! Whether an existing store must be checked (`PRAGMA quick_check`) before it is opened.
//!
//! The check reads every page: 0.49 s warm and 5.5 s cold on a 557 MiB store
//! (`scripts/bench-quick-check.py`), all of it on the launch path. What it finds is damage done
//! while no store of ours held the file cleanly: a crash or power cut mid-write, a disk fault,
//! another program. So a clean close records the file's length and modification time; the next
//! open skips the check only when the file is exactly as that close left it, no write-ahead log
//! remains (a crash leaves one), and the last check is younger than [`RECHECK_AFTER_MILLIS`].

use std::path::Path;
use std::time::UNIX_EPOCH;

const STAMP_FILE: &str = "store-closed-cleanly";
/// A week: slow faults (a failing disk) are still found without checking at every launch.
pub const RECHECK_AFTER_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;

/// What a clean close saw of the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    checked_at_millis: i64,
    len: u64,
    modified_nanos: u128,
}

impl Stamp {
    fn of_file(db_path: &Path, checked_at_millis: i64) -> std::io::Result<Self> {
        let meta = std::fs::metadata(db_path)?;
        let modified_nanos = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_err(|_| std::io::Error::other("modified before 1970"))?
            .as_nanos();
        Ok(Self { checked_at_millis, len: meta.len(), modified_nanos })
    }

    fn parse(text: &str) -> Option<Self> {
        let mut fields = text.split_ascii_whitespace();
        let stamp = Self {
            checked_at_millis: fields.next()?.parse().ok()?,
            len: fields.next()?.parse().ok()?,
            modified_nanos: fields.next()?.parse().ok()?,
        };
        fields.next().is_none().then_some(stamp)
    }

    fn render(&self) -> String {
        format!("{} {} {}\n", self.checked_at_millis, self.len, self.modified_nanos)
    }
}

/// When the last check passed, if the file is as a clean close left it and that check is
/// recent; `None` means the store must be checked now. Call before any connection is opened:
/// opening one creates the write-ahead log whose presence tells of a crash.
pub fn skip_check_since(dir: &Path, db_path: &Path, now_millis: i64) -> Option<i64> {
    let stamp = Stamp::parse(&std::fs::read_to_string(dir.join(STAMP_FILE)).ok()?)?;
    let wal = db_path.with_extension("sqlite3-wal");
    if std::fs::metadata(wal).is_ok_and(|m| m.len() > 0) {
        return None;
    }
    let recent = (0..RECHECK_AFTER_MILLIS).contains(&(now_millis - stamp.checked_at_millis));
    let unchanged = Stamp::of_file(db_path, stamp.checked_at_millis).ok()? == stamp;
    (recent && unchanged).then_some(stamp.checked_at_millis)
}

/// Forgets the last clean close: from now until this store closes cleanly, the file may change
/// under a crash that leaves no write-ahead log behind (a checkpoint cut short).
pub fn forget(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(STAMP_FILE)) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Records a clean close; call once every connection to the file is closed (the last close
/// checkpoints the write-ahead log into the file, which changes it).
pub fn record(dir: &Path, db_path: &Path, checked_at_millis: i64) -> std::io::Result<()> {
    let stamp = Stamp::of_file(db_path, checked_at_millis)?;
    let tmp = dir.join(format!("{STAMP_FILE}.tmp"));
    std::fs::write(&tmp, stamp.render())?;
    std::fs::rename(tmp, dir.join(STAMP_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_back_and_garbage_does_not() {
        let stamp = Stamp { checked_at_millis: 1_700_000_000_000, len: 4096, modified_nanos: 17 };
        assert_eq!(Stamp::parse(&stamp.render()), Some(stamp));
        for bad in ["", "1 2", "1 2 3 4", "a 2 3", "1 -2 3"] {
            assert_eq!(Stamp::parse(bad), None, "{bad:?}");
        }
    }
}
