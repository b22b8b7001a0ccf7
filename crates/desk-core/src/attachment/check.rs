//! "Check files": re-hash every stored file and name the cases a missing or damaged one
//! belongs to.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::blob;
use crate::error::Result;
use crate::store::Store;

/// Temporary copies older than this are left over from a crash.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProblemKind {
    Missing,
    Damaged,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileOwner {
    pub case_id: i64,
    pub case_title: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileProblem {
    pub sha256: String,
    pub problem: ProblemKind,
    pub message: String,
    pub cases: Vec<FileOwner>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileCheck {
    pub checked: u32,
    pub bytes: u64,
    pub problems: Vec<FileProblem>,
    /// Stored files no case used any more, now deleted.
    pub removed_unused: u32,
}

impl FileCheck {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// Re-hashes every stored file; reports the missing and damaged ones with their cases.
    pub fn check_files(&self) -> Result<FileCheck> {
        let removed_unused = self.remove_unused_files()?;
        remove_stale_temps(&self.blob_dir().tmp());
        let blobs: Vec<(String, i64)> = self.read(|conn| {
            let mut stmt = conn.prepare("SELECT sha256, size FROM blobs ORDER BY sha256")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let dir = self.blob_dir();
        let mut check = FileCheck { checked: 0, bytes: 0, problems: Vec::new(), removed_unused };
        for (sha256, size) in blobs {
            check.checked += 1;
            let problem = match blob::hash_file(&dir.path_of(&sha256)) {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some((
                    ProblemKind::Missing,
                    "The file is missing from the data folder.".to_owned(),
                )),
                Err(err) => {
                    Some((ProblemKind::Damaged, format!("The file cannot be read: {err}.")))
                }
                Ok((actual, read)) => {
                    check.bytes += read;
                    if actual != sha256 || i64::try_from(read).ok() != Some(size) {
                        Some((
                            ProblemKind::Damaged,
                            "The file's content has changed since it was attached (damaged on \
                             disk or edited outside PAKS Desk)."
                                .to_owned(),
                        ))
                    } else {
                        None
                    }
                }
            };
            if let Some((problem, message)) = problem {
                let cases = self.owners(&sha256)?;
                check.problems.push(FileProblem { sha256, problem, message, cases });
            }
        }
        Ok(check)
    }

    fn owners(&self, sha256: &str) -> Result<Vec<FileOwner>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.case_id, c.title, a.name FROM attachments a JOIN cases c ON c.id = a.case_id
                 WHERE a.sha256 = ?1 ORDER BY a.case_id",
            )?;
            let rows = stmt.query_map([sha256], |r| {
                Ok(FileOwner { case_id: r.get(0)?, case_title: r.get(1)?, name: r.get(2)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

fn remove_stale_temps(tmp: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP);
        let ours = entry.file_name().to_str().is_some_and(|n| n.ends_with(".part"));
        if stale && ours {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
