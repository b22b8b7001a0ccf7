//! Reading a bag that arrived from elsewhere: every entry name, size and checksum is checked,
//! and payload files are extracted to numbered files in a work folder (never to a path taken
//! from the zip), so nothing is written outside that folder whatever the zip says.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use paks_protocol::{CaseDocument, validate_file_name};
use zip::ZipArchive;

use crate::case_json::parse_case;
use crate::error::{BagError, Result};
use crate::export::{ATTACHMENTS_DIR, CASE_JSON};
use crate::manifest::{self, Algorithm, Digests, Hashes};
use crate::tags::Tags;

/// What a bag may hold. The defaults suit the reference server (2 GiB uploads).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sum of the uncompressed sizes of all entries.
    pub max_bag_bytes: u64,
    pub max_entries: usize,
    /// Largest uncompressed/compressed ratio of an entry above `ratio_floor` bytes.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// Largest tag file (bagit.txt, bag-info.txt, manifests); all of them together may hold 16
    /// times that.
    pub max_tag_file: u64,
    pub max_case_json: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bag_bytes: 2 * 1024 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 200,
            ratio_floor: 1024 * 1024,
            max_tag_file: 1024 * 1024,
            max_case_json: 1024 * 1024,
        }
    }
}

/// An attachment of a valid bag, extracted into the work folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagFile {
    /// The name under `data/attachments/` (a plain file name).
    pub name: String,
    /// The extracted bytes (a numbered file in the work folder).
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// A complete and valid bag.
#[derive(Debug, Clone)]
pub struct OpenedBag {
    pub root: String,
    pub info: Tags,
    pub case: CaseDocument,
    pub files: Vec<BagFile>,
}

impl OpenedBag {
    /// The Idempotency-Key the exporting app gave this case version, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.info.get(crate::export::IDEMPOTENCY_KEY_LABEL)
    }
}

struct Entry {
    index: usize,
    /// Path inside the root folder, e.g. `data/case.json`.
    rel: String,
    size: u64,
}

fn escapes(name: &str) -> bool {
    name.starts_with(['/', '\\'])
        || name.contains('\\')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|part| part == "..")
}

/// Checks an entry name; returns `(root, rest)` for a file entry, `None` for a folder entry.
fn split_name(raw: &[u8]) -> Result<(String, Option<String>)> {
    let name = std::str::from_utf8(raw).map_err(|_| {
        BagError::NameNotUtf8(String::from_utf8_lossy(raw).escape_debug().to_string())
    })?;
    if escapes(name) {
        return Err(BagError::PathEscapes(name.to_owned()));
    }
    let bad = |reason: &str| BagError::BadEntry { name: name.to_owned(), reason: reason.into() };
    if name.chars().any(char::is_control) {
        return Err(bad("the name holds control characters"));
    }
    let trimmed = name.strip_suffix('/');
    let parts: Vec<&str> = trimmed.unwrap_or(name).split('/').collect();
    if parts.iter().any(|p| p.is_empty() || *p == ".") {
        return Err(bad("the name has an empty or '.' part"));
    }
    let root = parts[0].to_owned();
    match (trimmed, parts.len()) {
        (Some(_), _) => Ok((root, None)),
        (None, 1) => Err(BagError::NotOneRoot(format!("the file {name:?} at the top level"))),
        (None, _) => Ok((root, Some(parts[1..].join("/")))),
    }
}

/// Reads a whole entry, refusing it when it holds more than `max` or than it declares.
fn read_small<R: Read + std::io::Seek>(
    zip: &mut ZipArchive<R>,
    entry: &Entry,
    max: u64,
) -> Result<Vec<u8>> {
    if entry.size > max {
        return Err(BagError::TooLarge { entry: entry.rel.clone(), size: entry.size, max });
    }
    let file = zip.by_index(entry.index)?;
    let mut bytes = Vec::new();
    file.take(entry.size + 1).read_to_end(&mut bytes).map_err(|e| zip_read(&entry.rel, e))?;
    if bytes.len() as u64 > entry.size {
        return Err(BagError::SizeLies { entry: entry.rel.clone(), declared: entry.size });
    }
    Ok(bytes)
}

fn zip_read(rel: &str, e: std::io::Error) -> BagError {
    BagError::Zip(format!("{rel} cannot be decompressed: {e}"))
}

fn text<'a>(rel: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| BagError::TagSyntax {
        file: rel.to_owned(),
        line: 1 + bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count(),
        reason: "not UTF-8".into(),
    })
}

/// Copies an entry to `dest` while hashing it; refuses more bytes than the header declares.
fn extract<R: Read + std::io::Seek>(
    zip: &mut ZipArchive<R>,
    entry: &Entry,
    dest: &Path,
    with_sha512: bool,
    buf: &mut [u8],
) -> Result<Digests> {
    let file = zip.by_index(entry.index)?;
    let mut limited = file.take(entry.size + 1);
    let mut out = File::create(dest).map_err(BagError::io(dest))?;
    let mut hashes = Hashes::new(with_sha512);
    let mut written = 0u64;
    loop {
        let n = limited.read(buf).map_err(|e| zip_read(&entry.rel, e))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        if written > entry.size {
            return Err(BagError::SizeLies { entry: entry.rel.clone(), declared: entry.size });
        }
        hashes.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(BagError::io(dest))?;
    }
    if written != entry.size {
        return Err(BagError::Zip(format!(
            "{} holds {written} bytes, not the {} its header declares",
            entry.rel, entry.size
        )));
    }
    out.sync_all().map_err(BagError::io(dest))?;
    Ok(hashes.finish())
}

/// Checks one manifest against the digests of the files it covers.
fn verify_manifest(
    name: &str,
    algorithm: Algorithm,
    text: &str,
    files: &BTreeMap<String, Digests>,
    must_list_all: bool,
) -> Result<()> {
    let lines = manifest::parse(name, text)?;
    let mut listed = HashSet::new();
    for (path, expected) in &lines {
        let digests = files.get(path).ok_or_else(|| BagError::MissingFile {
            manifest: name.to_owned(),
            path: path.clone(),
        })?;
        let found = digests.get(algorithm).unwrap_or_default();
        if found != expected {
            return Err(BagError::ChecksumMismatch {
                manifest: name.to_owned(),
                path: path.clone(),
                algorithm: algorithm.name().to_owned(),
                expected: expected.clone(),
                found: found.to_owned(),
            });
        }
        listed.insert(path.as_str());
    }
    if must_list_all && let Some(path) = files.keys().find(|p| !listed.contains(p.as_str())) {
        return Err(BagError::NotInManifest(path.clone(), name.to_owned()));
    }
    Ok(())
}

fn manifest_algorithm(rel: &str, prefix: &str) -> Result<Option<Algorithm>> {
    let Some(name) = rel.strip_prefix(prefix).and_then(|r| r.strip_suffix(".txt")) else {
        return Ok(None);
    };
    Algorithm::from_name(name).map(Some).ok_or_else(|| {
        BagError::Unsupported(format!(
            "{rel} uses the {name} algorithm; this bag reader verifies sha256 and sha512 only"
        ))
    })
}

/// What a bag says about itself, read without extracting its payload.
#[derive(Debug, Clone)]
pub struct BagHead {
    pub root: String,
    pub info: Tags,
    pub case: CaseDocument,
}

impl BagHead {
    /// The Idempotency-Key the exporting app gave this case version, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.info.get(crate::export::IDEMPOTENCY_KEY_LABEL)
    }
}

/// The zip with its entries checked (names, one root, sizes, ratios) and its tag files read.
struct Scanned {
    zip: ZipArchive<BufReader<File>>,
    root: String,
    payload: Vec<Entry>,
    tag_bytes: BTreeMap<String, Vec<u8>>,
    info: Tags,
}

fn scan(zip_path: &Path, limits: &Limits) -> Result<Scanned> {
    let file = File::open(zip_path).map_err(BagError::io(zip_path))?;
    let mut zip = ZipArchive::new(BufReader::new(file))?;
    if zip.len() > limits.max_entries {
        return Err(BagError::Unsupported(format!(
            "the bag holds {} entries; at most {} are accepted",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut root: Option<String> = None;
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen = HashSet::new();
    let mut declared_total = 0u64;
    let mut tag_total = 0u64;
    for index in 0..zip.len() {
        let file = zip.by_index_raw(index)?;
        let (top, rest) = split_name(file.name_raw())?;
        if file.is_symlink() {
            return Err(BagError::BadEntry {
                name: format!("{top}/{}", rest.unwrap_or_default()),
                reason: "symbolic links are not allowed".into(),
            });
        }
        match &root {
            Some(r) if *r != top => {
                return Err(BagError::NotOneRoot(format!("both {r:?} and {top:?}")));
            }
            Some(_) => {}
            None => root = Some(top),
        }
        let Some(rel) = rest else { continue };
        let (size, compressed) = (file.size(), file.compressed_size());
        if !rel.starts_with("data/") && size > limits.max_tag_file {
            return Err(BagError::TooLarge { entry: rel, size, max: limits.max_tag_file });
        }
        if size > limits.ratio_floor && size / compressed.max(1) > limits.max_ratio {
            return Err(BagError::Ratio {
                entry: rel,
                compressed,
                size,
                max_ratio: limits.max_ratio,
            });
        }
        if !rel.starts_with("data/") {
            tag_total = tag_total.saturating_add(size);
            if tag_total > limits.max_tag_file.saturating_mul(16) {
                return Err(BagError::TooLarge {
                    entry: "the tag files together".into(),
                    size: tag_total,
                    max: limits.max_tag_file.saturating_mul(16),
                });
            }
        }
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_bag_bytes {
            return Err(BagError::TooLarge {
                entry: "the bag (unpacked)".into(),
                size: declared_total,
                max: limits.max_bag_bytes,
            });
        }
        if !seen.insert(rel.to_lowercase()) {
            return Err(BagError::BadEntry {
                name: rel,
                reason: "it is in the zip twice (names that differ only in case count as one)"
                    .into(),
            });
        }
        entries.push(Entry { index, rel, size });
    }
    let root = root.ok_or_else(|| BagError::Missing("content: the zip is empty".into()))?;
    // Many small entries escape the per-entry ratio; the whole zip must not expand too far either.
    let zip_size = std::fs::metadata(zip_path).map_err(BagError::io(zip_path))?.len();
    if declared_total > limits.ratio_floor && declared_total / zip_size.max(1) > limits.max_ratio {
        return Err(BagError::Ratio {
            entry: "the bag".into(),
            compressed: zip_size,
            size: declared_total,
            max_ratio: limits.max_ratio,
        });
    }
    let (payload, tag_entries): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.rel.starts_with("data/"));

    let mut tag_bytes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in &tag_entries {
        tag_bytes.insert(entry.rel.clone(), read_small(&mut zip, entry, limits.max_tag_file)?);
    }
    let declaration =
        tag_bytes.get("bagit.txt").ok_or_else(|| BagError::Missing("bagit.txt".into()))?;
    let declaration = Tags::parse("bagit.txt", text("bagit.txt", declaration)?)?;
    match declaration.get("BagIt-Version") {
        Some("1.0" | "0.97") => {}
        other => {
            return Err(BagError::Unsupported(format!(
                "bagit.txt declares BagIt-Version {other:?}; 1.0 and 0.97 are read"
            )));
        }
    }
    if !declaration
        .get("Tag-File-Character-Encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("UTF-8"))
    {
        return Err(BagError::Unsupported(
            "bagit.txt must declare Tag-File-Character-Encoding: UTF-8".into(),
        ));
    }
    let info = match tag_bytes.get("bag-info.txt") {
        Some(bytes) => Tags::parse("bag-info.txt", text("bag-info.txt", bytes)?)?,
        None => Tags::default(),
    };
    Ok(Scanned { zip, root, payload, tag_bytes, info })
}

/// Reads `bagit.txt`, `bag-info.txt` and `data/case.json` of the bag at `zip_path` after the
/// same checks of every entry as `open_bag`, but extracts nothing, so that a receiver can refuse
/// a bag for what it says (country, case, version) before spending the disk space its payload
/// takes. The payload and the manifests are checked by `open_bag` only.
pub fn read_bag_head(zip_path: &Path, limits: &Limits) -> Result<BagHead> {
    let mut scanned = scan(zip_path, limits)?;
    let entry = scanned
        .payload
        .iter()
        .find(|e| e.rel == CASE_JSON)
        .ok_or_else(|| BagError::Missing(CASE_JSON.into()))?;
    let case = parse_case(&read_small(&mut scanned.zip, entry, limits.max_case_json)?)?;
    Ok(BagHead { root: scanned.root, info: scanned.info, case })
}

/// Validates the bag at `zip_path` (complete and valid in the RFC's sense, plus the rules of a
/// PAKS case bag) and extracts its attachments into `work`, which must exist and be empty.
pub fn open_bag(zip_path: &Path, work: &Path, limits: &Limits) -> Result<OpenedBag> {
    let Scanned { mut zip, root, payload, tag_bytes, info } = scan(zip_path, limits)?;
    let mut payload_manifests = Vec::new();
    let mut tag_manifests = Vec::new();
    for rel in tag_bytes.keys() {
        if let Some(a) = manifest_algorithm(rel, "manifest-")? {
            payload_manifests.push((rel.clone(), a));
        } else if let Some(a) = manifest_algorithm(rel, "tagmanifest-")? {
            tag_manifests.push((rel.clone(), a));
        }
    }
    if payload_manifests.is_empty() {
        return Err(BagError::Missing("payload manifest (manifest-sha256.txt)".into()));
    }
    let with_sha512 =
        payload_manifests.iter().chain(&tag_manifests).any(|(_, a)| *a == Algorithm::Sha512);

    let mut digests: BTreeMap<String, Digests> = BTreeMap::new();
    let mut case_bytes = None;
    let mut files = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for entry in &payload {
        if entry.rel == CASE_JSON {
            let bytes = read_small(&mut zip, entry, limits.max_case_json)?;
            digests.insert(entry.rel.clone(), Digests::of(&bytes, with_sha512));
            case_bytes = Some(bytes);
            continue;
        }
        let name = entry.rel.strip_prefix(ATTACHMENTS_DIR).ok_or_else(|| BagError::BadEntry {
            name: entry.rel.clone(),
            reason: "a case bag's payload is data/case.json and files in data/attachments/".into(),
        })?;
        validate_file_name(name)
            .map_err(|reason| BagError::BadEntry { name: entry.rel.clone(), reason })?;
        let dest = work.join(format!("payload-{}", files.len()));
        let d = extract(&mut zip, entry, &dest, with_sha512, &mut buf)?;
        files.push(BagFile {
            name: name.to_owned(),
            path: dest,
            size: entry.size,
            sha256: d.sha256.clone(),
        });
        digests.insert(entry.rel.clone(), d);
    }
    for (name, algorithm) in &payload_manifests {
        verify_manifest(name, *algorithm, text(name, &tag_bytes[name])?, &digests, true)?;
    }
    let tag_digests: BTreeMap<String, Digests> = tag_bytes
        .iter()
        .map(|(rel, bytes)| (rel.clone(), Digests::of(bytes, with_sha512)))
        .collect();
    for (name, algorithm) in &tag_manifests {
        verify_manifest(name, *algorithm, text(name, &tag_bytes[name])?, &tag_digests, false)?;
    }
    if let Some(oxum) = info.get("Payload-Oxum") {
        let bytes: u64 = payload.iter().map(|e| e.size).sum();
        let actual = format!("{bytes}.{}", payload.len());
        if oxum != actual {
            return Err(BagError::OxumMismatch { declared: oxum.to_owned(), actual });
        }
    }
    let case_bytes = case_bytes.ok_or_else(|| BagError::Missing(CASE_JSON.into()))?;
    let case = parse_case(&case_bytes)?;
    Ok(OpenedBag { root, info, case, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_that_escape_or_lack_a_root_are_refused() {
        for name in ["../evil", "bag/../../evil", "/etc/passwd", "C:/x", "bag\\..\\x"] {
            let err = split_name(name.as_bytes()).expect_err(name);
            assert_eq!(err.code(), "path-escapes", "{name}: {err}");
        }
        assert_eq!(split_name(b"bagit.txt").expect_err("top").code(), "not-one-root");
        assert_eq!(split_name(b"bag/./x").expect_err("dot").code(), "bad-entry");
        assert_eq!(split_name(b"bag/\xff.pdf").expect_err("utf8").code(), "name-not-utf8");
        let (root, rest) = split_name("bag/data/attachments/ລາວ.pdf".as_bytes()).expect("ok");
        assert_eq!((root.as_str(), rest.as_deref()), ("bag", Some("data/attachments/ລາວ.pdf")));
        assert_eq!(split_name(b"bag/data/").expect("dir").1, None);
    }
}
