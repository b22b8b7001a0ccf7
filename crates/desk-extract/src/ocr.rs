//! OCR of pictures and of PDF pages without text: Debian's `tesseract` program reads the
//! picture, poppler's `pdftoppm` renders a PDF page to one first. Both run as children of the
//! worker, so they inherit its memory limit and die with its process group.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::DocError;
use crate::extraction::{Extraction, Outcome, PageReading, TextUnit};
use crate::kind::DocKind;
use crate::limits::Limits;

pub(crate) const ENGINE: &str = "ocr";
/// Below this mean word confidence (0–100) a reading is noise, not words: a photo of a
/// wall, a texture, a blank scan with specks.
const MIN_CONFIDENCE: u8 = 40;

/// The programs found and the languages they will read.
#[derive(Debug, Clone)]
pub(crate) struct Ocr {
    tesseract: PathBuf,
    pdftoppm: Option<PathBuf>,
    /// Installed languages among those asked for, joined by `+` as tesseract wants them.
    languages: String,
    dpi: u32,
}

/// How far the OCR of one file has got, reported by the worker as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OcrProgress {
    /// This many pages are to be read by OCR.
    Planned(u32),
    /// This many of them are done.
    Done(u32),
}

/// What OCR made of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OcrPage {
    pub text: String,
    /// Mean word confidence, 0–100, weighted by word length.
    pub confidence: u8,
}

impl Ocr {
    /// The OCR engine for `limits`, or `None` when OCR is off, `tesseract` is not installed,
    /// or none of the languages asked for is.
    pub fn find(limits: &Limits) -> Option<Self> {
        let asked = valid_languages(&limits.ocr_languages)?;
        let tesseract = program("PAKS_TESSERACT", "tesseract")?;
        let installed = installed_languages(&tesseract)?;
        let languages: Vec<&str> =
            asked.iter().map(String::as_str).filter(|l| installed.iter().any(|i| i == l)).collect();
        if languages.is_empty() {
            return None;
        }
        Some(Self {
            tesseract,
            pdftoppm: program("PAKS_PDFTOPPM", "pdftoppm"),
            languages: languages.join("+"),
            dpi: limits.ocr_dpi.clamp(72, 600),
        })
    }

    pub fn languages(&self) -> &str {
        &self.languages
    }

    pub fn can_render_pdf(&self) -> bool {
        self.pdftoppm.is_some()
    }

    /// Reads the picture at `image` (PNG, JPEG, TIFF …). Tesseract's page layout analysis
    /// (`--psm 3`) finds no text at all in some single-block pages (a line of Khmer); such a
    /// page is read again as one block of text (`--psm 6`) and the surer reading kept.
    pub fn read_image(&self, image: &Path, scratch: &Path) -> Result<OcrPage, DocError> {
        let auto = self.recognise(image, scratch, "3")?;
        if !auto.text.is_empty() && auto.confidence >= MIN_CONFIDENCE {
            return Ok(auto);
        }
        let block = self.recognise(image, scratch, "6")?;
        let best = if block.confidence > auto.confidence { block } else { auto };
        if best.confidence < MIN_CONFIDENCE {
            return Ok(OcrPage { text: String::new(), confidence: best.confidence });
        }
        Ok(best)
    }

    fn recognise(&self, image: &Path, scratch: &Path, psm: &str) -> Result<OcrPage, DocError> {
        let base = scratch.join("ocr");
        let output = Command::new(&self.tesseract)
            .arg(image)
            .arg(&base)
            .args(["-l", &self.languages, "--psm", psm])
            .args(["--dpi", &self.dpi.to_string()])
            .args(["txt", "tsv"])
            // One thread per page: on a busy machine OpenMP threads only fight each other.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(DocError::Io)?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(DocError::damaged(format!(
                "the picture could not be read by OCR ({})",
                last.chars().take(200).collect::<String>()
            )));
        }
        let text = read_output(&base.with_extension("txt"))?;
        let tsv = read_output(&base.with_extension("tsv"))?;
        let _ = std::fs::remove_file(base.with_extension("txt"));
        let _ = std::fs::remove_file(base.with_extension("tsv"));
        let text = tidy(&text);
        let confidence = if text.is_empty() { 0 } else { mean_confidence(&tsv) };
        Ok(OcrPage { text, confidence })
    }

    /// Renders page `number` of the PDF at `pdf` and reads it.
    pub fn read_pdf_page(
        &self,
        pdf: &Path,
        number: u32,
        scratch: &Path,
    ) -> Result<OcrPage, DocError> {
        let Some(pdftoppm) = &self.pdftoppm else {
            return Err(DocError::NotSupported("pdftoppm (poppler-utils) is not installed".into()));
        };
        let base = scratch.join("page");
        let page = number.to_string();
        let output = Command::new(pdftoppm)
            .args(["-r", &self.dpi.to_string(), "-f", &page, "-l", &page])
            .args(["-gray", "-png", "-singlefile"])
            .arg(pdf)
            .arg(&base)
            .stdin(Stdio::null())
            .output()
            .map_err(DocError::Io)?;
        let image = base.with_extension("png");
        if !output.status.success() || !image.is_file() {
            return Err(DocError::damaged(format!("page {number} could not be rendered")));
        }
        let read = self.read_image(&image, scratch);
        let _ = std::fs::remove_file(&image);
        read
    }
}

/// Pages of one document already read by OCR, one small file each, so that a reading ended by
/// closing the app (the worker killed) resumes from the first page not yet read.
pub(crate) struct SavedPages<'a> {
    dir: &'a Path,
    languages: &'a str,
}

#[derive(Serialize, Deserialize)]
struct SavedPage {
    languages: String,
    page: OcrPage,
}

/// A saved page is one page's text; anything larger was not written by us.
const MAX_SAVED_PAGE_BYTES: u64 = 4 << 20;

impl<'a> SavedPages<'a> {
    pub fn new(dir: &'a Path, languages: &'a str) -> Self {
        Self { dir, languages }
    }

    /// Page `number` as read before in the same languages; `None` reads it again.
    pub fn get(&self, number: u32) -> Option<OcrPage> {
        use std::io::Read;
        let file = std::fs::File::open(self.path_of(number)).ok()?;
        let mut json = Vec::new();
        file.take(MAX_SAVED_PAGE_BYTES).read_to_end(&mut json).ok()?;
        let saved: SavedPage = serde_json::from_slice(&json).ok()?;
        (saved.languages == self.languages).then_some(saved.page)
    }

    /// Keeps `page`; a page that cannot be kept is only read again next time.
    pub fn put(&self, number: u32, page: &OcrPage) {
        let saved = SavedPage { languages: self.languages.to_owned(), page: page.clone() };
        let Ok(json) = serde_json::to_vec(&saved) else { return };
        let partial = self.dir.join(format!("{number}.partial"));
        let written = std::fs::create_dir_all(self.dir)
            .and_then(|()| std::fs::write(&partial, json))
            .and_then(|()| std::fs::rename(&partial, self.path_of(number)));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
    }

    fn path_of(&self, number: u32) -> PathBuf {
        self.dir.join(format!("{number}.json"))
    }
}

/// A picture (PNG, JPEG, TIFF) read by OCR, or its outcome without OCR.
pub(crate) fn picture(
    path: &Path,
    kind: DocKind,
    limits: &Limits,
    on_ocr: &mut dyn FnMut(OcrProgress),
) -> Result<Extraction, DocError> {
    let unit = kind.unit_label().to_string();
    let Some(ocr) = Ocr::find(limits) else {
        return Ok(Extraction::without_text(kind, "none", Outcome::NoTextLayer { pages: 1, unit }));
    };
    let scratch = tempfile::tempdir().map_err(DocError::Io)?;
    on_ocr(OcrProgress::Planned(1));
    let read = ocr.read_image(path, scratch.path())?;
    on_ocr(OcrProgress::Done(1));
    let chars = read.text.chars().count();
    let outcome = if chars == 0 {
        Outcome::NoTextRecognised { pages: 1, unit: unit.clone(), languages: ocr.languages.clone() }
    } else if chars > limits.max_chars {
        Outcome::PartlyIndexed {
            pages: 1,
            chars: limits.max_chars as u64,
            unit: unit.clone(),
            failed_pages: Vec::new(),
            capped: true,
        }
    } else {
        Outcome::OcrIndexed {
            pages: 1,
            chars: chars as u64,
            unit: unit.clone(),
            ocr_pages: 1,
            confidence: read.confidence,
        }
    };
    let capped = chars > limits.max_chars;
    let text: String = read.text.chars().take(limits.max_chars).collect();
    let mut e = Extraction::without_text(kind, ENGINE, outcome);
    e.chars = text.chars().count() as u64;
    e.capped = capped;
    if !text.is_empty() {
        e.units.push(TextUnit { number: 1, label: unit, text, notes: None });
    }
    e.pages.push(PageReading {
        number: 1,
        engine: ENGINE.to_string(),
        confidence: Some(read.confidence),
    });
    Ok(e)
}

/// Mean of page confidences weighted by the characters each page gave: `(chars, confidence)`.
pub(crate) fn weighted_confidence(pages: &[(usize, u8)]) -> u8 {
    let chars: usize = pages.iter().map(|(n, _)| n).sum();
    if chars == 0 {
        return 0;
    }
    let sum: f64 = pages.iter().map(|(n, c)| *n as f64 * f64::from(*c)).sum();
    (sum / chars as f64).round().clamp(0.0, 100.0) as u8
}

/// The OCR languages a case is read in: its language's script and English, which
/// ministries mix into nearly every document. `country` is an ISO 3166-1 alpha-3 code,
/// `language` an ISO 639-1 code; either may be empty.
pub fn ocr_languages_for(country: &str, language: &str) -> String {
    let by_language = match language.to_ascii_lowercase().as_str() {
        "lo" => Some("lao"),
        "km" => Some("khm"),
        "th" => Some("tha"),
        "my" => Some("mya"),
        "ne" => Some("nep"),
        "bn" => Some("ben"),
        "dz" => Some("dzo"),
        "mn" => Some("mon"),
        "ru" => Some("rus"),
        "fr" => Some("fra"),
        "zh" => Some("chi_sim"),
        _ => None,
    };
    let by_country = match country.to_ascii_uppercase().as_str() {
        "LAO" => Some("lao"),
        "KHM" => Some("khm"),
        "THA" => Some("tha"),
        "MMR" => Some("mya"),
        "NPL" => Some("nep"),
        "BGD" => Some("ben"),
        "BTN" => Some("dzo"),
        "MNG" => Some("mon"),
        "CHN" => Some("chi_sim"),
        "TWN" | "HKG" | "MAC" => Some("chi_tra"),
        "RUS" | "KAZ" | "KGZ" | "TJK" | "UZB" | "TKM" => Some("rus"),
        "VUT" | "NCL" | "PYF" | "WLF" => Some("fra"),
        _ => None,
    };
    let mut out: Vec<&str> = Vec::new();
    for l in [by_language, by_country].into_iter().flatten() {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out.push("eng");
    out.join("+")
}

/// `lao+eng` split into names; `None` when empty or when a name is not a tesseract
/// language name (letters, digits and `_` only), so nothing odd reaches a command line.
fn valid_languages(spec: &str) -> Option<Vec<String>> {
    let names: Vec<String> = spec
        .split('+')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.replace('-', "_").to_ascii_lowercase())
        .collect();
    let ok = !names.is_empty()
        && names.len() <= 8
        && names.iter().all(|n| {
            n.len() <= 16
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && n.starts_with(|c: char| c.is_ascii_alphabetic())
        });
    ok.then_some(names)
}

fn installed_languages(tesseract: &Path) -> Option<Vec<String>> {
    let output = Command::new(tesseract)
        .arg("--list-langs")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    // The first line is "List of available languages in "/usr/share/…" (N):".
    Some(text.lines().skip(1).map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
}

/// `$VAR` when set, else `name` found on `PATH`.
fn program(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn read_output(path: &Path) -> Result<String, DocError> {
    let bytes = std::fs::read(path).map_err(DocError::Io)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Mean confidence of the recognised words in tesseract's TSV, weighted by their length.
fn mean_confidence(tsv: &str) -> u8 {
    let mut weighted = 0.0f64;
    let mut chars = 0usize;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(level), Some(conf), Some(word)) = (cols.first(), cols.get(10), cols.get(11))
        else {
            continue;
        };
        let n = word.trim().chars().count();
        if *level != "5" || n == 0 {
            continue;
        }
        let Ok(conf) = conf.parse::<f64>() else { continue };
        if conf < 0.0 {
            continue;
        }
        weighted += conf * n as f64;
        chars += n;
    }
    if chars == 0 {
        return 0;
    }
    (weighted / chars as f64).round().clamp(0.0, 100.0) as u8
}

/// Drops the form feed tesseract ends a page with and the blank lines around it.
fn tidy(text: &str) -> String {
    text.replace('\u{c}', "").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_the_case_and_always_include_english() {
        assert_eq!(ocr_languages_for("LAO", "lo"), "lao+eng");
        assert_eq!(ocr_languages_for("LAO", ""), "lao+eng");
        assert_eq!(ocr_languages_for("TWN", "zh"), "chi_sim+chi_tra+eng");
        assert_eq!(ocr_languages_for("FJI", "en"), "eng");
    }

    #[test]
    fn only_plain_language_names_reach_the_command_line() {
        assert_eq!(valid_languages("lao+eng"), Some(vec!["lao".to_string(), "eng".to_string()]));
        assert_eq!(valid_languages("chi-sim"), Some(vec!["chi_sim".to_string()]));
        assert_eq!(valid_languages(""), None);
        assert_eq!(valid_languages("eng;rm -rf"), None);
        assert_eq!(valid_languages("--user-words"), None);
    }

    #[test]
    fn confidence_is_weighted_by_word_length() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t0\t0\t1\t1\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tdecree\n\
                   5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t30\tab\n";
        assert_eq!(mean_confidence(tsv), 75);
        assert_eq!(mean_confidence("level\n"), 0);
    }
}
