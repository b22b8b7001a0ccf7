//! The library: the region's published cases, kept apart from the user's own cases and never
//! edited here. The library sync (desk-sync) stores each page of PAKS's change feed with
//! [`Store::store_library_page`]; search, "cases like this one" and the files read from here.

use std::path::{Path, PathBuf};

use paks_protocol::{PublicChange, PublicChangeKind, PublishedCase, PublishedFile};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::case::CaseField;
use crate::error::{Error, Result};
use crate::search::bigrams;
use crate::store::Store;

/// The setting that caps the bytes of opened library files kept on disk (in MB; text is always
/// kept, whatever the cap).
pub const STORAGE_CAP_MB: &str = "library.storage_cap_mb";
/// The cap when none is set.
pub const DEFAULT_STORAGE_CAP_MB: u64 = 500;

/// The folder of the data folder that holds opened library files, named by SHA-256.
const FILES_DIR: &str = "library";
/// The longest cursor kept: PAKS's is a decimal number.
const MAX_CURSOR_LEN: usize = 200;

/// A published case as the library keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibraryCase {
    pub id: i64,
    pub case_uid: String,
    pub submission_id: String,
    pub version: u32,
    pub country: String,
    pub language: String,
    pub title: String,
    pub summary: String,
    pub published_at: String,
    /// The public page, relative to the PAKS address.
    pub html_url: String,
    pub mdg_targets: Vec<String>,
    pub sdg_targets: Vec<String>,
    pub files: Vec<LibraryFile>,
    /// Every section of the published document that has text, in the order of the form.
    pub sections: Vec<LibrarySection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibrarySection {
    pub field: CaseField,
    pub text: String,
}

/// A file of a published case: always listed, its bytes on disk only once opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibraryFile {
    /// Its number in the case (0-based), as PAKS numbers it.
    pub position: u32,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    /// Where PAKS serves it, relative to the PAKS address.
    pub url: String,
    /// Downloaded and verified, in the data folder.
    pub stored: bool,
    pub opened_at: Option<i64>,
}

/// What storing one page of the change feed did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LibraryPageStored {
    pub published: u32,
    pub withdrawn: u32,
}

/// The library's size and where its sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LibraryState {
    pub cases: u64,
    pub cursor: Option<String>,
    pub synced_at: Option<i64>,
    pub stored_file_bytes: u64,
    pub storage_cap_bytes: u64,
}

/// Checks what the library keeps of a published case: the document as PAKS validates it, and
/// the file list (names, sizes, SHA-256, addresses on PAKS). PAKS's bytes are not trusted.
pub fn check_published(case: &PublishedCase) -> Result<()> {
    let bad = |what: String| Err(Error::LibraryCaseInvalid(what));
    if let Err(errors) = case.case.validate() {
        let first = errors.first().map(|e| format!("{} {}", e.pointer, e.message));
        return bad(format!("case {}: {}", case.case.case_uid, first.unwrap_or_default()));
    }
    if case.case.country.len() != 3 || !case.case.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return bad(format!("country {:?}", case.case.country));
    }
    for text in [&case.published_at, &case.html_url] {
        if text.len() > 200 || text.chars().any(char::is_control) {
            return bad(format!("case {}: a date or address is not one", case.case.case_uid));
        }
    }
    if case.files.len() > 1_000 {
        return bad(format!("case {} lists {} files", case.case.case_uid, case.files.len()));
    }
    for file in &case.files {
        check_file(file)?;
    }
    Ok(())
}

fn check_file(file: &PublishedFile) -> Result<()> {
    let hex_ok = file.sha256.len() == 64
        && file.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let name_ok = paks_protocol::validate_file_name(&file.name).is_ok();
    // Relative to PAKS: the client refuses any other origin before it fetches.
    let url_ok = file.url.starts_with('/')
        && !file.url.starts_with("//")
        && file.url.len() <= 500
        && !file.url.chars().any(|c| c.is_control() || c.is_whitespace());
    let media_ok = file.media_type.len() <= 255 && !file.media_type.chars().any(char::is_control);
    if hex_ok && name_ok && url_ok && media_ok {
        Ok(())
    } else {
        Err(Error::LibraryCaseInvalid(format!("file {:?} (SHA-256 {:?})", file.name, file.sha256)))
    }
}

/// A cursor is kept and sent back as it came: it must be a short line of printable ASCII.
fn check_cursor(cursor: &str) -> Result<()> {
    if cursor.len() <= MAX_CURSOR_LEN && cursor.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Error::LibraryCaseInvalid(format!("the feed's cursor {cursor:?}")))
    }
}

impl Store {
    /// The feed cursor to read on from (`None`: the library is empty and never synced).
    pub fn library_cursor(&self) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .query_row("SELECT cursor FROM library_sync WHERE id = 1", [], |r| r.get(0))
                .optional()?)
        })
    }

    /// Stores one page of the change feed and advances the cursor to `next_cursor`, in one
    /// transaction: a sync cut after this resumes after the page, a sync cut before it reads
    /// the page again (storing a case again replaces it, so nothing is doubled). Every case is
    /// checked first; one that fails stores nothing of the page. Files of withdrawn cases
    /// leave the disk after the commit.
    pub fn store_library_page(
        &self,
        changes: &[PublicChange],
        next_cursor: &str,
    ) -> Result<LibraryPageStored> {
        check_cursor(next_cursor)?;
        for change in changes {
            check_cursor(&change.cursor)?;
            if let Some(case) = &change.case {
                check_published(case)?;
                if case.case.case_uid != change.case_uid {
                    return Err(Error::LibraryCaseInvalid(format!(
                        "change for {} holds case {}",
                        change.case_uid, case.case.case_uid
                    )));
                }
            }
        }
        let now = self.now();
        let (stored, orphaned) = self.write(|tx| {
            let mut stored = LibraryPageStored::default();
            for change in changes {
                let uid = change.case_uid.to_string();
                let file_text = file_text_of(tx, &uid)?;
                remove_case(tx, &uid)?;
                match (change.kind, &change.case) {
                    (PublicChangeKind::Published, Some(case)) => {
                        let id = insert_case(tx, case, &change.changed_at, now)?;
                        restore_file_text(tx, id, &file_text)?;
                        stored.published += 1;
                    }
                    (PublicChangeKind::Published, None) => {
                        return Err(Error::LibraryCaseInvalid(format!(
                            "published change for {uid} without its case"
                        )));
                    }
                    (PublicChangeKind::Withdrawn, _) => stored.withdrawn += 1,
                }
            }
            tx.execute(
                "INSERT INTO library_sync (id, cursor, synced_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor,
                                                synced_at = excluded.synced_at",
                params![next_cursor, now],
            )?;
            Ok((stored, unused_blobs(tx)?))
        })?;
        self.remove_library_blobs(&orphaned);
        Ok(stored)
    }

    /// The library's size and sync state.
    pub fn library_state(&self) -> Result<LibraryState> {
        let cap = self.library_storage_cap_bytes()?;
        self.read(|conn| {
            let cases: i64 =
                conn.query_row("SELECT count(*) FROM library_cases", [], |r| r.get(0))?;
            let sync: Option<(String, i64)> = conn
                .query_row("SELECT cursor, synced_at FROM library_sync WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            Ok(LibraryState {
                cases: u64::try_from(cases).unwrap_or(0),
                cursor: sync.as_ref().map(|s| s.0.clone()),
                synced_at: sync.map(|s| s.1),
                stored_file_bytes: stored_bytes(conn)?,
                storage_cap_bytes: cap,
            })
        })
    }

    /// A library case by its local id or its case uid.
    pub fn library_case(&self, id: &str) -> Result<LibraryCase> {
        self.read(|conn| {
            let local: i64 = conn
                .query_row(
                    "SELECT id FROM library_cases WHERE case_uid = ?1 OR CAST(id AS TEXT) = ?1",
                    [id.trim()],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::LibraryCaseNotFound(id.to_owned()))?;
            load_case(conn, local)
        })
    }

    /// Where an opened library file is (or goes) in the data folder.
    pub fn library_file_path(&self, sha256: &str) -> PathBuf {
        self.dir().join(FILES_DIR).join(sha256)
    }

    /// The folder of opened library files.
    pub fn library_files_dir(&self) -> PathBuf {
        self.dir().join(FILES_DIR)
    }

    /// A file of a library case, by its position or its name.
    pub fn library_file(&self, case_id: &str, file: &str) -> Result<LibraryFile> {
        let case = self.library_case(case_id)?;
        case.files
            .into_iter()
            .find(|f| f.name == file || f.position.to_string() == file)
            .ok_or_else(|| Error::LibraryFileNotFound(file.to_owned()))
    }

    /// Records that `file` is on disk, verified, and opened now; then drops the least recently
    /// opened other files until the stored ones fit under the cap. Returns the paths it removed.
    pub fn library_file_opened(&self, file: &LibraryFile) -> Result<Vec<PathBuf>> {
        let now = self.now();
        let cap = self.library_storage_cap_bytes()?;
        let size = i64::try_from(file.size).unwrap_or(i64::MAX);
        let dropped = self.write(|tx| {
            tx.execute(
                "INSERT INTO library_blobs (sha256, size, opened_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO UPDATE SET opened_at = excluded.opened_at",
                params![file.sha256, size, now],
            )?;
            drop_over_cap(tx, cap, Some(&file.sha256))
        })?;
        Ok(self.remove_library_blobs(&dropped))
    }

    /// Files of library cases whose text was never read, each content once, smallest first, of
    /// at most `max_size` bytes.
    pub fn library_files_unread(&self, max_size: u64) -> Result<Vec<LibraryFile>> {
        let max = i64::try_from(max_size).unwrap_or(i64::MAX);
        let (case_ids, shas): (Vec<i64>, Vec<String>) = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT min(f.library_case_id), f.sha256 FROM library_files f
                 WHERE f.size <= ?1
                   AND NOT EXISTS (SELECT 1 FROM library_file_reads r WHERE r.sha256 = f.sha256)
                 GROUP BY f.sha256 ORDER BY min(f.size), f.sha256",
            )?;
            let rows = stmt.query_map([max], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)));
            Ok(rows?.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().unzip())
        })?;
        let mut files = Vec::with_capacity(shas.len());
        for (case_id, sha) in case_ids.into_iter().zip(shas) {
            let case = self.read(|conn| load_case(conn, case_id))?;
            files.extend(case.files.into_iter().find(|f| f.sha256 == sha));
        }
        Ok(files)
    }

    /// Whether the text of the file with `sha256` was read already (with or without text).
    pub fn library_file_text_read(&self, sha256: &str) -> Result<bool> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM library_file_reads WHERE sha256 = ?1)",
                [sha256],
                |r| r.get(0),
            )?)
        })
    }

    /// Reads the text of the downloaded library file at `path` in a worker started from
    /// `worker` (OCR in the languages of the cases that list it) and indexes it; a file that
    /// gives no text is recorded too, so it is not fetched again to try.
    pub fn read_library_file_text(
        &self,
        file: &LibraryFile,
        path: &Path,
        worker: &desk_extract::WorkerCommand,
    ) -> Result<crate::IndexStatus> {
        let places: Vec<(String, String)> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT c.country, c.language FROM library_files f
                 JOIN library_cases c ON c.id = f.library_case_id WHERE f.sha256 = ?1",
            )?;
            let rows = stmt.query_map([&file.sha256], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let limits = crate::attachment::limits_for(&places);
        let extraction = desk_extract::run_isolated(path, &limits, worker)
            .map_err(|e| Error::Extraction(e.to_string()))?;
        let status = crate::IndexStatus::of(&extraction.outcome);
        self.index_library_file(&file.sha256, &extraction.units)?;
        let now = self.now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO library_file_reads (sha256, status, read_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO UPDATE SET status = excluded.status,
                                                    read_at = excluded.read_at",
                params![file.sha256, status.as_str(), now],
            )?;
            Ok(())
        })?;
        Ok(status)
    }

    /// Replaces the indexed text of the library file with `sha256` (in every case that lists
    /// it) by its pages or slides; the text stays when the file itself is dropped.
    pub fn index_library_file(&self, sha256: &str, units: &[desk_extract::TextUnit]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM library_text WHERE sha256 = ?1", [sha256])?;
            let cases: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT DISTINCT library_case_id FROM library_files WHERE sha256 = ?1",
                )?;
                stmt.query_map([sha256], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            let mut insert = tx.prepare_cached(
                "INSERT INTO library_text (library_case_id, field, sha256, unit, unit_label, text,
                     grams, facets)
                 VALUES (?1, 'file', ?2, ?3, ?4, ?5, ?6,
                         coalesce((SELECT facets FROM library_case_facets
                                   WHERE library_case_id = ?1), ''))",
            )?;
            for unit in units {
                let mut text = unit.text.clone();
                if let Some(notes) = unit.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                    text.push_str("\n\n");
                    text.push_str(notes);
                }
                if text.trim().is_empty() {
                    continue;
                }
                let grams = bigrams(&text);
                for case in &cases {
                    insert.execute(params![case, sha256, unit.number, unit.label, text, grams])?;
                }
            }
            Ok(())
        })
    }

    /// Sets the storage cap (MB) and applies it at once.
    pub fn set_library_storage_cap_mb(&self, mb: u64) -> Result<Vec<PathBuf>> {
        self.set_setting(STORAGE_CAP_MB, &mb.to_string())?;
        let cap = self.library_storage_cap_bytes()?;
        let dropped = self.write(|tx| drop_over_cap(tx, cap, None))?;
        Ok(self.remove_library_blobs(&dropped))
    }

    pub fn library_storage_cap_bytes(&self) -> Result<u64> {
        let mb = self
            .setting(STORAGE_CAP_MB)?
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_STORAGE_CAP_MB);
        Ok(mb.saturating_mul(1024 * 1024))
    }

    /// Deletes the files named by SHA-256 (already forgotten by the database); a file that
    /// cannot be deleted stays until the next time (logged, not an error: the library is right).
    fn remove_library_blobs(&self, sha256s: &[String]) -> Vec<PathBuf> {
        let mut removed = Vec::new();
        for sha in sha256s {
            let path = self.library_file_path(sha);
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("could not delete {}: {e}", path.display()),
            }
        }
        removed
    }
}

/// Forgets a case: its text, goal links and file list.
fn remove_case(tx: &Transaction<'_>, uid: &str) -> Result<()> {
    let Some(id): Option<i64> = tx
        .query_row("SELECT id FROM library_cases WHERE case_uid = ?1", [uid], |r| r.get(0))
        .optional()?
    else {
        return Ok(());
    };
    tx.execute("DELETE FROM library_text WHERE library_case_id = ?1", [id])?;
    tx.execute("DELETE FROM library_goal_links WHERE library_case_id = ?1", [id])?;
    tx.execute("DELETE FROM library_files WHERE library_case_id = ?1", [id])?;
    tx.execute("DELETE FROM library_cases WHERE id = ?1", [id])?;
    Ok(())
}

/// Forgets the downloaded files no library case lists any more; returns their SHA-256 (to
/// delete from disk once committed).
fn unused_blobs(tx: &Transaction<'_>) -> Result<Vec<String>> {
    let unused: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT sha256 FROM library_blobs b
             WHERE NOT EXISTS (SELECT 1 FROM library_files f WHERE f.sha256 = b.sha256)",
        )?;
        stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let mut forget = tx.prepare_cached("DELETE FROM library_blobs WHERE sha256 = ?1")?;
    for sha in &unused {
        forget.execute([sha])?;
    }
    Ok(unused)
}

fn insert_case(
    tx: &Transaction<'_>,
    published: &PublishedCase,
    changed_at: &str,
    now: i64,
) -> Result<i64> {
    let doc = &published.case;
    tx.execute(
        "INSERT INTO library_cases (case_uid, submission_id, version, country, language, title,
             summary, published_at, html_url, document, changed_at, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            doc.case_uid.to_string(),
            published.submission_id.to_string(),
            doc.version,
            doc.country,
            doc.language,
            doc.title,
            doc.summary,
            published.published_at,
            published.html_url,
            serde_json::to_string(doc)?,
            changed_at,
            now,
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO library_goal_links (library_case_id, framework, target)
         VALUES (?1, ?2, ?3)",
    )?;
    for m in &doc.mdg_links {
        link.execute(params![id, "mdg", m.target.trim().to_ascii_uppercase()])?;
    }
    for s in &doc.sdg_links {
        link.execute(params![id, "sdg", s.target.trim()])?;
    }
    let mut file = tx.prepare_cached(
        "INSERT INTO library_files (library_case_id, position, name, media_type, size, sha256, url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, f) in published.files.iter().enumerate() {
        let size = i64::try_from(f.size).map_err(|_| Error::LibraryCaseInvalid(f.name.clone()))?;
        file.execute(params![id, position as i64, f.name, f.media_type, size, f.sha256, f.url])?;
    }
    let mut text = tx.prepare_cached(
        "INSERT INTO library_text (library_case_id, field, text, grams, facets)
         VALUES (?1, ?2, ?3, ?4,
                 coalesce((SELECT facets FROM library_case_facets
                           WHERE library_case_id = ?1), ''))",
    )?;
    for field in CaseField::ALL {
        let value = field.read_from_document(doc);
        if !value.trim().is_empty() {
            text.execute(params![id, field.column(), value, bigrams(&value)])?;
        }
    }
    Ok(id)
}

/// A page or slide of a file's text, kept across a new version of its case.
struct FileText {
    sha256: String,
    unit: i64,
    unit_label: Option<String>,
    text: String,
    grams: String,
}

fn file_text_of(tx: &Transaction<'_>, uid: &str) -> Result<Vec<FileText>> {
    let mut stmt = tx.prepare_cached(
        "SELECT t.sha256, t.unit, t.unit_label, t.text, t.grams
         FROM library_text t JOIN library_cases c ON c.id = t.library_case_id
         WHERE c.case_uid = ?1 AND t.field = 'file'",
    )?;
    let rows = stmt.query_map([uid], |r| {
        Ok(FileText {
            sha256: r.get(0)?,
            unit: r.get(1)?,
            unit_label: r.get(2)?,
            text: r.get(3)?,
            grams: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The text of the files the new version still lists (same SHA-256) stays searchable.
fn restore_file_text(tx: &Transaction<'_>, id: i64, kept: &[FileText]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO library_text (library_case_id, field, sha256, unit, unit_label, text, grams,
             facets)
         SELECT ?1, 'file', ?2, ?3, ?4, ?5, ?6,
                coalesce((SELECT facets FROM library_case_facets WHERE library_case_id = ?1), '')
         WHERE EXISTS (SELECT 1 FROM library_files WHERE library_case_id = ?1 AND sha256 = ?2)",
    )?;
    for t in kept {
        insert.execute(params![id, t.sha256, t.unit, t.unit_label, t.text, t.grams])?;
    }
    Ok(())
}

fn load_case(conn: &Connection, id: i64) -> Result<LibraryCase> {
    let (case, document): (LibraryCase, String) = conn.query_row(
        "SELECT id, case_uid, submission_id, version, country, language, title, summary,
                published_at, html_url, document
         FROM library_cases WHERE id = ?1",
        [id],
        |r| {
            Ok((
                LibraryCase {
                    id: r.get(0)?,
                    case_uid: r.get(1)?,
                    submission_id: r.get(2)?,
                    version: r.get(3)?,
                    country: r.get(4)?,
                    language: r.get(5)?,
                    title: r.get(6)?,
                    summary: r.get(7)?,
                    published_at: r.get(8)?,
                    html_url: r.get(9)?,
                    mdg_targets: Vec::new(),
                    sdg_targets: Vec::new(),
                    files: Vec::new(),
                    sections: Vec::new(),
                },
                r.get(10)?,
            ))
        },
    )?;
    let doc: paks_protocol::CaseDocument = serde_json::from_str(&document)?;
    let sections = CaseField::ALL
        .into_iter()
        .map(|field| LibrarySection { field, text: field.read_from_document(&doc) })
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    let mut links = conn.prepare_cached(
        "SELECT framework, target FROM library_goal_links WHERE library_case_id = ?1
         ORDER BY framework, target",
    )?;
    let (mut mdg, mut sdg) = (Vec::new(), Vec::new());
    for row in links.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (framework, target) = row?;
        if framework == "mdg" { mdg.push(target) } else { sdg.push(target) }
    }
    let mut files = conn.prepare_cached(
        "SELECT f.position, f.name, f.media_type, f.size, f.sha256, f.url,
                b.sha256 IS NOT NULL, b.opened_at
         FROM library_files f LEFT JOIN library_blobs b ON b.sha256 = f.sha256
         WHERE f.library_case_id = ?1 ORDER BY f.position",
    )?;
    let files = files
        .query_map([id], |r| {
            Ok(LibraryFile {
                position: r.get(0)?,
                name: r.get(1)?,
                media_type: r.get(2)?,
                size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                sha256: r.get(4)?,
                url: r.get(5)?,
                stored: r.get(6)?,
                opened_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(LibraryCase { mdg_targets: mdg, sdg_targets: sdg, files, sections, ..case })
}

fn stored_bytes(conn: &Connection) -> Result<u64> {
    let bytes: i64 =
        conn.query_row("SELECT coalesce(sum(size), 0) FROM library_blobs", [], |r| r.get(0))?;
    Ok(u64::try_from(bytes).unwrap_or(0))
}

/// Marks files as no longer stored, least recently opened first, until the stored bytes fit
/// under `cap` (`keep`, the file just opened, goes last: it is the one wanted now). Returns the
/// SHA-256 of the files to delete.
fn drop_over_cap(tx: &Transaction<'_>, cap: u64, keep: Option<&str>) -> Result<Vec<String>> {
    let mut total = stored_bytes(tx)?;
    if total <= cap {
        return Ok(Vec::new());
    }
    let stored: Vec<(String, u64)> = {
        let mut stmt = tx.prepare(
            "SELECT sha256, size FROM library_blobs ORDER BY sha256 = ?1, opened_at, sha256",
        )?;
        stmt.query_map([keep.unwrap_or("")], |r| {
            Ok((r.get(0)?, u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut dropped = Vec::new();
    for (sha, size) in stored {
        if total <= cap || Some(sha.as_str()) == keep {
            break;
        }
        tx.execute("DELETE FROM library_blobs WHERE sha256 = ?1", [&sha])?;
        total = total.saturating_sub(size);
        dropped.push(sha);
    }
    Ok(dropped)
}

/// Whether `path` holds a file whose SHA-256 is `sha256` (the check before a stored file is
/// handed out: the disk may have lost it or someone changed it).
pub fn verify_stored_file(path: &Path, sha256: &str) -> Result<bool> {
    match crate::attachment::hash_file(path) {
        Ok((found, _)) => Ok(found == sha256),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => {
            Err(Error::FileUnreadable { name: path.display().to_string(), reason: e.to_string() })
        }
    }
}
