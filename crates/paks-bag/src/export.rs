//! Writing a bag: one zip with a single top-level folder, streamed file by file and hashed as it
//! is written, so a case of any size needs no more memory than one buffer.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::error::{BagError, Result};
use crate::manifest::{Digests, Hashes, encode_path};
use crate::tags::Tags;

/// The file name of the case document inside `data/`.
pub const CASE_JSON: &str = "data/case.json";
/// Where attachments go inside the bag.
pub const ATTACHMENTS_DIR: &str = "data/attachments/";
/// The bag-info label carrying the Idempotency-Key of the case version.
pub const IDEMPOTENCY_KEY_LABEL: &str = "PAKS-Idempotency-Key";

const BUFFER: usize = 1 << 20;

/// An attachment to put in the bag: its display name and where its bytes are.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub name: String,
    pub path: PathBuf,
}

/// Everything a bag holds besides what is computed while writing it.
#[derive(Debug, Clone)]
pub struct BagContents<'a> {
    /// The single top-level folder, e.g. `paks-case-<uid>-v1`.
    pub root: &'a str,
    /// The case document, as it is to be read back.
    pub case_json: &'a [u8],
    pub files: &'a [ExportFile],
    /// bag-info.txt fields besides Bagging-Date, Payload-Oxum and Bag-Size (written here).
    pub info: Tags,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBag {
    pub payload_bytes: u64,
    pub payload_files: u64,
    /// The names the attachments have inside `data/attachments/`, in the order given.
    pub attachment_names: Vec<String>,
}

/// Names made unique without regard to case (bags are unpacked on Windows and macOS too):
/// the second `deck.pdf` becomes `deck (2).pdf`.
pub fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for name in names {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
            _ => (name, String::new()),
        };
        let mut candidate = name.to_owned();
        let mut n = 2;
        while taken.contains(&candidate.to_lowercase()) {
            candidate = format!("{stem} ({n}){ext}");
            n += 1;
        }
        taken.push(candidate.to_lowercase());
        out.push(candidate);
    }
    out
}

/// "1.2 GB": the human-readable Bag-Size.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}

struct Writer<'p, W: Write + Seek> {
    zip: ZipWriter<W>,
    root: String,
    manifest: Vec<(String, Digests)>,
    tag_manifest: Vec<(String, Digests)>,
    done: u64,
    total: u64,
    progress: &'p mut dyn FnMut(u64, u64),
}

impl<W: Write + Seek> Writer<'_, W> {
    fn start(&mut self, rel: &str, method: CompressionMethod, size: u64) -> Result<()> {
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(size >= u64::from(u32::MAX))
            .unix_permissions(0o644);
        self.zip.start_file(format!("{}/{rel}", self.root), options)?;
        Ok(())
    }

    fn small(&mut self, rel: &str, bytes: &[u8], tag: bool) -> Result<()> {
        self.start(rel, CompressionMethod::Deflated, bytes.len() as u64)?;
        self.zip.write_all(bytes).map_err(BagError::io(rel))?;
        let digests = Digests::of(bytes, false);
        if tag {
            self.tag_manifest.push((rel.to_owned(), digests));
        } else {
            self.done += bytes.len() as u64;
            (self.progress)(self.done, self.total);
            self.manifest.push((rel.to_owned(), digests));
        }
        Ok(())
    }

    /// Copies a file into the bag, hashing the bytes on their way in.
    fn stream(&mut self, rel: &str, path: &Path, buf: &mut [u8]) -> Result<u64> {
        let mut file = File::open(path).map_err(BagError::io(path))?;
        let size = file.metadata().map_err(BagError::io(path))?.len();
        self.start(rel, CompressionMethod::Stored, size)?;
        let mut hashes = Hashes::new(false);
        let mut copied = 0u64;
        loop {
            let n = file.read(buf).map_err(BagError::io(path))?;
            if n == 0 {
                break;
            }
            hashes.update(&buf[..n]);
            self.zip.write_all(&buf[..n]).map_err(BagError::io(rel))?;
            copied += n as u64;
            self.done += n as u64;
            (self.progress)(self.done, self.total);
        }
        if copied != size {
            return Err(BagError::Export(format!(
                "{} changed size while it was being copied ({size} then {copied} bytes)",
                path.display()
            )));
        }
        self.manifest.push((rel.to_owned(), hashes.finish()));
        Ok(copied)
    }
}

fn manifest_text(lines: &[(String, Digests)]) -> String {
    lines.iter().map(|(path, d)| format!("{}  {}\n", d.sha256, encode_path(path))).collect()
}

/// Writes the bag to `out`. `progress(done, total)` is called as payload bytes are written.
pub fn write_bag<W: Write + Seek>(
    out: W,
    contents: &BagContents<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportedBag> {
    let root = contents.root;
    if root.is_empty() || root.contains(['/', '\\']) || root.starts_with('.') {
        return Err(BagError::Export(format!("{root:?} is not a usable bag folder name")));
    }
    let mut total = contents.case_json.len() as u64;
    for f in contents.files {
        total += std::fs::metadata(&f.path).map_err(BagError::io(&f.path))?.len();
    }
    // RFC 8493 wants '%' in a manifest path written as %25, but bagit.py 1.8.1 (the Library of
    // Congress tool archives use) does not decode it and calls such a bag invalid; a full-width
    // percent sign reads the same to a person and needs no encoding.
    let plain: Vec<String> =
        contents.files.iter().map(|f| f.name.replace('%', "\u{ff05}")).collect();
    let names = unique_names(plain.iter().map(String::as_str));
    let mut w = Writer {
        zip: ZipWriter::new(out),
        root: root.to_owned(),
        manifest: Vec::new(),
        tag_manifest: Vec::new(),
        done: 0,
        total,
        progress,
    };
    (w.progress)(0, total);
    w.small("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", true)?;
    w.small(CASE_JSON, contents.case_json, false)?;
    let mut payload_bytes = contents.case_json.len() as u64;
    let mut buf = vec![0u8; BUFFER];
    for (f, name) in contents.files.iter().zip(&names) {
        payload_bytes += w.stream(&format!("{ATTACHMENTS_DIR}{name}"), &f.path, &mut buf)?;
    }
    let payload_files = contents.files.len() as u64 + 1;
    let mut info = contents.info.clone();
    let today = time::OffsetDateTime::now_utc().date();
    info.0.push(("Bagging-Date".into(), today.to_string()));
    info.0.push(("Payload-Oxum".into(), format!("{payload_bytes}.{payload_files}")));
    info.0.push(("Bag-Size".into(), human_size(payload_bytes)));
    w.small("bag-info.txt", info.format().as_bytes(), true)?;
    let manifest = manifest_text(&w.manifest);
    w.small("manifest-sha256.txt", manifest.as_bytes(), true)?;
    let tag_manifest = manifest_text(&w.tag_manifest);
    w.start("tagmanifest-sha256.txt", CompressionMethod::Deflated, tag_manifest.len() as u64)?;
    w.zip.write_all(tag_manifest.as_bytes()).map_err(BagError::io("tagmanifest-sha256.txt"))?;
    w.zip.finish()?;
    Ok(ExportedBag { payload_bytes, payload_files, attachment_names: names })
}

/// Writes the bag to `path` through a temporary file beside it, fsynced, then renamed: a bag
/// that exists is a whole bag.
pub fn write_bag_file(
    path: &Path,
    contents: &BagContents<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportedBag> {
    let file_name = path
        .file_name()
        .ok_or_else(|| BagError::Export(format!("{} names no file", path.display())))?;
    let mut tmp_name = file_name.to_owned();
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let file = File::create(&tmp).map_err(BagError::io(&tmp))?;
        let mut out = BufWriter::with_capacity(BUFFER, file);
        let exported = write_bag(&mut out, contents, progress)?;
        let file = out.into_inner().map_err(|e| BagError::io(&tmp)(e.into_error()))?;
        file.sync_all().map_err(BagError::io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(BagError::io(path))?;
        Ok(exported)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_names_are_told_apart_whatever_their_case() {
        let names = unique_names(["deck.pdf", "Deck.PDF", "deck.pdf", "notes", "notes"]);
        assert_eq!(names, ["deck.pdf", "Deck (2).PDF", "deck (3).pdf", "notes", "notes (2)"]);
    }

    #[test]
    fn bag_size_reads_like_a_person_would_write_it() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1_234_000_000), "1.2 GB");
    }
}
