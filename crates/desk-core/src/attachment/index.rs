//! Reading a stored file's text: in an isolated worker, never while the writer is held.

use std::sync::atomic::AtomicBool;

use desk_extract::{Extraction, Limits, OcrStatus, Outcome, WorkerCommand};
use rusqlite::params;

use super::{IndexStatus, kind_name};
use crate::error::{Error, Result};
use crate::store::Store;

impl Store {
    /// Stored files whose text has not been read yet, oldest first.
    pub fn pending_index(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT sha256 FROM blobs WHERE index_status = 'pending' ORDER BY created_at, sha256",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The limits to read `sha256` within: the defaults, with OCR in the scripts of the cases
    /// that hold the file (a Lao case's scan is read as Lao and English; a file in a Lao and a
    /// Khmer case as both).
    pub fn reading_limits(&self, sha256: &str) -> Result<Limits> {
        let cases: Vec<(String, String)> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT c.country, c.language FROM attachments a \
                 JOIN cases c ON c.id = a.case_id WHERE a.sha256 = ?1 ORDER BY a.created_at",
            )?;
            let rows = stmt.query_map([sha256], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        Ok(limits_for(&cases))
    }

    /// Reads the text of the stored file `sha256` in a worker started from `worker`, within
    /// `limits`, and records it. Content that defeats the reader becomes an outcome; `Err` only
    /// when the worker cannot run or the stored file is gone (it stays pending).
    pub fn index_attachment(
        &self,
        sha256: &str,
        worker: &WorkerCommand,
        limits: &Limits,
    ) -> Result<Extraction> {
        let never = AtomicBool::new(false);
        let read = self.index_attachment_watched(sha256, worker, limits, &never, &mut |_| {})?;
        read.ok_or_else(|| Error::Extraction("stopped without being asked to".into()))
    }

    /// [`Store::index_attachment`] that tells `on_ocr` how many pages OCR has read, and stops
    /// the worker once `stop` is set: `Ok(None)`, nothing recorded, the file still waiting.
    pub fn index_attachment_watched(
        &self,
        sha256: &str,
        worker: &WorkerCommand,
        limits: &Limits,
        stop: &AtomicBool,
        on_ocr: &mut dyn FnMut(OcrStatus),
    ) -> Result<Option<Extraction>> {
        let path = self.blob_dir().path_of(sha256);
        let known: bool = self.read(|conn| {
            Ok(conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
                [sha256],
                |r| r.get(0),
            )?)
        })?;
        if !known {
            return Err(Error::AttachmentNotFound(sha256.to_owned()));
        }
        let saved_pages = self.dir().join("ocr-pages").join(sha256);
        // A job's limits travel as JSON, which holds only UTF-8 paths; elsewhere nothing is kept.
        let limits = Limits {
            ocr_pages_dir: saved_pages.to_str().is_some().then(|| saved_pages.clone()),
            ..limits.clone()
        };
        let extraction =
            match desk_extract::run_isolated_watched(&path, &limits, worker, stop, on_ocr) {
                Ok(extraction) => extraction,
                Err(desk_extract::ExtractError::Cancelled) => return Ok(None),
                Err(desk_extract::ExtractError::WorkerFailed(reason)) => {
                    let kind = desk_extract::detect(&path)
                        .map_or(desk_extract::DocKind::Other, |d| d.kind);
                    Extraction::without_text(kind, "none", Outcome::Damaged { reason })
                }
                Err(err) => return Err(Error::Extraction(err.to_string())),
            };
        self.record_extraction(sha256, &extraction)?;
        if let Err(err) = std::fs::remove_dir_all(&saved_pages)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(sha256, "could not remove the pages kept while reading: {err}");
        }
        Ok(Some(extraction))
    }

    /// Stores what extraction learnt about `sha256`: its outcome and its text per page or slide.
    pub fn record_extraction(&self, sha256: &str, extraction: &Extraction) -> Result<()> {
        let status = IndexStatus::of(&extraction.outcome);
        let (units, unit_label) = match &extraction.outcome {
            Outcome::Indexed { pages, unit, .. }
            | Outcome::OcrIndexed { pages, unit, .. }
            | Outcome::PartlyIndexed { pages, unit, .. }
            | Outcome::NoTextLayer { pages, unit }
            | Outcome::NoTextRecognised { pages, unit, .. } => (Some(*pages), unit.clone()),
            _ => (None, extraction.kind.unit_label().to_owned()),
        };
        let message = extraction.outcome.message();
        let now = self.now();
        self.write(|tx| {
            let updated = tx.execute(
                "UPDATE blobs SET index_status = ?1, index_message = ?2, engine = ?3, units = ?4,
                        unit_label = ?5, kind = ?6, indexed_at = ?7
                 WHERE sha256 = ?8",
                params![
                    status.as_str(),
                    message,
                    extraction.engine,
                    units,
                    unit_label,
                    kind_name(extraction.kind),
                    now,
                    sha256
                ],
            )?;
            if updated == 0 {
                return Err(Error::AttachmentNotFound(sha256.to_owned()));
            }
            record_page_readings(tx, sha256, &extraction.pages)?;
            crate::search::index_units(tx, sha256, &extraction.units)
        })
    }
}

fn record_page_readings(
    conn: &rusqlite::Connection,
    sha256: &str,
    pages: &[desk_extract::PageReading],
) -> Result<()> {
    conn.execute("DELETE FROM page_readings WHERE sha256 = ?1", [sha256])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO page_readings (sha256, unit, engine, confidence)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for page in pages.iter().filter(|p| p.number > 0 && !p.engine.is_empty()) {
        insert.execute(params![
            sha256,
            page.number,
            page.engine,
            page.confidence.map(|c| c.min(100))
        ])?;
    }
    Ok(())
}

/// Reading limits with OCR in the languages of these (country, language) pairs, and English.
pub(crate) fn limits_for(places: &[(String, String)]) -> Limits {
    let mut languages: Vec<String> = Vec::new();
    for (country, language) in places {
        for name in desk_extract::ocr_languages_for(country, language).split('+') {
            if name != "eng" && !languages.iter().any(|l| l == name) {
                languages.push(name.to_owned());
            }
        }
    }
    // The worker refuses more than eight names; English, in nearly every document, stays.
    languages.truncate(7);
    languages.push("eng".to_owned());
    Limits { ocr_languages: languages.join("+"), ..Limits::default() }
}
