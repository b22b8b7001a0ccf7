//! PDF: pdf-extract page by page, each page under `catch_unwind`; pdf_oxide for the pages
//! where pdf-extract panics, fails, or returns near-empty or garbled text.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use crate::detect::find;
use crate::error::DocError;
use crate::extraction::{Collector, Extraction, Outcome, PageReading};
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::ocr::{self, Ocr, OcrProgress};

const ENGINE_1: &str = "pdf-extract";
const ENGINE_2: &str = "pdf_oxide";
/// Pages with fewer visible characters than this count as near-empty.
const NEAR_EMPTY: usize = 8;
/// Pages of text read by both engines to learn whether pdf-extract drops part of this
/// document's text.
const SAMPLE_PAGES: usize = 4;

/// One engine's reading of one page.
#[derive(Debug)]
enum PageRead {
    Text(String),
    Failed,
}

pub(crate) fn extract(
    path: &std::path::Path,
    bytes: &[u8],
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
    on_ocr: &mut dyn FnMut(OcrProgress),
) -> Result<Extraction, DocError> {
    // Some engines return empty "ok" text for a password-protected file, so the
    // encryption dictionary is looked for in the raw bytes first.
    let encrypted = has_encrypt_dictionary(bytes);

    let first = catch_unwind(AssertUnwindSafe(|| first_engine(bytes, encrypted)))
        .unwrap_or_else(|_| Err(FirstEngine::Unusable("it crashed while loading".into())));
    let mut pages: BTreeMap<u32, PageRead> = BTreeMap::new();
    let mut load_error = None;
    match first {
        // Every call into an engine is contained: a panic outside would lose the whole file.
        Ok(doc) => match catch_unwind(AssertUnwindSafe(|| page_numbers(&doc))) {
            Ok(numbers) => {
                on_count(u32::try_from(numbers.len()).unwrap_or(u32::MAX));
                first_engine_pages(&doc, &numbers, limits.max_chars, &mut pages);
            }
            Err(_) => load_error = Some(format!("{ENGINE_1} crashed reading its page tree")),
        },
        Err(FirstEngine::PasswordNeeded) => return Err(DocError::PasswordProtected),
        Err(FirstEngine::Unusable(reason)) => load_error = Some(reason),
    }

    // A near-empty page among pages of text may be a separator, or a page pdf-extract could
    // not decode (a CJK/Latin mix loses whole pages): the second engine reads every one. A few
    // more pages are read by both to learn whether pdf-extract drops part of every page set in
    // this document's fonts (blanks where a bilingual table of contents has Latin letters and
    // digits); if it does, every page is read by both.
    let (retry, sample): (BTreeSet<u32>, Vec<u32>) = if load_error.is_some() {
        (BTreeSet::new(), Vec::new())
    } else {
        let retry: BTreeSet<u32> = pages
            .iter()
            .filter(|(_, r)| failed_or_garbled(r) || near_empty(r))
            .map(|(n, _)| *n)
            .collect();
        let sample =
            pages.keys().filter(|n| !retry.contains(n)).take(SAMPLE_PAGES).copied().collect();
        (retry, sample)
    };
    let first_name = if load_error.is_some() { ENGINE_2 } else { ENGINE_1 };
    let mut engines: BTreeMap<u32, &'static str> = BTreeMap::new();
    let mut used_second = false;
    if load_error.is_some() || !retry.is_empty() || !sample.is_empty() {
        match catch_unwind(AssertUnwindSafe(|| second_engine_open(bytes, encrypted))) {
            Ok(Ok(doc)) => {
                let count = catch_unwind(AssertUnwindSafe(|| doc.page_count()))
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                let count_u32 = u32::try_from(count).unwrap_or(u32::MAX);
                let mut read_by_both = |n: u32, pages: &mut BTreeMap<u32, PageRead>| {
                    let second = second_engine_page(&doc, n);
                    let better = second_is_better(pages.get(&n), &second);
                    if better {
                        used_second = true;
                        engines.insert(n, ENGINE_2);
                        pages.insert(n, second);
                    }
                    better
                };
                if load_error.is_some() {
                    on_count(count_u32);
                    for n in 1..=count_u32 {
                        read_by_both(n, &mut pages);
                    }
                } else {
                    for n in retry.iter().copied() {
                        read_by_both(n, &mut pages);
                    }
                    let mut drops_text = false;
                    for n in &sample {
                        drops_text |= read_by_both(*n, &mut pages);
                    }
                    if drops_text {
                        let rest: Vec<u32> = pages
                            .keys()
                            .filter(|n| !retry.contains(n) && !sample.contains(n))
                            .copied()
                            .collect();
                        for n in rest {
                            read_by_both(n, &mut pages);
                        }
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

    let mut engine = match (load_error.is_some(), used_second) {
        (true, _) => ENGINE_2,
        (false, true) => "pdf-extract+pdf_oxide",
        (false, false) => ENGINE_1,
    }
    .to_string();
    let mut confidences: BTreeMap<u32, u8> = BTreeMap::new();
    let mut ocr_tried = 0usize;
    let todo: Vec<u32> = pages
        .iter()
        .filter(|(_, r)| matches!(r, PageRead::Failed) || near_empty(r))
        .map(|(n, _)| *n)
        .collect();
    // Looked for only when a page needs it: finding it runs `tesseract --list-langs`.
    let ocr = if todo.is_empty() { None } else { Ocr::find(limits).filter(Ocr::can_render_pdf) };
    if let Some(ocr) = &ocr {
        {
            let scratch = tempfile::tempdir().map_err(DocError::Io)?;
            let saved = limits
                .ocr_pages_dir
                .as_deref()
                .map(|dir| ocr::SavedPages::new(dir, ocr.languages()));
            let total = u32::try_from(todo.len()).unwrap_or(u32::MAX);
            on_ocr(OcrProgress::Planned(total));
            let mut chars: usize = pages
                .values()
                .map(|r| if let PageRead::Text(t) = r { t.chars().count() } else { 0 })
                .sum();
            for (done, n) in todo.into_iter().enumerate() {
                if chars > limits.max_chars {
                    break;
                }
                ocr_tried += 1;
                let read = match saved.as_ref().and_then(|s| s.get(n)) {
                    Some(page) => Ok(page),
                    None => ocr.read_pdf_page(path, n, scratch.path()).inspect(|page| {
                        if let Some(saved) = &saved {
                            saved.put(n, page);
                        }
                    }),
                };
                if let Ok(read) = read {
                    confidences.insert(n, read.confidence);
                    engines.insert(n, ocr::ENGINE);
                    if !read.text.is_empty() {
                        chars += read.text.chars().count();
                        pages.insert(n, PageRead::Text(read.text));
                    }
                }
                on_ocr(OcrProgress::Done(u32::try_from(done + 1).unwrap_or(u32::MAX)));
            }
            if !confidences.is_empty() {
                engine.push_str("+ocr");
            }
        }
    }
    let readings: Vec<PageReading> = pages
        .keys()
        .map(|n| PageReading {
            number: *n,
            engine: engines.get(n).copied().unwrap_or(first_name).to_string(),
            confidence: confidences.get(n).copied(),
        })
        .collect();
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
    if all_blank && encrypted && ocr_tried == 0 {
        return Err(DocError::PasswordProtected);
    }
    let ocr_text: Vec<(usize, u8)> = collected
        .units
        .iter()
        .filter_map(|u| Some((u.text.chars().count(), *confidences.get(&u.number)?)))
        .filter(|(n, _)| *n > 0)
        .collect();
    let mut extraction = Extraction::from_units(DocKind::Pdf, &engine, collected, failed, total);
    extraction.pages = readings;
    extraction.outcome = match extraction.outcome {
        Outcome::Indexed { pages, chars, unit } if !ocr_text.is_empty() => Outcome::OcrIndexed {
            pages,
            chars,
            unit,
            ocr_pages: u32::try_from(ocr_text.len()).unwrap_or(u32::MAX),
            confidence: ocr::weighted_confidence(&ocr_text),
        },
        Outcome::NoTextLayer { pages, unit } if ocr_tried > 0 => Outcome::NoTextRecognised {
            pages,
            unit,
            languages: ocr.as_ref().map(|o| o.languages().to_string()).unwrap_or_default(),
        },
        other => other,
    };
    Ok(extraction)
}

fn page_numbers(doc: &pdf_extract::Document) -> Vec<u32> {
    doc.get_pages().keys().copied().collect()
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

/// Reads `numbers` (all pages, in order) into `pages`. One `output_doc` pass reads them all:
/// `output_doc_page` walks the whole page tree for every page it is asked for. From the page
/// after one that fails or panics, pages are read one call at a time.
fn first_engine_pages(
    doc: &pdf_extract::Document,
    numbers: &[u32],
    max_chars: usize,
    pages: &mut BTreeMap<u32, PageRead>,
) {
    let mut splitter = PageSplitter::new(max_chars);
    let whole = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc(doc, &mut splitter)));
    let PageSplitter { done, mut chars, .. } = splitter;
    let read = done.len();
    pages.extend(done);
    let mut rest = numbers.get(read..).unwrap_or_default().iter().copied();
    if matches!(whole, Ok(Ok(()))) {
        return;
    }
    if chars <= max_chars
        && let Some(n) = rest.next()
    {
        // The page that stopped the pass; reading it alone would fail the same way.
        pages.insert(n, PageRead::Failed);
    }
    read_page_by_page(doc, rest, &mut chars, max_chars, pages);
}

/// Reads the pages `numbers` one `output_doc_page` call each, adding their characters to
/// `chars`; once past `max_chars`, later pages are recorded empty without being read.
fn read_page_by_page(
    doc: &pdf_extract::Document,
    numbers: impl IntoIterator<Item = u32>,
    chars: &mut usize,
    max_chars: usize,
    pages: &mut BTreeMap<u32, PageRead>,
) {
    for n in numbers {
        if *chars > max_chars {
            // Later pages are past the cap anyway; stop paying for them.
            pages.insert(n, PageRead::Text(String::new()));
            continue;
        }
        let read = first_engine_page(doc, n);
        if let PageRead::Text(t) = &read {
            *chars += t.chars().count();
        }
        pages.insert(n, read);
    }
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

/// An `OutputDev` that gives each page a fresh `PlainTextOutput`, as a call of
/// `output_doc_page` would, and keeps each page's text apart.
struct PageSplitter {
    buffer: PageBuffer,
    page: Option<(u32, pdf_extract::PlainTextOutput<PageBuffer>)>,
    done: Vec<(u32, PageRead)>,
    chars: usize,
    max_chars: usize,
}

impl PageSplitter {
    fn new(max_chars: usize) -> Self {
        Self { buffer: PageBuffer::default(), page: None, done: Vec::new(), chars: 0, max_chars }
    }

    fn out(
        &mut self,
    ) -> Result<&mut pdf_extract::PlainTextOutput<PageBuffer>, pdf_extract::OutputError> {
        self.page
            .as_mut()
            .map(|(_, out)| out)
            .ok_or(pdf_extract::OutputError::FormatError(std::fmt::Error))
    }
}

impl pdf_extract::OutputDev for PageSplitter {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &pdf_extract::MediaBox,
        art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), pdf_extract::OutputError> {
        if self.chars > self.max_chars {
            // Later pages are past the cap anyway; stopping the pass saves reading them.
            return Err(pdf_extract::OutputError::FormatError(std::fmt::Error));
        }
        self.buffer.0.borrow_mut().clear();
        let mut out = pdf_extract::PlainTextOutput::new(self.buffer.clone());
        out.begin_page(page_num, media_box, art_box)?;
        self.page = Some((page_num, out));
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), pdf_extract::OutputError> {
        let Some((n, mut out)) = self.page.take() else {
            return Err(pdf_extract::OutputError::FormatError(std::fmt::Error));
        };
        out.end_page()?;
        let text = tidy(&self.buffer.0.borrow());
        self.chars += text.chars().count();
        self.done.push((n, PageRead::Text(text)));
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), pdf_extract::OutputError> {
        self.out()?.output_character(trm, width, spacing, font_size, char)
    }

    fn begin_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.out()?.begin_word()
    }

    fn end_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.out()?.end_word()
    }

    fn end_line(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.out()?.end_line()
    }
}

/// The text of the page being read, shared between the splitter and its `PlainTextOutput`.
#[derive(Clone, Default)]
struct PageBuffer(Rc<RefCell<String>>);

impl std::fmt::Write for PageBuffer {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.borrow_mut().push_str(s);
        Ok(())
    }
}

impl pdf_extract::ConvertToFmt for PageBuffer {
    type Writer = Self;
    fn convert(self) -> Self {
        self
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

/// Whether the second engine's reading of a page replaces the first's: always for a page the
/// first could not read; for a near-empty or garbled one, when it holds more; for a page of
/// text, only when it holds clearly more, so two readings that differ by a few spaces or a
/// ligature keep the first engine's.
fn second_is_better(first: Option<&PageRead>, second: &PageRead) -> bool {
    match (first, second) {
        (None | Some(PageRead::Failed), _) => true,
        (Some(PageRead::Text(_)), PageRead::Failed) => false,
        (Some(read @ PageRead::Text(a)), PageRead::Text(b)) => {
            let (a, b) = (good_chars(a), good_chars(b));
            if near_empty(read) || failed_or_garbled(read) {
                b > a
            } else {
                b >= a + (a / 10).max(NEAR_EMPTY)
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What reading one `output_doc_page` call per page gives, with the same cap.
    fn page_by_page(doc: &pdf_extract::Document, max_chars: usize) -> BTreeMap<u32, PageRead> {
        let mut pages = BTreeMap::new();
        read_page_by_page(doc, doc.get_pages().keys().copied(), &mut 0, max_chars, &mut pages);
        pages
    }

    /// A PDF with one page per content stream, in Helvetica; `None` leaves a page's media box
    /// out (pdf-extract panics on such a page).
    fn pdf_of_pages(pages: &[(Option<&str>, String)]) -> Vec<u8> {
        let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
        let mut objs: Vec<String> = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        ];
        for (i, (media_box, content)) in pages.iter().enumerate() {
            let media_box = media_box.map(|b| format!("/MediaBox {b} ")).unwrap_or_default();
            objs.push(format!(
                "<< /Type /Page /Parent 2 0 R {media_box}/Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            ));
            objs.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
        }
        let mut pdf = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
        }
        let xref = pdf.len();
        pdf.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1));
        for off in offsets {
            pdf.push_str(&format!("{off:010} 00000 n \n"));
        }
        pdf.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        ));
        pdf.into_bytes()
    }

    const LETTER: Option<&str> = Some("[0 0 612 792]");

    /// A PDF of four pages of text where page 2 has no media box (pdf-extract panics on it).
    fn second_page_panics() -> Vec<u8> {
        let pages: Vec<(Option<&str>, String)> = (1..=4)
            .map(|n| {
                let media_box = if n == 2 { None } else { LETTER };
                (media_box, format!("BT /F1 18 Tf 72 720 Td (Text of page {n}) Tj ET"))
            })
            .collect();
        pdf_of_pages(&pages)
    }

    fn read(bytes: &[u8]) -> Extraction {
        let limits = Limits { ocr_languages: String::new(), ..Limits::default() };
        extract(std::path::Path::new("test.pdf"), bytes, &limits, &mut |_| {}, &mut |_| {}).unwrap()
    }

    /// Pages whose heading is shown with `Tj` and whose lines with `'` (next line, show), an
    /// operator pdf-extract skips: it reads each page's heading and loses the rest, as it loses
    /// the Latin letters and digits of a bilingual table of contents.
    #[test]
    fn pages_the_first_engine_reads_short_are_read_whole_by_the_second_every_one() {
        let pages: Vec<(Option<&str>, String)> = (1..=7)
            .map(|n| {
                let lines = format!(
                    "(Chapter {n} overview 1{n}) ' (Chapter {n} findings 2{n}) ' (Chapter {n} lessons 3{n}) '"
                );
                (LETTER, format!("BT /F1 12 Tf 14 TL 72 720 Td (Contents of part {n}) Tj {lines} ET"))
            })
            .collect();
        let extraction = read(&pdf_of_pages(&pages));

        assert_eq!(extraction.units.len(), 7, "{extraction:?}");
        for unit in &extraction.units {
            let n = unit.number;
            for words in [format!("Contents of part {n}"), format!("Chapter {n} lessons 3{n}")] {
                assert!(unit.text.contains(&words), "page {n} lacks {words:?}: {:?}", unit.text);
            }
        }
        assert!(extraction.pages.iter().all(|p| p.engine == ENGINE_2), "{:?}", extraction.pages);
        assert_eq!(extraction.engine, "pdf-extract+pdf_oxide");
    }

    #[test]
    fn pages_both_engines_read_alike_keep_the_first_engine() {
        let pages: Vec<(Option<&str>, String)> = (1..=6)
            .map(|n| {
                (
                    LETTER,
                    format!("BT /F1 12 Tf 72 720 Td (Findings of part {n}, with figures) Tj ET"),
                )
            })
            .collect();
        let extraction = read(&pdf_of_pages(&pages));

        assert_eq!(extraction.units.len(), 6);
        assert_eq!(extraction.engine, ENGINE_1, "{:?}", extraction.pages);
        assert!(extraction.pages.iter().all(|p| p.engine == ENGINE_1));
    }

    #[test]
    fn the_second_reading_replaces_a_page_of_text_only_when_clearly_longer() {
        let text = |s: &str| PageRead::Text(s.to_owned());
        let heading = text("Contents of part 1");
        assert!(second_is_better(Some(&heading), &text("Contents of part 1 Chapter one 12")));
        assert!(!second_is_better(Some(&heading), &text("Contents of part 1 .")));
        assert!(!second_is_better(Some(&heading), &PageRead::Failed));
        assert!(second_is_better(Some(&text("ab")), &text("abc")));
        assert!(second_is_better(Some(&PageRead::Failed), &text("")));
        assert!(second_is_better(None, &text("x")));
    }

    #[test]
    fn a_panicking_page_fails_alone_and_later_pages_are_read() {
        let bytes = second_page_panics();
        let Ok(doc) = first_engine(&bytes, false) else { panic!("the test PDF does not open") };
        let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
        let mut pages = BTreeMap::new();
        first_engine_pages(&doc, &numbers, usize::MAX, &mut pages);
        assert_eq!(format!("{pages:?}"), format!("{:?}", page_by_page(&doc, usize::MAX)));
        assert!(matches!(pages.get(&2), Some(PageRead::Failed)), "{pages:?}");
        for n in [1, 3, 4] {
            let Some(PageRead::Text(t)) = pages.get(&n) else { panic!("page {n}: {pages:?}") };
            assert_eq!(t, &format!("Text of page {n}"));
        }
    }

    #[test]
    fn one_pass_reads_what_page_by_page_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for (name, max_chars) in
            [("three_pages.pdf", usize::MAX), ("three_pages.pdf", 1), ("no_mediabox.pdf", 500_000)]
        {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let Ok(doc) = first_engine(&bytes, false) else { panic!("{name} does not open") };
            let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
            let mut one_pass = BTreeMap::new();
            first_engine_pages(&doc, &numbers, max_chars, &mut one_pass);
            let expected = page_by_page(&doc, max_chars);
            assert_eq!(format!("{one_pass:?}"), format!("{expected:?}"), "{name}, cap {max_chars}");
        }
    }
}
