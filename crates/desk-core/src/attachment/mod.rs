//! Files attached to a case: stored once per content (SHA-256) in the data folder, their type
//! recognised from the content, their text indexed by an isolated worker.

mod blob;
mod check;
mod index;
mod name;
mod upload;
mod viewing;

use std::path::Path;

use desk_extract::{DocKind, Outcome};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use blob::{BlobDir, hash_file};
pub use check::{FileCheck, FileOwner, FileProblem, ProblemKind};
pub(crate) use index::limits_for;
pub use name::{MAX_NAME_CHARS, display_name};
pub use upload::{
    DEFAULT_LARGE_FILE_BYTES, LargeFileWarning, format_bytes, large_file_warning, upload_estimate,
};

use crate::case::ensure_editable;
use crate::error::{Error, Result};
use crate::store::Store;

/// How far reading a file's text got, in the words shown to the user beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IndexStatus {
    Pending,
    Indexed,
    PartlyIndexed,
    NoTextLayer,
    PasswordProtected,
    Damaged,
    TimedOut,
    MemoryLimit,
    NotSupported,
}

impl IndexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Pending => "pending",
            IndexStatus::Indexed => "indexed",
            IndexStatus::PartlyIndexed => "partly_indexed",
            IndexStatus::NoTextLayer => "no_text_layer",
            IndexStatus::PasswordProtected => "password_protected",
            IndexStatus::Damaged => "damaged",
            IndexStatus::TimedOut => "timed_out",
            IndexStatus::MemoryLimit => "memory_limit",
            IndexStatus::NotSupported => "not_supported",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "pending" => IndexStatus::Pending,
            "indexed" => IndexStatus::Indexed,
            "partly_indexed" => IndexStatus::PartlyIndexed,
            "no_text_layer" => IndexStatus::NoTextLayer,
            "password_protected" => IndexStatus::PasswordProtected,
            "damaged" => IndexStatus::Damaged,
            "timed_out" => IndexStatus::TimedOut,
            "memory_limit" => IndexStatus::MemoryLimit,
            "not_supported" => IndexStatus::NotSupported,
            other => return Err(Error::Corrupt(format!("unknown index status '{other}'"))),
        })
    }

    pub fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Indexed { .. } | Outcome::OcrIndexed { .. } => IndexStatus::Indexed,
            Outcome::PartlyIndexed { .. } => IndexStatus::PartlyIndexed,
            Outcome::NoTextLayer { .. } | Outcome::NoTextRecognised { .. } => {
                IndexStatus::NoTextLayer
            }
            Outcome::PasswordProtected => IndexStatus::PasswordProtected,
            Outcome::Damaged { .. } => IndexStatus::Damaged,
            Outcome::TimedOut { .. } => IndexStatus::TimedOut,
            Outcome::MemoryLimit { .. } => IndexStatus::MemoryLimit,
            Outcome::NotSupported { .. } => IndexStatus::NotSupported,
        }
    }
}

const PENDING_MESSAGE: &str = "Waiting for its text to be read.";

/// A file attached to a case.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Attachment {
    pub case_id: i64,
    pub sha256: String,
    /// The original file name, sanitized; for display and export only.
    pub name: String,
    /// The type recognised from the content, e.g. "pptx", "pdf", "other".
    pub kind: String,
    /// That type in English words, for the CLI: "PowerPoint presentation (.pptx)". The UI words
    /// `kind` itself.
    #[serde(skip)]
    #[ts(skip)]
    pub kind_label: String,
    /// Set when the name's extension promises another type than the content.
    pub extension_disagrees: Option<String>,
    pub size: u64,
    pub index_status: IndexStatus,
    /// The outcome of indexing in English words, for the CLI; the UI words `index_status` with
    /// `units` and `unit_label`.
    #[serde(skip)]
    #[ts(skip)]
    pub index_message: String,
    /// Pages, slides or sheets, when known.
    pub units: Option<u32>,
    /// "page", "slide" or "sheet".
    pub unit_label: String,
    pub created_at: i64,
}

/// What attaching a file did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Attached {
    pub attachment: Attachment,
    /// The same content was already attached to this case; nothing changed.
    pub already_attached: bool,
    pub large_file_warning: Option<LargeFileWarning>,
}

const ATTACHMENT_COLUMNS: &str = "a.case_id, a.sha256, a.name, b.kind, a.extension_disagrees, \
     b.size, b.index_status, b.index_message, b.units, b.unit_label, a.created_at";

fn attachment_from_row(row: &Row<'_>) -> rusqlite::Result<(Attachment, String)> {
    let kind: String = row.get(3)?;
    let size: i64 = row.get(5)?;
    Ok((
        Attachment {
            case_id: row.get(0)?,
            sha256: row.get(1)?,
            name: row.get(2)?,
            kind_label: kind_label(&kind),
            kind,
            extension_disagrees: row.get(4)?,
            size: u64::try_from(size).unwrap_or(0),
            index_status: IndexStatus::Pending,
            index_message: row.get(7)?,
            units: row.get(8)?,
            unit_label: row.get(9)?,
            created_at: row.get(10)?,
        },
        row.get(6)?,
    ))
}

fn finish(row: (Attachment, String)) -> Result<Attachment> {
    let (mut attachment, status) = row;
    attachment.index_status = IndexStatus::parse(&status)?;
    if attachment.index_status == IndexStatus::Pending && attachment.index_message.is_empty() {
        attachment.index_message = PENDING_MESSAGE.to_owned();
    }
    Ok(attachment)
}

fn kind_label(kind: &str) -> String {
    parse_kind(kind).map_or_else(|| kind.to_owned(), |k| k.describe().to_owned())
}

fn parse_kind(kind: &str) -> Option<DocKind> {
    serde_json::from_value(serde_json::Value::String(kind.to_owned())).ok()
}

fn kind_name(kind: DocKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "other".to_owned(),
    }
}

fn load(conn: &Connection, case_id: i64, sha256: &str) -> Result<Option<Attachment>> {
    let sql = format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a JOIN blobs b ON b.sha256 = a.sha256
         WHERE a.case_id = ?1 AND a.sha256 = ?2"
    );
    conn.query_row(&sql, params![case_id, sha256], attachment_from_row)
        .optional()?
        .map(finish)
        .transpose()
}

/// A new version of a sent case starts with the attachments of the version it revises.
pub(crate) fn carry_over(conn: &Connection, from: i64, to: i64) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO attachments (case_id, sha256, name, extension_disagrees, created_at)
         SELECT ?2, sha256, name, extension_disagrees, created_at FROM attachments WHERE case_id = ?1",
        params![from, to],
    )?;
    Ok(())
}

impl Store {
    pub fn blob_dir(&self) -> BlobDir {
        BlobDir::new(self.dir())
    }

    /// Copies the file at `path` into the store and attaches it to a draft case. The file is
    /// safe once this returns; its text is read later ([`Store::index_attachment`]).
    pub fn import_attachment(&self, case_id: i64, path: &Path) -> Result<Attached> {
        let name = display_name(path.file_name().unwrap_or(path.as_os_str()));
        // Refuse before copying gigabytes for a case that cannot take them.
        self.read(|conn| ensure_editable(conn, case_id))?;
        let dir = self.blob_dir();
        let copy = blob::copy_in(&dir, path, &name)?;
        let extension = name::extension(&name);
        let detected =
            std::fs::File::open(copy.path()).map_err(blob::storage).and_then(|mut file| {
                desk_extract::detect_reader(&mut file, copy.size, extension.as_deref())
                    .map_err(|err| Error::AttachmentStorage(err.to_string()))
            })?;
        let now = self.now();
        let sha256 = copy.sha256.clone();
        let size = copy.size;
        let already_attached = self.write(|tx| {
            ensure_editable(tx, case_id)?;
            if load(tx, case_id, &sha256)?.is_some() {
                return Ok(true);
            }
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
                [&sha256],
                |r| r.get(0),
            )?;
            let dest = dir.path_of(&sha256);
            if !known {
                tx.execute(
                    "INSERT INTO blobs (sha256, size, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![sha256, size as i64, kind_name(detected.kind), now],
                )?;
            }
            // Renamed while the writer is held, so removing unused files cannot race it.
            if !known || !dest.is_file() {
                copy.place(&dest)?;
            }
            tx.execute(
                "INSERT INTO attachments (case_id, sha256, name, extension_disagrees, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![case_id, sha256, name, detected.extension_disagrees, now],
            )?;
            Ok(false)
        })?;
        let attachment = self
            .read(|conn| load(conn, case_id, &sha256))?
            .ok_or_else(|| Error::AttachmentNotFound(sha256.clone()))?;
        let warning =
            large_file_warning(size, self.large_file_threshold()?, self.last_upload_speed()?);
        Ok(Attached { attachment, already_attached, large_file_warning: warning })
    }

    /// The files attached to a case, in the order they were attached.
    pub fn attachments(&self, case_id: i64) -> Result<Vec<Attachment>> {
        self.read(|conn| {
            crate::case::load(conn, case_id)?;
            let sql = format!(
                "SELECT {ATTACHMENT_COLUMNS} FROM attachments a JOIN blobs b ON b.sha256 = a.sha256
                 WHERE a.case_id = ?1 ORDER BY a.created_at, a.rowid"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([case_id], attachment_from_row)?;
            rows.map(|row| finish(row?)).collect()
        })
    }

    /// Removes a file from a draft case; the stored file goes when no case uses it any more.
    pub fn detach(&self, case_id: i64, sha256: &str) -> Result<()> {
        let sha256 = sha256.trim().to_ascii_lowercase();
        self.write(|tx| {
            ensure_editable(tx, case_id)?;
            let removed = tx.execute(
                "DELETE FROM attachments WHERE case_id = ?1 AND sha256 = ?2",
                params![case_id, sha256],
            )?;
            if removed == 0 {
                return Err(Error::AttachmentNotFound(sha256.clone()));
            }
            Ok(())
        })?;
        self.remove_unused_files()?;
        Ok(())
    }

    /// Deletes stored files no case uses (after a detach or a deleted draft); returns how many.
    pub fn remove_unused_files(&self) -> Result<u32> {
        let dir = self.blob_dir();
        let unused: Vec<String> = self.write(|tx| {
            let mut stmt = tx.prepare(
                "DELETE FROM blobs WHERE NOT EXISTS
                   (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256)
                 RETURNING sha256",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        // Files go only once the rows are gone for good, and under the writer, so an import
        // of the same content cannot lose its file in between.
        let mut removed = 0;
        self.write(|tx| {
            let on_disk = dir.stored()?;
            for sha256 in unused.iter().chain(&on_disk) {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
                    [sha256],
                    |r| r.get(0),
                )?;
                if !known && std::fs::remove_file(dir.path_of(sha256)).is_ok() {
                    removed += 1;
                }
            }
            Ok(())
        })?;
        Ok(removed)
    }
}
