use serde::{Deserialize, Serialize};

/// What a file is, as far as indexing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Pptx,
    Ppsx,
    Potx,
    Ppt,
    Pdf,
    Docx,
    Doc,
    Odp,
    Odt,
    Xlsx,
    Png,
    Jpeg,
    Tiff,
    /// An old Excel workbook: recognised so the message can name it, but not indexed.
    Xls,
    /// An OOXML file (docx, pptx, xlsx …) encrypted with a password: an OLE2 container
    /// holding `EncryptionInfo` and `EncryptedPackage`.
    EncryptedOoxml,
    /// Some other OLE2 compound file (Outlook message, Visio drawing …).
    OtherOle2,
    /// Anything else: stored and sent, not indexed.
    Other,
}

impl DocKind {
    /// A short name a person recognises.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pptx => "PowerPoint presentation (.pptx)",
            Self::Ppsx => "PowerPoint slide show (.ppsx)",
            Self::Potx => "PowerPoint template (.potx)",
            Self::Ppt => "old PowerPoint presentation (.ppt)",
            Self::Pdf => "PDF document",
            Self::Docx => "Word document (.docx)",
            Self::Doc => "old Word document (.doc)",
            Self::Odp => "OpenDocument presentation (.odp)",
            Self::Odt => "OpenDocument text (.odt)",
            Self::Xlsx => "Excel workbook (.xlsx)",
            Self::Png => "PNG picture",
            Self::Jpeg => "JPEG picture",
            Self::Tiff => "TIFF picture",
            Self::Xls => "old Excel workbook (.xls)",
            Self::EncryptedOoxml => "password-protected Office file",
            Self::OtherOle2 => "Microsoft compound file (OLE2) of another kind",
            Self::Other => "file of another type",
        }
    }

    /// The kind a file name's extension promises, if it names one we know.
    pub fn from_extension(ext: &str) -> Option<Self> {
        let kind = match ext.to_ascii_lowercase().as_str() {
            "pptx" | "pptm" => Self::Pptx,
            "ppsx" | "ppsm" => Self::Ppsx,
            "potx" | "potm" => Self::Potx,
            "ppt" | "pps" | "pot" => Self::Ppt,
            "pdf" => Self::Pdf,
            "docx" | "docm" | "dotx" | "dotm" => Self::Docx,
            "doc" | "dot" => Self::Doc,
            "odp" => Self::Odp,
            "odt" => Self::Odt,
            "xlsx" | "xlsm" => Self::Xlsx,
            "png" => Self::Png,
            "jpg" | "jpeg" | "jpe" | "jfif" => Self::Jpeg,
            "tif" | "tiff" => Self::Tiff,
            "xls" => Self::Xls,
            _ => return None,
        };
        Some(kind)
    }

    /// Whether the extension `ext` fits content of this kind. An encrypted OOXML file
    /// legitimately carries .docx/.pptx/.xlsx.
    pub fn fits_extension(self, ext: &str) -> bool {
        match (self, Self::from_extension(ext)) {
            (_, None) => false,
            (Self::EncryptedOoxml, Some(named)) => {
                matches!(named, Self::Pptx | Self::Ppsx | Self::Potx | Self::Docx | Self::Xlsx)
            }
            (kind, Some(named)) => kind == named,
        }
    }

    /// A zip-based document (OOXML or ODF), read by `extract::zipped`.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn is_zipped(self) -> bool {
        matches!(
            self,
            Self::Pptx | Self::Ppsx | Self::Potx | Self::Docx | Self::Xlsx | Self::Odp | Self::Odt
        )
    }

    /// What a search hit in this kind calls one unit of text.
    pub fn unit_label(self) -> &'static str {
        match self {
            Self::Pptx | Self::Ppsx | Self::Potx | Self::Ppt | Self::Odp => "slide",
            Self::Xlsx => "sheet",
            _ => "page",
        }
    }
}
