use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive::{self, Archive};
use crate::error::ExtractError;
use crate::kind::DocKind;
use crate::ole;

/// How far into a file a PDF header may sit (Acrobat accepts junk before `%PDF-`).
const PDF_HEADER_WINDOW: usize = 1024;
const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// The result of looking at a file's content and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    pub kind: DocKind,
    /// True when the kind comes from the content; false when the content said nothing
    /// (empty file, unreadable archive) and the extension was used.
    pub from_content: bool,
    /// A sentence for the user when the extension promises another type than the content.
    pub extension_disagrees: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

/// Recognises the type of the file at `path` from its content, and compares with its name.
pub fn detect(path: &Path) -> Result<Detected, ExtractError> {
    detect_keeping_archive(path).map(|(detected, _)| detected)
}

/// Files up to this size are read whole before detection: a small deck then unzips from
/// memory rather than through a seek and a read per part.
const READ_WHOLE_UP_TO: u64 = 4 << 20;

/// A file being detected and extracted: in memory when small, else read from disk.
pub(crate) enum FileSource {
    Memory(Cursor<Vec<u8>>),
    Disk(BufReader<File>),
}

impl FileSource {
    fn open(mut file: File, size: u64) -> std::io::Result<Self> {
        if size > READ_WHOLE_UP_TO {
            return Ok(Self::Disk(BufReader::new(file)));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut file).take(READ_WHOLE_UP_TO + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > READ_WHOLE_UP_TO {
            // It grew since its size was read: read it from disk, whole.
            file.seek(SeekFrom::Start(0))?;
            return Ok(Self::Disk(BufReader::new(file)));
        }
        Ok(Self::Memory(Cursor::new(bytes)))
    }
}

impl Read for FileSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Memory(bytes) => bytes.read(buf),
            Self::Disk(file) => file.read(buf),
        }
    }
}

impl Seek for FileSource {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            Self::Memory(bytes) => bytes.seek(pos),
            Self::Disk(file) => file.seek(pos),
        }
    }
}

/// A zip archive that detection opened, for extraction to go on with.
pub(crate) type OpenedZip = Archive<FileSource>;

/// Like [`detect`], also handing back the zip archive it opened, so that extraction does not
/// parse the zip directory a second time.
pub(crate) fn detect_keeping_archive(
    path: &Path,
) -> Result<(Detected, Option<OpenedZip>), ExtractError> {
    let unreadable = |source| ExtractError::Unreadable { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(ExtractError::NotAFile { path: path.to_path_buf() });
    }
    let source = FileSource::open(file, meta.len()).map_err(unreadable)?;
    detect_from(source, meta.len(), extension(path).as_deref()).map_err(|e| match e {
        ExtractError::Io(source) => unreadable(source),
        other => other,
    })
}

/// The lower-cased extension of `path`, lossily decoded (names need not be UTF-8).
pub fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_lowercase())
}

/// Like [`detect`], over any seekable reader of `size` bytes named with extension `ext`.
pub fn detect_reader<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    ext: Option<&str>,
) -> Result<Detected, ExtractError> {
    let (detected, _) = detect_from(&mut *reader, size, ext)?;
    reader.seek(SeekFrom::Start(0))?;
    Ok(detected)
}

pub(crate) fn detect_from<R: Read + Seek>(
    mut reader: R,
    size: u64,
    ext: Option<&str>,
) -> Result<(Detected, Option<Archive<R>>), ExtractError> {
    let by_ext = ext.and_then(DocKind::from_extension);
    if size == 0 {
        let detected = Detected {
            kind: by_ext.unwrap_or(DocKind::Other),
            from_content: false,
            extension_disagrees: None,
            size,
        };
        return Ok((detected, None));
    }
    let mut head = Vec::with_capacity(PDF_HEADER_WINDOW);
    reader.seek(SeekFrom::Start(0))?;
    reader.by_ref().take(PDF_HEADER_WINDOW as u64).read_to_end(&mut head)?;
    reader.seek(SeekFrom::Start(0))?;

    let mut zip = None;
    let (kind, from_content) = if head.starts_with(&OLE2_MAGIC) {
        (ole::classify(&mut reader).unwrap_or(DocKind::OtherOle2), true)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        match Archive::open_for_detection(reader) {
            Some(mut archive) => {
                let kind = archive::classify(&mut archive);
                zip = Some(archive);
                (kind, true)
            }
            // A damaged archive: trust a zip-based extension so extraction can say "damaged".
            None => match by_ext {
                Some(k @ (DocKind::Pptx | DocKind::Ppsx | DocKind::Potx | DocKind::Docx)) => {
                    (k, false)
                }
                Some(k @ (DocKind::Xlsx | DocKind::Odp | DocKind::Odt)) => (k, false),
                _ => (DocKind::Other, true),
            },
        }
    } else if head.starts_with(&PNG_MAGIC) {
        (DocKind::Png, true)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (DocKind::Jpeg, true)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        (DocKind::Tiff, true)
    } else if find(&head, b"%PDF-").is_some() {
        (DocKind::Pdf, true)
    } else {
        (DocKind::Other, true)
    };

    let extension_disagrees = match (ext, by_ext) {
        (Some(ext), Some(named)) if from_content && !kind.fits_extension(ext) => {
            Some(if kind == DocKind::Other {
                format!(
                    "The name ends in .{ext} but the content is not a {}; it is kept as a file of another type.",
                    named.describe()
                )
            } else {
                format!("The name ends in .{ext} but the content is a {}.", kind.describe())
            })
        }
        _ => None,
    };
    Ok((Detected { kind, from_content, extension_disagrees, size }, zip))
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
