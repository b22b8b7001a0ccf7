//! OLE2 compound files: old Office binaries and password-protected OOXML.

use std::io::{Read, Seek};

use crate::kind::DocKind;

/// What an OLE2 container holds, from the streams at its root; `None` when its directory
/// cannot be read.
pub(crate) fn classify<R: Read + Seek>(reader: R) -> Option<DocKind> {
    let file = cfb::CompoundFile::open(reader).ok()?;
    let names: Vec<String> = file.read_root_storage().map(|e| e.name().to_string()).collect();
    let has = |n: &str| names.iter().any(|m| m.eq_ignore_ascii_case(n));
    Some(if has("EncryptedPackage") && has("EncryptionInfo") {
        DocKind::EncryptedOoxml
    } else if has("PowerPoint Document") {
        DocKind::Ppt
    } else if has("WordDocument") {
        DocKind::Doc
    } else if has("Workbook") || has("Book") {
        DocKind::Xls
    } else {
        DocKind::OtherOle2
    })
}
