use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Bounds on one extraction job. All sizes in bytes, all times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Characters of text kept per file (Zotero keeps 500,000); past it the file is
    /// partly indexed.
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_chars: 500_000,
            max_file_bytes: 1 << 30,
            max_part_bytes: 64 << 20,
            max_total_unzipped_bytes: 512 << 20,
            memory_bytes: 2 << 30,
            soffice_memory_bytes: 8 << 30,
            base_timeout_ms: 20_000,
            per_page_timeout_ms: 1_000,
            max_timeout_ms: 10 * 60_000,
            soffice_timeout_ms: 120_000,
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
}
