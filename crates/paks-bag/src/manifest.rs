//! Manifests (`manifest-<alg>.txt`, `tagmanifest-<alg>.txt`): one `<checksum> <path>` line per
//! file, paths percent-encoded for CR, LF and `%` (RFC 8493 §2.1.3).

use sha2::Digest;

use crate::error::{BagError, Result};

/// The checksum algorithms this crate verifies. A bag whose manifests use any other is refused
/// rather than half-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// SHA-256 always (the server and the store key files by it), SHA-512 when a manifest asks.
pub struct Hashes {
    sha256: sha2::Sha256,
    sha512: Option<sha2::Sha512>,
}

impl Hashes {
    pub fn new(with_sha512: bool) -> Self {
        Self { sha256: sha2::Sha256::new(), sha512: with_sha512.then(sha2::Sha512::new) }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        if let Some(h) = &mut self.sha512 {
            h.update(data);
        }
    }

    pub fn finish(self) -> Digests {
        Digests {
            sha256: hex::encode(self.sha256.finalize()),
            sha512: self.sha512.map(|h| hex::encode(h.finalize())),
        }
    }
}

/// Lower-case hex digests of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub sha512: Option<String>,
}

impl Digests {
    pub fn of(bytes: &[u8], with_sha512: bool) -> Self {
        let mut h = Hashes::new(with_sha512);
        h.update(bytes);
        h.finish()
    }

    pub fn get(&self, algorithm: Algorithm) -> Option<&str> {
        match algorithm {
            Algorithm::Sha256 => Some(&self.sha256),
            Algorithm::Sha512 => self.sha512.as_deref(),
        }
    }
}

/// `data/a%0Ab.pdf` for a name holding a line feed, as the RFC asks.
pub fn encode_path(path: &str) -> String {
    path.replace('%', "%25").replace('\n', "%0A").replace('\r', "%0D")
}

fn decode_path(path: &str) -> String {
    path.replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%25", "%")
}

/// The `(path, lower-case checksum)` lines of a manifest.
pub fn parse(file: &str, text: &str) -> Result<Vec<(String, String)>> {
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let syntax = |reason: &str| BagError::TagSyntax {
            file: file.to_owned(),
            line: i + 1,
            reason: reason.to_owned(),
        };
        let (checksum, path) =
            line.split_once([' ', '\t']).ok_or_else(|| syntax("expected \"<checksum> <path>\""))?;
        let path = path.trim_start_matches([' ', '\t']);
        if checksum.is_empty() || !checksum.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(syntax("the checksum is not hexadecimal"));
        }
        if path.is_empty() {
            return Err(syntax("the path is empty"));
        }
        lines.push((decode_path(path).replace('\\', "/"), checksum.to_ascii_lowercase()));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_spaces_and_encoded_line_breaks_round_trip() {
        let name = "data/attachments/100% plan\nv2.pdf";
        let text = format!("ABCDEF  {}\n", encode_path(name));
        let lines = parse("manifest-sha256.txt", &text).expect("parses");
        assert_eq!(lines, vec![(name.to_owned(), "abcdef".to_owned())]);
        assert!(parse("manifest-sha256.txt", "xyz data/a\n").is_err(), "non-hex is refused");
    }
}
