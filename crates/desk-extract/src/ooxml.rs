//! PPTX/PPSX/POTX and DOCX: text read from their XML parts.

use std::io::{Read, Seek};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::archive::Archive;
use crate::error::DocError;
use crate::extraction::{Collector, Extraction};
use crate::kind::DocKind;
use crate::limits::Limits;
use crate::xml::{attr, decode, first_relationship, push_ref, relationships, rels_of, xml_error};

const REL_OFFICE_DOCUMENT: &str = "/officeDocument";
const REL_NOTES_SLIDE: &str = "/notesSlide";

/// The main part named by the package's root relationships.
pub(crate) fn main_part<R: Read + Seek>(
    archive: &mut Archive<R>,
    fallback: &str,
) -> Result<String, DocError> {
    let Some(rels) = archive.read("_rels/.rels")? else {
        return Ok(fallback.to_string());
    };
    let main = first_relationship(&decode(rels), "", "_rels/.rels", REL_OFFICE_DOCUMENT)?;
    Ok(main.unwrap_or_else(|| fallback.to_string()))
}

/// Slides in presentation order (`p:sldIdLst` of `presentation.xml`), with speaker notes.
pub(crate) fn presentation<R: Read + Seek>(
    mut archive: Archive<R>,
    kind: DocKind,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    let main = main_part(&mut archive, "ppt/presentation.xml")?;
    let (dir, rels_name) = rels_of(&main);
    let pres_xml = decode(archive.require(&main)?);
    let rels_xml = decode(archive.require(&rels_name)?);
    let rels = relationships(&rels_xml, &dir, &rels_name)?;

    let mut slide_ids = Vec::new();
    let mut reader = Reader::from_str(&pres_xml);
    loop {
        match reader.read_event().map_err(|e| xml_error(&main, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sldId" => {
                if let Some(id) = attr_rid(&e) {
                    slide_ids.push(id);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let total = u32::try_from(slide_ids.len()).unwrap_or(u32::MAX);
    on_count(total);

    let mut collector = Collector::new(kind, limits.max_chars);
    let mut failed = Vec::new();
    let mut first_error = None;
    for (i, rid) in slide_ids.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if collector.is_full() {
            collector.mark_capped();
            break;
        }
        let Some(rel) = rels.get(rid) else {
            failed.push(number);
            continue;
        };
        match slide_with_notes(&mut archive, &rel.target) {
            Ok((text, notes)) => collector.push(number, text, notes),
            Err(DocError::Damaged(reason)) => {
                failed.push(number);
                first_error.get_or_insert(reason);
            }
            Err(other) => return Err(other),
        }
    }
    if let Some(reason) = first_error.filter(|_| failed.len() == slide_ids.len()) {
        return Err(DocError::Damaged(reason));
    }
    Ok(Extraction::from_units(kind, "ooxml", collector.finish(), failed, total))
}

/// `r:id` of a `p:sldId` (namespace prefix varies, the local name is `id` in the r namespace;
/// the plain `id` attribute is the numeric slide id).
fn attr_rid(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key: &str = a.key.as_ref();
        (key != "id" && a.key.local_name().as_ref() == "id").then(|| a.value.into_owned())
    })
}

fn slide_with_notes<R: Read + Seek>(
    archive: &mut Archive<R>,
    slide: &str,
) -> Result<(String, Option<String>), DocError> {
    let xml = decode(archive.require(slide)?);
    let text = drawing_text(&xml, slide, false)?;
    let (dir, rels_name) = rels_of(slide);
    let notes_part = match archive.read(&rels_name)? {
        None => None,
        Some(rels) => first_relationship(&decode(rels), &dir, &rels_name, REL_NOTES_SLIDE)?,
    };
    let notes = match notes_part {
        None => None,
        Some(part) => match archive.read(&part)? {
            None => None,
            Some(notes) => Some(drawing_text(&decode(notes), &part, true)?),
        },
    };
    Ok((text, notes))
}

/// Text of the DrawingML text bodies of a slide, in document order: paragraphs joined by
/// `\n` within a body, bodies joined by `\n` (as python-pptx reads them). With
/// `notes_body_only`, only the body placeholder of a notes slide.
pub(crate) fn drawing_text(
    xml: &str,
    part: &str,
    notes_body_only: bool,
) -> Result<String, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut bodies: Vec<String> = Vec::new();
    let mut body: Option<String> = None;
    let mut para_open = false;
    let mut in_t = false;
    let mut fallback_depth = 0u32;
    let mut sp_is_notes_body = false;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        if fallback_depth > 0 {
            match &event {
                Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "Fallback" => fallback_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                // Fallback repeats the content of the chosen alternative.
                "Fallback" => fallback_depth = 1,
                "sp" => sp_is_notes_body = false,
                "ph" => sp_is_notes_body = attr(&e, "type").as_deref() == Some("body"),
                "txBody" => body = Some(String::new()),
                "p" if body.is_some() => {
                    if let Some(b) = body.as_mut().filter(|_| para_open) {
                        b.push('\n');
                    }
                    para_open = true;
                }
                "t" => in_t = body.is_some(),
                // `<a:br>` usually arrives as a start tag holding its run properties.
                "br" => push_break(&mut body),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "ph" => sp_is_notes_body = attr(&e, "type").as_deref() == Some("body"),
                "br" => push_break(&mut body),
                "p" => {
                    if let Some(b) = body.as_mut() {
                        if para_open {
                            b.push('\n');
                        }
                        para_open = true;
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "txBody" => {
                    if let Some(b) = body.take()
                        && (!notes_body_only || sp_is_notes_body)
                    {
                        bodies.push(b);
                    }
                    para_open = false;
                }
                _ => {}
            },
            Event::Text(t) if in_t => {
                if let Some(b) = body.as_mut() {
                    b.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_t => {
                if let Some(b) = body.as_mut() {
                    push_ref(b, &r);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if notes_body_only {
        return Ok(bodies.into_iter().next().unwrap_or_default());
    }
    Ok(bodies.join("\n"))
}

fn push_break(body: &mut Option<String>) {
    if let Some(b) = body.as_mut() {
        b.push('\n');
    }
}

/// Word document body, split into pages where Word last rendered a page break or where an
/// explicit page break stands.
pub(crate) fn document<R: Read + Seek>(
    mut archive: Archive<R>,
    limits: &Limits,
    on_count: &mut dyn FnMut(u32),
) -> Result<Extraction, DocError> {
    let main = main_part(&mut archive, "word/document.xml")?;
    let xml = decode(archive.require(&main)?);
    let mut pages = vec![String::new()];
    let mut reader = Reader::from_str(&xml);
    let mut in_t = false;
    let mut fallback_depth = 0u32;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&main, e))?;
        if fallback_depth > 0 {
            match &event {
                Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "Fallback" => fallback_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            // Fallback repeats the content of the chosen alternative.
            Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth = 1,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "t" => in_t = true,
                "tab" => push(&mut pages, '\t'),
                "cr" => push(&mut pages, '\n'),
                "br" if attr(&e, "type").as_deref() == Some("page") => new_page(&mut pages),
                "br" => push(&mut pages, '\n'),
                "lastRenderedPageBreak" => new_page(&mut pages),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "p" => push(&mut pages, '\n'),
                _ => {}
            },
            Event::Text(t) if in_t => {
                if let Some(p) = pages.last_mut() {
                    p.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_t => {
                if let Some(p) = pages.last_mut() {
                    push_ref(p, &r);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    on_count(total);
    let mut collector = Collector::new(DocKind::Docx, limits.max_chars);
    for (i, text) in pages.into_iter().enumerate() {
        if collector.is_full() {
            collector.mark_capped();
            break;
        }
        collector.push(u32::try_from(i + 1).unwrap_or(u32::MAX), text, None);
    }
    Ok(Extraction::from_units(DocKind::Docx, "ooxml", collector.finish(), Vec::new(), total))
}

fn push(pages: &mut [String], c: char) {
    if let Some(p) = pages.last_mut() {
        p.push(c);
    }
}

/// Starts a page, unless the current one is still blank: Word records a rendered break
/// right after an explicit one, and the two must not make an empty page.
fn new_page(pages: &mut Vec<String>) {
    if pages.last().is_some_and(|p| !p.trim().is_empty()) {
        pages.push(String::new());
    }
}
