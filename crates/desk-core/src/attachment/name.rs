//! The name a file is shown and exported with. Never used as a path: files are stored by hash.

use std::ffi::OsStr;

/// Longest name kept, in characters (the extension is kept whole when short).
pub const MAX_NAME_CHARS: usize = 120;
const MAX_EXTENSION_CHARS: usize = 10;
const FALLBACK: &str = "attachment";

/// The last component of `name`, decoded lossily, without control characters, invisible
/// text-direction characters (PAKS refuses them in names) or path separators, and cut to [`MAX_NAME_CHARS`] keeping its extension.
pub fn display_name(name: &OsStr) -> String {
    let decoded = decode(name);
    let last = decoded.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !paks_protocol::is_bidi_control(*c)).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        return FALLBACK.to_owned();
    }
    cap(trimmed)
}

/// The lower-case extension of a display name, if any.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_lowercase())
}

fn cap(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= MAX_EXTENSION_CHARS => {
            format!(".{ext}")
        }
        _ => String::new(),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count() - 1;
    let stem: String = name.chars().take(keep).collect();
    format!("{}…{ext}", stem.trim_end())
}

#[cfg(unix)]
fn decode(name: &OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    String::from_utf8_lossy(name.as_bytes()).into_owned()
}

#[cfg(not(unix))]
fn decode(name: &OsStr) -> String {
    name.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(display_name(OsStr::new("../../etc/passwd")), "passwd");
        assert_eq!(display_name(OsStr::new("C:\\Users\\x\\deck.pptx")), "deck.pptx");
        assert_eq!(display_name(OsStr::new("a\u{0}b\nc\u{202E}xslx.pdf")), "abcxslx.pdf");
        assert_eq!(display_name(OsStr::new("..")), "attachment");
        assert_eq!(display_name(OsStr::new("")), "attachment");
        assert_eq!(display_name(OsStr::new("ແຜນ ລັດຖະບານ.pdf")), "ແຜນ ລັດຖະບານ.pdf");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pptx", "ສ".repeat(300));
        let name = display_name(OsStr::new(&long));
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with("….pptx"), "{name}");
        assert_eq!(extension(&name).as_deref(), Some("pptx"));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_are_decoded_lossily() {
        use std::os::unix::ffi::OsStrExt;
        let name = display_name(OsStr::from_bytes(b"r\xe9sum\xe9.pdf"));
        assert_eq!(name, "r\u{FFFD}sum\u{FFFD}.pdf");
    }
}
