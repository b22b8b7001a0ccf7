//! ODP and ODT: text of `content.xml`.

use std::io::{Read, Seek};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::archive::Archive;
use crate::error::DocError;
use crate::extraction::{Collector, Extraction, Room};
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::xml::{attr, decode, push_ref, xml_error};

const CONTENT: &str = "content.xml";

/// Units of an ODF document: one per `draw:page` (ODP, notes apart), or pages of an ODT
/// split where LibreOffice recorded a soft page break.
pub(crate) fn document<R: Read + Seek>(
    mut archive: Archive<R>,
    kind: DocKind,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    if archive.read("META-INF/manifest.xml")?.is_some_and(|m| decode(m).contains("encryption-data"))
    {
        return Err(DocError::PasswordProtected);
    }
    let xml = decode(archive.require(CONTENT)?);
    let units = if kind == DocKind::Odp {
        slides(&xml, limits.max_chars)?
    } else {
        pages(&xml, limits.max_chars)?
    };
    let total = u32::try_from(units.len()).unwrap_or(u32::MAX);
    on_count(total);
    let mut collector = Collector::new(kind, limits.max_chars);
    for (i, (text, notes)) in units.into_iter().enumerate() {
        if collector.is_full() {
            collector.mark_capped();
            break;
        }
        collector.push(u32::try_from(i + 1).unwrap_or(u32::MAX), text, notes);
    }
    Ok(Extraction::from_units(kind, "odf", collector.finish(), Vec::new(), total))
}

/// Appends what an inline element stands for: spaces, tabs, line breaks.
fn inline(out: &mut String, e: &BytesStart<'_>, room: &mut Room) {
    match e.local_name().as_ref() {
        "s" => {
            let n = attr(e, "c").and_then(|c| c.parse::<usize>().ok()).unwrap_or(1).min(1000);
            room.push_repeated(out, ' ', n);
        }
        "tab" => room.push(out, '\t'),
        "line-break" => room.push(out, '\n'),
        _ => {}
    }
}

/// Appends the character a reference stands for.
fn push_ref_within(out: &mut String, r: &quick_xml::events::BytesRef<'_>, room: &mut Room) {
    let mut c = String::new();
    push_ref(&mut c, r);
    room.push_str(out, &c);
}

fn is_para(name: &str) -> bool {
    name == "p" || name == "h"
}

fn slides(xml: &str, max_chars: usize) -> Result<Vec<(String, Option<String>)>, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut room = Room::for_limit(max_chars);
    let mut slides = Vec::new();
    let mut text = String::new();
    let mut notes = String::new();
    let mut in_page = false;
    let mut in_notes = false;
    // Notes pages also hold a slide thumbnail and page-number fields; only the notes frame counts.
    let mut in_notes_frame = false;
    let mut para_depth = 0u32;
    loop {
        if room.is_empty() {
            // The rest would be dropped at the cap: the slide being read is the last.
            if in_page {
                let n = (!notes.trim().is_empty()).then_some(notes);
                slides.push((text, n));
            }
            break;
        }
        let target = if in_notes { &mut notes } else { &mut text };
        match reader.read_event().map_err(|e| xml_error(CONTENT, e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "page" if !in_notes => {
                    in_page = true;
                    text.clear();
                    notes.clear();
                }
                "notes" if in_page => in_notes = true,
                "frame" if in_notes => {
                    in_notes_frame = attr(&e, "class").as_deref() == Some("notes");
                }
                n if is_para(n) && in_page && (!in_notes || in_notes_frame) => {
                    if para_depth == 0 && !target.is_empty() {
                        room.push(target, '\n');
                    }
                    para_depth += 1;
                }
                // Text outside a page is never kept.
                _ if in_page => inline(target, &e, &mut room),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                n if is_para(n) && in_page && para_depth == 0 && !target.is_empty() => {
                    room.push(target, '\n');
                }
                _ if in_page => inline(target, &e, &mut room),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "page" if !in_notes && in_page => {
                    in_page = false;
                    let n = (!notes.trim().is_empty()).then(|| std::mem::take(&mut notes));
                    slides.push((std::mem::take(&mut text), n));
                }
                "notes" => in_notes = false,
                "frame" => in_notes_frame = false,
                n if is_para(n) => para_depth = para_depth.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) if para_depth > 0 => room.push_str(target, &t.xml10_content()),
            Event::GeneralRef(r) if para_depth > 0 => push_ref_within(target, &r, &mut room),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(slides)
}

fn pages(xml: &str, max_chars: usize) -> Result<Vec<(String, Option<String>)>, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut room = Room::for_limit(max_chars);
    let mut pages = vec![String::new()];
    let mut para_depth = 0u32;
    let mut in_body = false;
    // Deleted text of tracked changes is kept in the file but is not part of the document.
    let mut skip_depth = 0u32;
    // The rest would be dropped at the cap.
    while !room.is_empty() {
        let event = reader.read_event().map_err(|e| xml_error(CONTENT, e))?;
        if skip_depth > 0 {
            match &event {
                Event::Start(e) if e.local_name().as_ref() == "tracked-changes" => skip_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "tracked-changes" => skip_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        let Some(page) = pages.last_mut() else { break };
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "text" => in_body = true,
                "tracked-changes" => skip_depth = 1,
                n if is_para(n) && in_body => para_depth += 1,
                _ => inline(page, &e, &mut room),
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "soft-page-break" if !page.trim().is_empty() => pages.push(String::new()),
                n if is_para(n) && in_body => room.push(page, '\n'),
                _ => inline(page, &e, &mut room),
            },
            Event::End(e) => match e.local_name().as_ref() {
                n if is_para(n) && para_depth > 0 => {
                    para_depth -= 1;
                    if para_depth == 0 {
                        room.push(page, '\n');
                    }
                }
                _ => {}
            },
            Event::Text(t) if para_depth > 0 => room.push_str(page, &t.xml10_content()),
            Event::GeneralRef(r) if para_depth > 0 => push_ref_within(page, &r, &mut room),
            Event::Eof => break,
            _ => {}
        }
    }
    if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Ok(pages.into_iter().map(|p| (p, None)).collect())
}
