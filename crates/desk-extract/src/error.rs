use std::path::PathBuf;

/// Failures of the host or of reading the file, as opposed to problems of the document's
/// content, which are an [`crate::Outcome`].
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot start the extraction worker {program}: {source}")]
    WorkerSpawn { program: String, source: std::io::Error },
    #[error("the extraction worker broke the protocol: {0}")]
    WorkerProtocol(String),
    #[error("the extraction worker could not read the file: {0}")]
    WorkerFailed(String),
    #[error("bad extraction job: {0}")]
    BadJob(String),
    #[error("the extraction was cancelled")]
    Cancelled,
}

/// Why a document's text could not be read; becomes an [`crate::Outcome`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum DocError {
    /// The file itself could not be read: not the document's fault.
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Damaged(String),
    #[error("password-protected")]
    PasswordProtected,
    #[error("{0}")]
    NotSupported(String),
}

impl DocError {
    pub fn damaged(what: impl std::fmt::Display) -> Self {
        Self::Damaged(what.to_string())
    }

    pub fn into_outcome(self) -> crate::Outcome {
        match self {
            Self::Damaged(reason) => crate::Outcome::Damaged { reason },
            Self::PasswordProtected => crate::Outcome::PasswordProtected,
            Self::NotSupported(reason) => crate::Outcome::NotSupported { reason },
            Self::Io(e) => {
                crate::Outcome::Damaged { reason: format!("it could not be read ({e})") }
            }
        }
    }
}
