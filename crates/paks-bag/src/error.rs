use std::path::PathBuf;

/// Why a bag could not be written, or why a bag is refused. Each message names the bag entry
/// at fault and says what is wrong with it, in words an operator or a focal point can act on.
#[derive(Debug, thiserror::Error)]
pub enum BagError {
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the file is not a readable zip archive: {0}")]
    Zip(String),
    #[error("the zip entry name {0} is not UTF-8; bags must name their files in UTF-8")]
    NameNotUtf8(String),
    #[error("the zip entry {0:?} points outside the bag (absolute path or '..'); refused")]
    PathEscapes(String),
    #[error("the zip entry {name:?} is not allowed: {reason}")]
    BadEntry { name: String, reason: String },
    #[error("the bag must hold exactly one top-level folder; found {0}")]
    NotOneRoot(String),
    #[error("the bag has no {0}")]
    Missing(String),
    #[error("{file} line {line}: {reason}")]
    TagSyntax { file: String, line: usize, reason: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("{entry} is {size} bytes; at most {max} are accepted")]
    TooLarge { entry: String, size: u64, max: u64 },
    #[error(
        "{entry} would expand from {compressed} to {size} bytes (a zip bomb?); at most {max_ratio} times is accepted"
    )]
    Ratio { entry: String, compressed: u64, size: u64, max_ratio: u64 },
    #[error("{entry} holds more bytes than its zip header declares ({declared}); refused")]
    SizeLies { entry: String, declared: u64 },
    #[error("the payload file {0} is not listed in {1}")]
    NotInManifest(String, String),
    #[error("{manifest} lists {path}, which is not in the bag")]
    MissingFile { manifest: String, path: String },
    #[error(
        "{path}: {algorithm} checksum does not match {manifest} (expected {expected}, found {found})"
    )]
    ChecksumMismatch {
        manifest: String,
        path: String,
        algorithm: String,
        expected: String,
        found: String,
    },
    #[error("Payload-Oxum says {declared} but the payload is {actual} (bytes.files)")]
    OxumMismatch { declared: String, actual: String },
    #[error("data/case.json is not a PAKS case document: {0}")]
    CaseSchema(String),
    #[error("the bag cannot be written: {0}")]
    Export(String),
}

impl BagError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> BagError {
        let path = path.into();
        move |source| BagError::Io { path, source }
    }

    /// A short stable code for each kind of refusal (tests and API problem details use it).
    pub fn code(&self) -> &'static str {
        match self {
            BagError::Io { .. } => "io",
            BagError::Zip(_) => "not-a-zip",
            BagError::NameNotUtf8(_) => "name-not-utf8",
            BagError::PathEscapes(_) => "path-escapes",
            BagError::BadEntry { .. } => "bad-entry",
            BagError::NotOneRoot(_) => "not-one-root",
            BagError::Missing(_) => "missing",
            BagError::TagSyntax { .. } => "tag-syntax",
            BagError::Unsupported(_) => "unsupported",
            BagError::TooLarge { .. } => "too-large",
            BagError::Ratio { .. } => "compression-ratio",
            BagError::SizeLies { .. } => "size-lies",
            BagError::NotInManifest(..) => "not-in-manifest",
            BagError::MissingFile { .. } => "missing-file",
            BagError::ChecksumMismatch { .. } => "checksum-mismatch",
            BagError::OxumMismatch { .. } => "oxum-mismatch",
            BagError::CaseSchema(_) => "case-schema",
            BagError::Export(_) => "export",
        }
    }

    /// True when the bag itself is at fault (as opposed to the disk or the machine).
    pub fn is_bad_bag(&self) -> bool {
        !matches!(self, BagError::Io { .. } | BagError::Export(_))
    }
}

impl From<zip::result::ZipError> for BagError {
    fn from(e: zip::result::ZipError) -> Self {
        BagError::Zip(e.to_string())
    }
}

pub type Result<T, E = BagError> = std::result::Result<T, E>;
