//! A copy of an attached file for the system's viewer: under its original name (the stored
//! file has none, so no program would know its type) and never the stored file itself, which
//! another program must not change.

use std::path::{Path, PathBuf};

use super::blob::storage;
use crate::error::{Error, Result};
use crate::store::Store;

impl Store {
    /// Copies the file `sha256` of case `case_id` into a folder of its own under `dir`.
    pub fn copy_for_viewing(&self, case_id: i64, sha256: &str, dir: &Path) -> Result<PathBuf> {
        let sha256 = sha256.trim().to_ascii_lowercase();
        let attachment = self
            .attachments(case_id)?
            .into_iter()
            .find(|a| a.sha256 == sha256)
            .ok_or_else(|| Error::AttachmentNotFound(sha256.clone()))?;
        copy_named(&self.blob_dir().path_of(&sha256), &sha256, &attachment.name, dir)
    }

    /// Copies the opened library file `file` into a folder of its own under `dir`, under the
    /// name PAKS published it with.
    pub fn library_copy_for_viewing(
        &self,
        file: &crate::LibraryFile,
        dir: &Path,
    ) -> Result<PathBuf> {
        copy_named(&self.library_file_path(&file.sha256), &file.sha256, &file.name, dir)
    }
}

fn copy_named(source: &Path, sha256: &str, name: &str, dir: &Path) -> Result<PathBuf> {
    let name = match name {
        // A name is checked when it is stored; a separator would still leave the folder.
        "" | "." | ".." => "attachment",
        name if name.contains(['/', '\\']) => "attachment",
        name => name,
    };
    let folder = dir.join(&sha256[..16.min(sha256.len())]);
    std::fs::create_dir_all(&folder).map_err(storage)?;
    let copy = folder.join(name);
    std::fs::copy(source, &copy).map_err(storage)?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_has_the_original_name_and_content_and_the_store_keeps_its_own() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let case = store.create_case("Kiribati", Some("KIR")).unwrap();
        let source = data.path().join("Slides – final (v2).pdf");
        std::fs::write(&source, b"%PDF-1.4 not really").unwrap();
        let attached = store.import_attachment(case.id, &source).unwrap().attachment;
        let viewing = tempfile::tempdir().unwrap();

        let copy = store.copy_for_viewing(case.id, &attached.sha256, viewing.path()).unwrap();

        assert!(copy.starts_with(viewing.path()));
        assert_eq!(copy.file_name().unwrap(), "Slides – final (v2).pdf");
        assert_eq!(std::fs::read(&copy).unwrap(), b"%PDF-1.4 not really");
        std::fs::write(&copy, b"changed by a viewer").unwrap();
        assert!(store.check_files().unwrap().is_ok(), "the stored file is untouched");
        let other = store.create_case("Other", Some("KIR")).unwrap();
        let err = store.copy_for_viewing(other.id, &attached.sha256, viewing.path()).unwrap_err();
        assert_eq!(err.code(), "attachment_not_found");
    }
}
