//! XLSX: cell text per sheet, in workbook order.

use std::io::{Read, Seek};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::archive::Archive;
use crate::error::DocError;
use crate::extraction::{Collector, Extraction, Room};
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::ooxml::main_part;
use crate::xml::{attr, decode, push_ref, relationships, rels_of, xml_error};

const REL_SHARED_STRINGS: &str = "/sharedStrings";

pub(crate) fn workbook<R: Read + Seek>(
    mut archive: Archive<R>,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    let main = main_part(&mut archive, "xl/workbook.xml")?;
    let (dir, rels_name) = rels_of(&main);
    let book = decode(archive.require(&main)?);
    let rels = relationships(&decode(archive.require(&rels_name)?), &dir, &rels_name)?;

    let shared = match rels.values().find(|r| r.kind.ends_with(REL_SHARED_STRINGS)) {
        Some(rel) => match archive.read(&rel.target)? {
            Some(xml) => shared_strings(&decode(xml), &rel.target)?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };

    let mut sheets = Vec::new();
    let mut reader = Reader::from_str(&book);
    loop {
        match reader.read_event().map_err(|e| xml_error(&main, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let rid = e.attributes().flatten().find_map(|a| {
                    let key: &str = a.key.as_ref();
                    (key != "id" && a.key.local_name().as_ref() == "id")
                        .then(|| a.value.into_owned())
                });
                sheets.push(rid);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let total = u32::try_from(sheets.len()).unwrap_or(u32::MAX);
    on_count(total);

    let mut collector = Collector::new(DocKind::Xlsx, limits.max_chars);
    let mut failed = Vec::new();
    for (i, rid) in sheets.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if collector.is_full() {
            collector.mark_capped();
            break;
        }
        let Some(rel) = rid.as_ref().and_then(|r| rels.get(r)) else {
            failed.push(number);
            continue;
        };
        // Chart sheets and dialog sheets have no cells; they are simply empty.
        match archive.read(&rel.target) {
            Ok(Some(xml)) => match sheet_text(&decode(xml), &rel.target, &shared, limits.max_chars)
            {
                Ok(text) => collector.push(number, text, None),
                Err(_) => failed.push(number),
            },
            Ok(None) => failed.push(number),
            Err(DocError::Damaged(_)) => failed.push(number),
            Err(other) => return Err(other),
        }
    }
    Ok(Extraction::from_units(DocKind::Xlsx, "ooxml", collector.finish(), failed, total))
}

fn shared_strings(xml: &str, part: &str) -> Result<Vec<String>, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_t = false;
    // Phonetic runs (`rPh`) repeat the text as a reading aid.
    let mut in_phonetic = false;
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_t = !in_phonetic,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                "si" => out.push(std::mem::take(&mut cur)),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Event::Text(t) if in_t => cur.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t => push_ref(&mut cur, &r),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Cells separated by tabs, rows by newlines; reading stops past `max_chars` characters.
fn sheet_text(
    xml: &str,
    part: &str,
    shared: &[String],
    max_chars: usize,
) -> Result<String, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    let mut room = Room::for_limit(max_chars);
    let mut cell_type: Option<String> = None;
    let mut value = String::new();
    let mut in_value = false;
    let mut row_has_cell = false;
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "row" => row_has_cell = false,
                "c" => {
                    cell_type = attr(&e, "t");
                    value.clear();
                }
                "v" | "t" => in_value = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "v" | "t" => in_value = false,
                "c" => {
                    let text = match cell_type.as_deref() {
                        Some("s") => value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| shared.get(i))
                            .map_or("", String::as_str),
                        Some("b") | Some("e") => "",
                        _ => value.as_str(),
                    };
                    if !text.is_empty() {
                        if row_has_cell {
                            room.push(&mut out, '\t');
                        }
                        room.push_str(&mut out, text);
                        row_has_cell = true;
                    }
                    if room.is_empty() {
                        break;
                    }
                }
                "row" if row_has_cell => room.push(&mut out, '\n'),
                _ => {}
            },
            Event::Text(t) if in_value => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_value => push_ref(&mut value, &r),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}
