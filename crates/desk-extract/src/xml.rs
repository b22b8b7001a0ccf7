//! Small pieces shared by the OOXML and ODF readers.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::error::DocError;

/// Text of an XML part: UTF-8 with or without BOM, or UTF-16 with BOM. Takes the bytes so
/// valid UTF-8, nearly every part, becomes the text without a copy.
pub(crate) fn decode(mut bytes: Vec<u8>) -> String {
    let utf16 = |bytes: &[u8], be: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if be { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, ..] => return utf16(&bytes, false),
        [0xFE, 0xFF, ..] => return utf16(&bytes, true),
        [0xEF, 0xBB, 0xBF, ..] => {
            bytes.drain(..3);
        }
        _ => {}
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the character an entity or character reference stands for.
pub(crate) fn push_ref(out: &mut String, r: &BytesRef<'_>) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name: &str = r;
    out.push_str(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    });
}

/// The value of the attribute whose local name is `local`, unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    find_attr(e, local).map(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| a.value.into_owned())
    })
}

/// Whether the attribute whose local name is `local` has a raw value that `test` accepts:
/// no copy, for values that hold no references (relationship types and modes).
fn raw_attr_is(e: &BytesStart<'_>, local: &str, test: impl FnOnce(&str) -> bool) -> bool {
    find_attr(e, local).is_some_and(|a| test(&a.value))
}

fn find_attr<'a>(
    e: &'a BytesStart<'_>,
    local: &str,
) -> Option<quick_xml::events::attributes::Attribute<'a>> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local)
}

pub(crate) fn xml_error(part: &str, e: impl std::fmt::Display) -> DocError {
    DocError::damaged(format!("its part {part} is not well-formed XML ({e})"))
}

/// An OPC relationship: where it points and what it is.
#[derive(Debug, Clone)]
pub(crate) struct Rel {
    pub target: String,
    pub kind: String,
}

/// The relationships of a `.rels` part, by id, with targets resolved against `base_dir`
/// (the folder of the part the relationships belong to, e.g. `ppt/slides`).
pub(crate) fn relationships(
    xml: &str,
    base_dir: &str,
    part: &str,
) -> Result<HashMap<String, Rel>, DocError> {
    let mut rels = HashMap::new();
    scan_relationships(xml, part, |e| {
        if let (Some(id), Some(target)) = (attr(e, "Id"), attr(e, "Target")) {
            let kind = attr(e, "Type").unwrap_or_default();
            rels.insert(id, Rel { target: resolve(base_dir, &target), kind });
        }
        None::<()>
    })?;
    Ok(rels)
}

/// The target, resolved against `base_dir`, of the first relationship in `xml` whose type
/// ends with `kind` (e.g. `/notesSlide`): no map of them all for the one that is wanted.
pub(crate) fn first_relationship(
    xml: &str,
    base_dir: &str,
    part: &str,
    kind: &str,
) -> Result<Option<String>, DocError> {
    scan_relationships(xml, part, |e| {
        if !raw_attr_is(e, "Type", |t| t.ends_with(kind)) {
            return None;
        }
        attr(e, "Target").map(|target| resolve(base_dir, &target))
    })
}

/// Calls `on_rel` with each internal `Relationship` element of a `.rels` part, in document
/// order, until it returns something.
fn scan_relationships<T>(
    xml: &str,
    part: &str,
    mut on_rel: impl FnMut(&BytesStart<'_>) -> Option<T>,
) -> Result<Option<T>, DocError> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if raw_attr_is(&e, "TargetMode", |m| m.trim().eq_ignore_ascii_case("External")) {
                    continue;
                }
                if let Some(found) = on_rel(&e) {
                    return Ok(Some(found));
                }
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// Resolves a relative part reference against a folder, handling `..` and absolute `/x`.
pub(crate) fn resolve(base_dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let target = match target.strip_prefix('/') {
        Some(abs) => abs,
        None => {
            parts.extend(base_dir.split('/').filter(|s| !s.is_empty()));
            target
        }
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The folder of a part name and the name of its relationships part.
pub(crate) fn rels_of(part: &str) -> (String, String) {
    match part.rsplit_once('/') {
        Some((dir, file)) => (dir.to_string(), format!("{dir}/_rels/{file}.rels")),
        None => (String::new(), format!("_rels/{part}.rels")),
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn parts_decode_from_utf8_with_or_without_bom_and_from_utf16() {
        assert_eq!(decode("<a>ລາວ</a>".into()), "<a>ລາວ</a>");
        assert_eq!(decode(b"\xEF\xBB\xBF<a>x</a>".to_vec()), "<a>x</a>");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(le), "<a>é</a>");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<a>é</a>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(be), "<a>é</a>");
        assert_eq!(decode(b"<a>\xFFx</a>".to_vec()), "<a>\u{FFFD}x</a>");
    }
}
