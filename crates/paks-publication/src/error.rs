/// Why a publication could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error("{0} is neither a .pdf nor a .docx file")]
    UnknownFormat(String),
    #[error("the document could not be typeset: {0}")]
    Typeset(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the Word document could not be written: {0}")]
    Docx(String),
    #[error("the case could not be read: {0}")]
    Data(#[from] serde_json::Error),
}

impl PublicationError {
    /// Stable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownFormat(_) => "publication_unknown_format",
            Self::Typeset(_) => "publication_typeset_failed",
            Self::Pdf(_) => "publication_pdf_failed",
            Self::Docx(_) => "publication_docx_failed",
            Self::Data(_) => "publication_data_invalid",
        }
    }
}

pub type Result<T, E = PublicationError> = std::result::Result<T, E>;
