//! PDF: pdf-extract page by page, each page under `catch_unwind`; pdf_oxide for the pages
//! where pdf-extract panics, fails, or returns near-empty or garbled text.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::detect::find;
use crate::error::DocError;
use crate::extraction::{Collector, Extraction};
use crate::kind::DocKind;
use crate::limits::Limits;

const ENGINE_1: &str = "pdf-extract";
const ENGINE_2: &str = "pdf_oxide";
/// Pages with fewer visible characters than this count as near-empty.
const NEAR_EMPTY: usize = 8;

/// One engine's reading of one page.
#[derive(Debug)]
enum PageRead {
    Text(String),
    Failed,
}

pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    // Some engines return empty "ok" text for a password-protected file, so the
    // encryption dictionary is looked for in the raw bytes first.
    let encrypted = has_encrypt_dictionary(bytes);

    let first = catch_unwind(AssertUnwindSafe(|| first_engine(bytes, encrypted)))
        .unwrap_or_else(|_| Err(FirstEngine::Unusable("it crashed while loading".into())));
    let mut pages: BTreeMap<u32, PageRead> = BTreeMap::new();
    let mut load_error = None;
    match first {
        Ok(doc) => {
            let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
            on_count(u32::try_from(numbers.len()).unwrap_or(u32::MAX));
            let mut chars = 0usize;
            for n in numbers {
                if chars > limits.max_chars {
                    // Later pages are past the cap anyway; stop paying for them.
                    pages.insert(n, PageRead::Text(String::new()));
                    continue;
                }
                let read = first_engine_page(&doc, n);
                if let PageRead::Text(t) = &read {
                    chars += t.chars().count();
                }
                pages.insert(n, read);
            }
        }
        Err(FirstEngine::PasswordNeeded) => return Err(DocError::PasswordProtected),
        Err(FirstEngine::Unusable(reason)) => load_error = Some(reason),
    }

    // A blank page among pages of text is most likely blank (a figure, a separator), and a
    // second engine would not find more; near-empty pages are retried only when most are.
    let blank = pages.values().filter(|r| near_empty(r)).count();
    let mostly_empty = blank * 2 > pages.len();
    let retry: Vec<u32> = if load_error.is_some() {
        Vec::new()
    } else {
        pages
            .iter()
            .filter(|(_, r)| failed_or_garbled(r) || (mostly_empty && near_empty(r)))
            .map(|(n, _)| *n)
            .collect()
    };
    let mut used_second = false;
    if load_error.is_some() || !retry.is_empty() {
        match catch_unwind(AssertUnwindSafe(|| second_engine_open(bytes, encrypted))) {
            Ok(Ok(doc)) => {
                let count = doc.page_count().unwrap_or(0);
                let count_u32 = u32::try_from(count).unwrap_or(u32::MAX);
                let todo: Vec<u32> = if load_error.is_some() {
                    on_count(count_u32);
                    (1..=count_u32).collect()
                } else {
                    retry
                };
                for n in todo {
                    let second = second_engine_page(&doc, n);
                    let better = match (pages.get(&n), &second) {
                        (None, _) => true,
                        (Some(PageRead::Failed), _) => true,
                        (Some(PageRead::Text(a)), PageRead::Text(b)) => {
                            good_chars(b) > good_chars(a)
                        }
                        (Some(PageRead::Text(_)), PageRead::Failed) => false,
                    };
                    if better {
                        used_second = true;
                        pages.insert(n, second);
                    }
                }
            }
            Ok(Err(DocError::PasswordProtected)) => return Err(DocError::PasswordProtected),
            Ok(Err(e)) => {
                if let Some(first_reason) = load_error {
                    if encrypted {
                        return Err(DocError::PasswordProtected);
                    }
                    return Err(DocError::damaged(format!("{first_reason}; {e}")));
                }
            }
            Err(_) => {
                if let Some(first_reason) = load_error {
                    return Err(DocError::damaged(first_reason));
                }
            }
        }
    }

    let engine = match (load_error.is_some(), used_second) {
        (true, _) => ENGINE_2,
        (false, true) => "pdf-extract+pdf_oxide",
        (false, false) => ENGINE_1,
    };
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let mut collector = Collector::new(DocKind::Pdf, limits.max_chars);
    let mut failed = Vec::new();
    for (n, read) in pages {
        match read {
            PageRead::Text(t) => {
                if collector.is_full() && !t.trim().is_empty() {
                    collector.mark_capped();
                    continue;
                }
                collector.push(n, t, None);
            }
            PageRead::Failed => failed.push(n),
        }
    }
    let collected = collector.finish();
    let all_blank = failed.is_empty() && collected.units.iter().all(|u| u.text.trim().is_empty());
    if all_blank && encrypted {
        return Err(DocError::PasswordProtected);
    }
    Ok(Extraction::from_units(DocKind::Pdf, engine, collected, failed, total))
}

enum FirstEngine {
    PasswordNeeded,
    Unusable(String),
}

fn first_engine(bytes: &[u8], encrypted: bool) -> Result<pdf_extract::Document, FirstEngine> {
    let mut doc = pdf_extract::Document::load_mem(bytes)
        .map_err(|e| FirstEngine::Unusable(format!("{ENGINE_1} could not open it ({e})")))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        // Ask the second engine before calling it password-protected: lopdf lacks
        // some security handlers.
        return Err(if encrypted && second_engine_open(bytes, true).is_err() {
            FirstEngine::PasswordNeeded
        } else {
            FirstEngine::Unusable(format!("{ENGINE_1} could not decrypt it"))
        });
    }
    Ok(doc)
}

fn first_engine_page(doc: &pdf_extract::Document, n: u32) -> PageRead {
    let read = catch_unwind(AssertUnwindSafe(|| {
        let mut text = String::new();
        let mut out = pdf_extract::PlainTextOutput::new(&mut text);
        pdf_extract::output_doc_page(doc, &mut out, n).map(|()| text)
    }));
    match read {
        Ok(Ok(text)) => PageRead::Text(tidy(&text)),
        _ => PageRead::Failed,
    }
}

fn second_engine_open(bytes: &[u8], encrypted: bool) -> Result<pdf_oxide::PdfDocument, DocError> {
    let doc = pdf_oxide::PdfDocument::from_bytes(bytes.to_vec())
        .map_err(|e| DocError::damaged(format!("{ENGINE_2} could not open it ({e})")))?;
    if encrypted || doc.is_encrypted() {
        match doc.authenticate(b"") {
            Ok(true) => {}
            Ok(false) => return Err(DocError::PasswordProtected),
            Err(e) => {
                return Err(DocError::damaged(format!("its encryption is not readable ({e})")));
            }
        }
    }
    Ok(doc)
}

fn second_engine_page(doc: &pdf_oxide::PdfDocument, n: u32) -> PageRead {
    let index = (n as usize).saturating_sub(1);
    match catch_unwind(AssertUnwindSafe(|| doc.extract_text(index))) {
        Ok(Ok(text)) => PageRead::Text(tidy(&text)),
        _ => PageRead::Failed,
    }
}

fn failed_or_garbled(read: &PageRead) -> bool {
    match read {
        PageRead::Failed => true,
        PageRead::Text(t) => garbled(t),
    }
}

fn near_empty(read: &PageRead) -> bool {
    matches!(read, PageRead::Text(t) if good_chars(t) < NEAR_EMPTY)
}

/// Visible characters that are not replacement, control or private-use characters.
fn good_chars(t: &str) -> usize {
    t.chars().filter(|c| !c.is_whitespace() && !bad_char(*c)).count()
}

fn bad_char(c: char) -> bool {
    c == '\u{FFFD}'
        || (c.is_control() && !c.is_whitespace())
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Text where more than a tenth of the visible characters are replacement, control or
/// private-use characters: an unmapped font, not words.
fn garbled(t: &str) -> bool {
    let visible = t.chars().filter(|c| !c.is_whitespace()).count();
    let bad = t.chars().filter(|c| bad_char(*c)).count();
    visible > 0 && bad * 10 > visible
}

/// Trims the blank lines engines put around a page and drops NULs.
fn tidy(text: &str) -> String {
    text.trim().replace('\0', "")
}

/// Whether a trailer or cross-reference stream dictionary names an `/Encrypt` dictionary.
pub(crate) fn has_encrypt_dictionary(bytes: &[u8]) -> bool {
    let mut from = 0;
    while let Some(pos) = find(&bytes[from..], b"/Encrypt") {
        let at = from + pos;
        let next = bytes.get(at + 8).copied().unwrap_or(b' ');
        // `/EncryptMetadata` and the like are other keys.
        if !next.is_ascii_alphanumeric() {
            let start = at.saturating_sub(4096);
            let window = &bytes[start..(at + 4096).min(bytes.len())];
            if find(window, b"/Root").is_some() || find(window, b"/Size").is_some() {
                return true;
            }
        }
        from = at + 8;
    }
    false
}
