//! A case, or the proceedings built from published cases, as a document people outside PAKS
//! read: a PDF typeset by Typst (which shapes Lao, Khmer, Thai, Myanmar, Devanagari and Chinese)
//! or a Word document whose runs name a font for each script.
//!
//! The case text reaches Typst only as JSON data read by the templates in `templates/`, never
//! as markup, so nothing a focal point types can change the layout or run code.

mod docx;
mod error;
mod fonts;
mod model;
mod pdf;
#[cfg(feature = "read-back")]
pub mod read_back;

use std::path::Path;

pub use error::{PublicationError, Result};
pub use fonts::FontSet;
pub use model::{PrintedCase, PrintedFile, Proceedings};

/// The two kinds of document a publication is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
}

impl Format {
    /// The format named by a file's extension (`.pdf` or `.docx`, any case).
    pub fn of_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pdf") => Ok(Self::Pdf),
            Some("docx") => Ok(Self::Docx),
            _ => Err(PublicationError::UnknownFormat(path.display().to_string())),
        }
    }
}

/// A written document and the characters no font could show (drawn as empty boxes).
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: Vec<u8>,
    pub characters_without_font: Vec<char>,
}

/// One case as a document for the focal point's ministry.
pub fn case_document(case: &PrintedCase, format: Format, fonts: &FontSet) -> Result<Written> {
    let bytes = match format {
        Format::Pdf => pdf::case(case, fonts)?,
        Format::Docx => docx::case(case)?,
    };
    let characters_without_font = match format {
        Format::Pdf => fonts.characters_without_font(case.all_text()),
        Format::Docx => Vec::new(),
    };
    Ok(Written { bytes, characters_without_font })
}

/// The proceedings: title page, contents, overview, one chapter per case, indexes by MDG and
/// SDG target.
pub fn proceedings_document(
    proceedings: &Proceedings,
    format: Format,
    fonts: &FontSet,
) -> Result<Written> {
    let bytes = match format {
        Format::Pdf => pdf::proceedings(proceedings, fonts)?,
        Format::Docx => docx::proceedings(proceedings)?,
    };
    let characters_without_font = match format {
        Format::Pdf => fonts.characters_without_font(
            std::iter::once(proceedings.event.as_str())
                .chain(proceedings.cases.iter().flat_map(PrintedCase::all_text)),
        ),
        Format::Docx => Vec::new(),
    };
    Ok(Written { bytes, characters_without_font })
}
