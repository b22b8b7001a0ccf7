use serde::{Deserialize, Serialize};

use crate::kind::DocKind;

/// The text of one slide, page or sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextUnit {
    /// 1-based position: slide 7, page 12.
    pub number: u32,
    /// "slide", "page" or "sheet".
    pub label: String,
    pub text: String,
    /// Speaker notes of a slide.
    pub notes: Option<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Indexed {
        pages: u32,
        chars: u64,
        unit: String,
    },
    /// Some units could not be read, or the text was cut at the character cap.
    PartlyIndexed {
        pages: u32,
        chars: u64,
        unit: String,
        failed_pages: Vec<u32>,
        capped: bool,
    },
    /// Indexed, some or all pages read from the scan by OCR.
    OcrIndexed {
        pages: u32,
        chars: u64,
        unit: String,
        /// Pages read by OCR.
        ocr_pages: u32,
        /// Tesseract's mean word confidence over those pages, 0–100.
        confidence: u8,
    },
    /// A scan or a picture: nothing to search without OCR.
    NoTextLayer {
        pages: u32,
        unit: String,
    },
    /// A scan or a picture read by OCR in which no words were recognised.
    NoTextRecognised {
        pages: u32,
        unit: String,
        languages: String,
    },
    PasswordProtected,
    Damaged {
        reason: String,
    },
    TimedOut {
        after_ms: u64,
    },
    MemoryLimit {
        limit_mb: u64,
    },
    NotSupported {
        reason: String,
    },
}

impl Outcome {
    /// A sentence for the person who attached the file.
    pub fn message(&self) -> String {
        const KEPT: &str = "It is stored and sent, but its text is not searchable.";
        match self {
            Self::Indexed { pages, chars, unit } => {
                format!("Indexed: {}, {} characters.", plural(*pages, unit), thousands(*chars))
            }
            Self::PartlyIndexed { pages, chars, unit, failed_pages, capped } => {
                let mut s = format!(
                    "Partly indexed: {} read, {} characters.",
                    plural(*pages, unit),
                    thousands(*chars)
                );
                if !failed_pages.is_empty() {
                    let list: Vec<String> = failed_pages.iter().map(u32::to_string).collect();
                    let label =
                        if failed_pages.len() == 1 { unit.clone() } else { format!("{unit}s") };
                    s.push_str(&format!(" Could not read {label} {}.", list.join(", ")));
                }
                if *capped {
                    s.push_str(&format!(
                        " Only the first {} characters are searchable.",
                        thousands(*chars)
                    ));
                }
                s
            }
            Self::OcrIndexed { pages, chars, unit, ocr_pages, confidence } => {
                if ocr_pages >= pages {
                    format!(
                        "Read by OCR: {}, {} characters (confidence {confidence} %).",
                        plural(*pages, unit),
                        thousands(*chars)
                    )
                } else {
                    format!(
                        "Indexed: {}, {} characters; {ocr_pages} of them read from the scan by \
                         OCR (confidence {confidence} %).",
                        plural(*pages, unit),
                        thousands(*chars)
                    )
                }
            }
            Self::NoTextRecognised { languages, .. } => format!(
                "No words recognised: OCR ({languages}) found no readable text in this scan or \
                 picture. {KEPT}"
            ),
            Self::NoTextLayer { .. } => "No text layer: this looks like a scan or a picture, so \
                 its words cannot be searched."
                .to_string(),
            Self::PasswordProtected => format!("Password-protected. {KEPT}"),
            Self::Damaged { reason } => format!("Damaged: {reason}. {KEPT}"),
            Self::TimedOut { after_ms } => format!(
                "Reading its text took longer than {} seconds and was stopped. {KEPT}",
                after_ms.div_ceil(1000)
            ),
            Self::MemoryLimit { limit_mb } => format!(
                "Reading its text needed more than {limit_mb} MB of memory and was stopped. {KEPT}"
            ),
            Self::NotSupported { reason } => format!("Not indexed: {reason}."),
        }
    }

    /// True when some text of the file is searchable.
    pub fn has_text(&self) -> bool {
        matches!(self, Self::Indexed { .. } | Self::PartlyIndexed { .. } | Self::OcrIndexed { .. })
    }
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Which engine read one page, and how sure OCR was of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageReading {
    pub number: u32,
    /// "pdf-extract", "pdf_oxide" or "ocr".
    pub engine: String,
    /// OCR's mean word confidence, 0–100; only for pages read by OCR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
}

/// Everything learnt from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    pub kind: DocKind,
    /// The sentence from detection when the name and the content disagree.
    pub extension_disagrees: Option<String>,
    /// The engine(s) that produced the text, e.g. "pdf-extract", "pdf-extract+pdf_oxide".
    pub engine: String,
    pub outcome: Outcome,
    pub units: Vec<TextUnit>,
    /// Characters kept, text and notes together.
    pub chars: u64,
    /// True when text was dropped at the character cap.
    pub capped: bool,
    pub elapsed_ms: u64,
    /// The engine of each page, for PDFs and pictures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PageReading>,
}

impl Extraction {
    /// An extraction that produced no text, only an outcome.
    pub fn without_text(kind: DocKind, engine: &str, outcome: Outcome) -> Self {
        Self {
            kind,
            extension_disagrees: None,
            engine: engine.to_string(),
            outcome,
            units: Vec::new(),
            chars: 0,
            capped: false,
            elapsed_ms: 0,
            pages: Vec::new(),
        }
    }

    /// Builds the extraction from collected units, choosing the outcome from what was read.
    pub(crate) fn from_units(
        kind: DocKind,
        engine: &str,
        collected: Collected,
        failed_pages: Vec<u32>,
        total_units: u32,
    ) -> Self {
        let unit = kind.unit_label().to_string();
        let non_blank = collected.units.iter().any(|u| {
            u.text.chars().chain(u.notes.iter().flat_map(|n| n.chars())).any(|c| !c.is_whitespace())
        });
        let read = total_units.saturating_sub(failed_pages.len() as u32);
        let outcome = if !non_blank && failed_pages.is_empty() && !collected.capped {
            if kind == DocKind::Pdf {
                Outcome::NoTextLayer { pages: total_units, unit }
            } else {
                Outcome::Indexed { pages: total_units, chars: collected.chars, unit }
            }
        } else if !non_blank && read == 0 {
            Outcome::Damaged {
                reason: format!(
                    "none of its {} could be read",
                    plural(total_units, kind.unit_label())
                ),
            }
        } else if failed_pages.is_empty() && !collected.capped {
            Outcome::Indexed { pages: total_units, chars: collected.chars, unit }
        } else {
            Outcome::PartlyIndexed {
                pages: read,
                chars: collected.chars,
                unit,
                failed_pages,
                capped: collected.capped,
            }
        };
        Self {
            kind,
            extension_disagrees: None,
            engine: engine.to_string(),
            outcome,
            chars: collected.chars,
            capped: collected.capped,
            units: collected.units,
            elapsed_ms: 0,
            pages: Vec::new(),
        }
    }
}

/// Units gathered under the per-file character cap.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub units: Vec<TextUnit>,
    pub chars: u64,
    pub capped: bool,
}

/// Gathers units, keeping at most `max_chars` characters in all.
#[derive(Debug)]
pub(crate) struct Collector {
    label: &'static str,
    remaining: usize,
    out: Collected,
}

impl Collector {
    pub fn new(kind: DocKind, max_chars: usize) -> Self {
        Self { label: kind.unit_label(), remaining: max_chars, out: Collected::default() }
    }

    pub fn push(&mut self, number: u32, text: String, notes: Option<String>) {
        let text = self.take(text);
        let notes = notes.map(|n| self.take(n)).filter(|n| !n.is_empty());
        self.out.units.push(TextUnit { number, label: self.label.to_string(), text, notes });
    }

    pub fn is_full(&self) -> bool {
        self.remaining == 0
    }

    /// Records that units were left out because the cap was reached.
    pub fn mark_capped(&mut self) {
        self.out.capped = true;
    }

    pub fn finish(self) -> Collected {
        self.out
    }

    fn take(&mut self, mut s: String) -> String {
        let n = s.chars().count();
        if n <= self.remaining {
            self.remaining -= n;
            self.out.chars += n as u64;
            return s;
        }
        let cut = s.char_indices().nth(self.remaining).map_or(s.len(), |(i, _)| i);
        s.truncate(cut);
        self.out.chars += self.remaining as u64;
        self.remaining = 0;
        self.out.capped = true;
        s
    }
}

/// Characters a reader may still gather for the units of one file. Past the cap the
/// [`Collector`] drops them anyway; stopping at the cap (plus one, so the cap is still seen)
/// keeps elements that stand for many characters (`<text:s text:c="1000"/>`, a shared
/// string repeated in a million cells) from multiplying a small part into gigabytes.
#[derive(Debug)]
pub(crate) struct Room(usize);

impl Room {
    pub fn for_limit(max_chars: usize) -> Self {
        Self(max_chars.saturating_add(1))
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    pub fn push_str(&mut self, out: &mut String, s: &str) {
        for c in s.chars() {
            if self.0 == 0 {
                return;
            }
            out.push(c);
            self.0 -= 1;
        }
    }

    pub fn push(&mut self, out: &mut String, c: char) {
        self.push_repeated(out, c, 1);
    }

    pub fn push_repeated(&mut self, out: &mut String, c: char, n: usize) {
        let n = n.min(self.0);
        out.extend(std::iter::repeat_n(c, n));
        self.0 -= n;
    }
}
