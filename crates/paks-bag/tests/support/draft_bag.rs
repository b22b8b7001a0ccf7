//! A valid case bag as zip entries, to be spoiled one way at a time by the bad-bag tests.
#![allow(dead_code)] // Shared by the test crates of paks-bag, paks-server and desk-sync; each uses a part.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::Digest;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The case of the server's fixture submission (LAO), as JSON bytes.
pub fn case_json() -> Vec<u8> {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../paks-server/tests/fixtures/submission.json"))
            .unwrap();
    serde_json::to_vec(&fixture["case"]).unwrap()
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Entries of a valid bag, to be spoiled one way at a time.
pub struct Draft {
    entries: Vec<(String, Vec<u8>)>,
}

impl Draft {
    pub fn valid() -> Self {
        let mut d = Draft { entries: Vec::new() };
        d.set("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec());
        d.set("data/case.json", case_json());
        d.set("data/attachments/deck.pdf", b"%PDF-1.4 deck".to_vec());
        d.set("bag-info.txt", b"Contact-Name: T.\n".to_vec());
        d.manifest();
        d
    }

    pub fn set(&mut self, name: &str, bytes: Vec<u8>) -> &mut Self {
        self.entries.retain(|(n, _)| n != name);
        self.entries.push((name.to_owned(), bytes));
        self
    }

    /// Adds an entry with a raw zip name (outside the root folder when it starts with `/` or `..`).
    pub fn push(&mut self, name: &str, bytes: Vec<u8>) -> &mut Self {
        self.entries.push((name.to_owned(), bytes));
        self
    }

    pub fn get(&self, name: &str) -> Vec<u8> {
        self.entries.iter().find(|(n, _)| n == name).unwrap().1.clone()
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.entries.retain(|(n, _)| n != name);
        self
    }

    /// Rewrites manifest-sha256.txt for the payload as it is now.
    pub fn manifest(&mut self) -> &mut Self {
        let text: String = self
            .entries
            .iter()
            .filter(|(n, _)| n.starts_with("data/"))
            .map(|(n, b)| format!("{}  {n}\n", sha256(b)))
            .collect();
        self.set("manifest-sha256.txt", text.into_bytes())
    }

    pub fn zip(&self, path: &Path) -> PathBuf {
        let mut zip = ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, bytes) in &self.entries {
            let name = if name.starts_with('/') || name.starts_with("..") {
                name.clone()
            } else {
                format!("bag/{name}")
            };
            let options =
                SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
            zip.start_file(name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        path.to_owned()
    }
}
