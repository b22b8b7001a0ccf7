//! Zip containers (OOXML, ODF) read with a cap on every part, against zip bombs.

use std::io::{Read, Seek};

use zip::ZipArchive;

use crate::error::DocError;
use crate::kind::DocKind;
use crate::limits::Limits;

/// Bounds how much any one look at a container during detection may unpack.
const DETECT_PART_CAP: u64 = 4 << 20;

pub(crate) struct Archive<R: Read + Seek> {
    zip: ZipArchive<R>,
    max_part: u64,
    budget: u64,
}

impl<R: Read + Seek> Archive<R> {
    pub fn open(reader: R, limits: &Limits) -> Result<Self, DocError> {
        let zip = ZipArchive::new(reader)
            .map_err(|e| DocError::damaged(format!("its zip structure is broken ({e})")))?;
        Ok(Self { zip, max_part: limits.max_part_bytes, budget: limits.max_total_unzipped_bytes })
    }

    /// Opens the archive with the caps of detection, so [`classify`] can look into it.
    pub fn open_for_detection(reader: R) -> Option<Self> {
        let limits = Limits {
            max_part_bytes: DETECT_PART_CAP,
            max_total_unzipped_bytes: 2 * DETECT_PART_CAP,
            ..Limits::default()
        };
        Self::open(reader, &limits).ok()
    }

    /// Replaces the caps (and restores the whole budget), for extraction after detection
    /// looked into the same archive.
    pub fn set_limits(&mut self, limits: &Limits) {
        self.max_part = limits.max_part_bytes;
        self.budget = limits.max_total_unzipped_bytes;
    }

    /// The part `name`, or `None` when the container has no such part.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, DocError> {
        match self.index_of(name) {
            Some(index) => self.read_at(index, name).map(Some),
            None => Ok(None),
        }
    }

    /// Like [`Self::read`], for a name that must match exactly (ODF's `mimetype`): an OOXML
    /// package, which has none, costs no search through its names.
    fn read_exact(&mut self, name: &str) -> Result<Option<Vec<u8>>, DocError> {
        match self.zip.index_for_name(name) {
            Some(index) => self.read_at(index, name).map(Some),
            None => Ok(None),
        }
    }

    fn read_at(&mut self, index: usize, name: &str) -> Result<Vec<u8>, DocError> {
        let cap = self.max_part.min(self.budget);
        let bomb = || {
            DocError::damaged(format!(
                "its part {name} unpacks to more than {} MB, refused as a possible zip bomb",
                cap >> 20
            ))
        };
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(|e| DocError::damaged(format!("its part {name} cannot be opened ({e})")))?;
        if entry.encrypted() {
            return Err(DocError::PasswordProtected);
        }
        // The declared size can lie, so the read itself is bounded too.
        if entry.size() > cap {
            return Err(bomb());
        }
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .by_ref()
            .take(cap + 1)
            .read_to_end(&mut data)
            .map_err(|e| DocError::damaged(format!("its part {name} cannot be unpacked ({e})")))?;
        if data.len() as u64 > cap {
            return Err(bomb());
        }
        self.budget -= data.len() as u64;
        Ok(data)
    }

    /// Like [`Self::read`], but a missing part is damage.
    pub fn require(&mut self, name: &str) -> Result<Vec<u8>, DocError> {
        self.read(name)?.ok_or_else(|| DocError::damaged(format!("its part {name} is missing")))
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.zip.index_for_name(name).or_else(|| {
            // Part names are case-insensitive in OPC.
            let found = self.zip.file_names().flatten().find(|n| n.eq_ignore_ascii_case(name))?;
            let found = found.into_owned();
            self.zip.index_for_name(&found)
        })
    }
}

/// The kind of a zip container, from its `mimetype` (ODF) or `[Content_Types].xml` (OOXML).
/// `archive` must have been opened with [`Archive::open_for_detection`].
pub(crate) fn classify<R: Read + Seek>(archive: &mut Archive<R>) -> DocKind {
    if let Ok(Some(mime)) = archive.read_exact("mimetype") {
        let mime = String::from_utf8_lossy(&mime);
        return match mime.trim() {
            "application/vnd.oasis.opendocument.presentation" => DocKind::Odp,
            "application/vnd.oasis.opendocument.text" => DocKind::Odt,
            _ => DocKind::Other,
        };
    }
    if let Ok(Some(mut types)) = archive.read("[Content_Types].xml") {
        types.make_ascii_lowercase();
        let has = |s: &str| memchr::memmem::find(&types, s.as_bytes()).is_some();
        let kind = if has("presentationml.slideshow.main+xml")
            || has("powerpoint.slideshow.macroenabled.main+xml")
        {
            Some(DocKind::Ppsx)
        } else if has("presentationml.template.main+xml")
            || has("powerpoint.template.macroenabled.main+xml")
        {
            Some(DocKind::Potx)
        } else if has("presentationml.presentation.main+xml")
            || has("powerpoint.presentation.macroenabled.main+xml")
        {
            Some(DocKind::Pptx)
        } else if has("wordprocessingml.document.main+xml")
            || has("wordprocessingml.template.main+xml")
            || has("ms-word.document.macroenabled.main+xml")
            || has("ms-word.template.macroenabledtemplate.main+xml")
        {
            Some(DocKind::Docx)
        } else if has("spreadsheetml.sheet.main+xml") || has("ms-excel.sheet.macroenabled.main+xml")
        {
            Some(DocKind::Xlsx)
        } else {
            None
        };
        if let Some(kind) = kind {
            return kind;
        }
    }
    let names: Vec<String> = archive.zip.file_names().flatten().map(|n| n.into_owned()).collect();
    let has = |n: &str| names.iter().any(|m| m.eq_ignore_ascii_case(n));
    if has("ppt/presentation.xml") {
        DocKind::Pptx
    } else if has("word/document.xml") {
        DocKind::Docx
    } else if has("xl/workbook.xml") {
        DocKind::Xlsx
    } else {
        DocKind::Other
    }
}
