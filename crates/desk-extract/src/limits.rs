use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Bounds on one extraction job. All sizes in bytes, all times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Characters of text kept per file; past it the file is partly indexed. Enough for a
    /// 2,500-page manual at 4,000 characters a page (Zotero keeps 500,000: a 300-page strategy).
    /// Chosen from the search bench (`PAKS_BENCH_MANUALS`, docs/performance.md).
    pub max_chars: usize,
    /// Largest file the worker will read at all.
    pub max_file_bytes: u64,
    /// Largest decompressed size of any one part of a zip-based document.
    pub max_part_bytes: u64,
    /// Largest decompressed size of all parts read from one zip-based document.
    pub max_total_unzipped_bytes: u64,
    /// Address-space limit of the worker process (Linux), in bytes.
    pub memory_bytes: u64,
    /// Address-space limit when the worker runs LibreOffice, which maps far more.
    pub soffice_memory_bytes: u64,
    /// Time allowed before the page count is known, and added to the per-page time.
    pub base_timeout_ms: u64,
    /// Time added per page, slide or sheet once the worker has reported the count.
    pub per_page_timeout_ms: u64,
    /// Ceiling on the whole job, however many pages.
    pub max_timeout_ms: u64,
    /// Time allowed to one LibreOffice conversion.
    pub soffice_timeout_ms: u64,
    /// Tesseract languages for pages without text and for pictures, e.g. `lao+eng`
    /// (see [`crate::ocr_languages_for`]); empty turns OCR off.
    pub ocr_languages: String,
    /// Resolution pages are rendered at for OCR.
    pub ocr_dpi: u32,
    /// Time added per page the worker reads by OCR.
    pub ocr_page_timeout_ms: u64,
    /// Ceiling on a job that reads pages by OCR, however many.
    pub max_ocr_timeout_ms: u64,
    /// Where the pages of a PDF read by OCR are kept as they are read, so that a reading
    /// stopped by closing the app goes on from there; `None` keeps nothing.
    pub ocr_pages_dir: Option<PathBuf>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_chars: 10_000_000,
            max_file_bytes: 1 << 30,
            max_part_bytes: 64 << 20,
            max_total_unzipped_bytes: 512 << 20,
            memory_bytes: 2 << 30,
            soffice_memory_bytes: 8 << 30,
            base_timeout_ms: 20_000,
            per_page_timeout_ms: 1_000,
            max_timeout_ms: 10 * 60_000,
            soffice_timeout_ms: 120_000,
            ocr_languages: "eng".to_string(),
            ocr_dpi: 300,
            ocr_page_timeout_ms: 60_000,
            max_ocr_timeout_ms: 6 * 60 * 60_000,
            ocr_pages_dir: None,
        }
    }
}

impl Limits {
    /// Wall-clock time allowed to a job of `pages` units (0 while unknown).
    pub fn timeout_for(&self, pages: u32) -> Duration {
        let ms = self
            .base_timeout_ms
            .saturating_add(self.per_page_timeout_ms.saturating_mul(u64::from(pages)))
            .min(self.max_timeout_ms.max(self.base_timeout_ms));
        Duration::from_millis(ms)
    }

    /// Wall-clock time allowed to a job of `pages` units of which `ocr_pages` are read by OCR.
    pub fn timeout_with_ocr(&self, pages: u32, ocr_pages: u32) -> Duration {
        if ocr_pages == 0 {
            return self.timeout_for(pages);
        }
        let base = u64::try_from(self.timeout_for(pages).as_millis()).unwrap_or(u64::MAX);
        let ms = base
            .saturating_add(self.ocr_page_timeout_ms.saturating_mul(u64::from(ocr_pages)))
            .min(self.max_ocr_timeout_ms.max(base));
        Duration::from_millis(ms)
    }
}
