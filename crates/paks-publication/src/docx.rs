//! The Word document. Word picks a run's font by the class of each character: `w:ascii` and
//! `w:hAnsi` for Latin and Cyrillic, `w:eastAsia` for Chinese, `w:cs` for the complex scripts
//! (Lao, Khmer, Thai, Myanmar, Devanagari). Each run names the font of the complex script it
//! holds, so text is split into runs where that script changes.
//!
//! The fonts named are those Windows ships (Word on Windows is what a ministry reads with);
//! elsewhere the reader substitutes its own.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, Paragraph, Run, RunFonts, Style, StyleType, Table, TableCell,
    TableOfContents, TableOfContentsItem, TableRow,
};

use crate::error::{PublicationError, Result};
use crate::model::{CaseView, LinkView, PrintedCase, Proceedings};

const LATIN_FONT: &str = "Arial";
const CHINESE_FONT: &str = "Microsoft YaHei";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Latin, Cyrillic, digits, punctuation: shown by any run's fonts.
    Common,
    Lao,
    Khmer,
    Thai,
    Myanmar,
    Devanagari,
    Han,
}

impl Script {
    fn of(c: char) -> Self {
        match u32::from(c) {
            0x0E80..=0x0EFF => Self::Lao,
            0x1780..=0x17FF | 0x19E0..=0x19FF => Self::Khmer,
            0x0E00..=0x0E7F => Self::Thai,
            0x1000..=0x109F | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F => Self::Myanmar,
            0x0900..=0x097F | 0xA8E0..=0xA8FF => Self::Devanagari,
            0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF => Self::Han,
            _ => Self::Common,
        }
    }

    fn complex_font(self) -> &'static str {
        match self {
            Self::Lao | Self::Thai => "Leelawadee UI",
            Self::Khmer => "Khmer UI",
            Self::Myanmar => "Myanmar Text",
            Self::Devanagari => "Nirmala UI",
            Self::Common | Self::Han => LATIN_FONT,
        }
    }

    fn fonts(self) -> RunFonts {
        RunFonts::new()
            .ascii(LATIN_FONT)
            .hi_ansi(LATIN_FONT)
            .east_asia(CHINESE_FONT)
            .cs(self.complex_font())
    }
}

/// Runs of `text`, one per stretch of a complex script (common characters join the stretch
/// they are in).
fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let mut script = Script::Common;
    for c in text.chars() {
        let s = Script::of(c);
        if s != Script::Common && s != script {
            if script != Script::Common && !current.is_empty() {
                runs.push(Run::new().add_text(std::mem::take(&mut current)).fonts(script.fonts()));
            }
            script = s;
        }
        current.push(c);
    }
    if !current.is_empty() || runs.is_empty() {
        runs.push(Run::new().add_text(current).fonts(script.fonts()));
    }
    runs
}

fn paragraph(text: &str) -> Paragraph {
    runs(text).into_iter().fold(Paragraph::new(), Paragraph::add_run)
}

fn bold(text: &str) -> Paragraph {
    runs(text).into_iter().fold(Paragraph::new(), |p, r| p.add_run(r.bold()))
}

/// A focal point's text: a paragraph per blank-line-separated block, its line breaks kept.
fn prose(text: &str) -> Vec<Paragraph> {
    let text = text.replace('\r', "");
    let mut paragraphs = Vec::new();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let mut p = Paragraph::new();
        for (i, line) in block.lines().enumerate() {
            if i > 0 {
                p = p.add_run(Run::new().add_break(BreakType::TextWrapping));
            }
            for run in runs(line) {
                p = p.add_run(run);
            }
        }
        paragraphs.push(p);
    }
    paragraphs
}

fn heading(level: usize, text: &str) -> Paragraph {
    paragraph(text).style(&format!("Heading{level}"))
}

fn page_break() -> Paragraph {
    Paragraph::new().add_run(Run::new().add_break(BreakType::Page))
}

fn cell(p: Paragraph) -> TableCell {
    TableCell::new().add_paragraph(p)
}

fn pairs(rows: &[(&'static str, String)]) -> Table {
    Table::without_borders(
        rows.iter()
            .map(|(label, value)| TableRow::new(vec![cell(bold(label)), cell(paragraph(value))]))
            .collect(),
    )
}

fn styled() -> Docx {
    let heading = |level: usize, half_points: usize| {
        Style::new(format!("Heading{level}"), StyleType::Paragraph)
            .name(format!("heading {level}"))
            .based_on("Normal")
            .next("Normal")
            .size(half_points)
            .bold()
            .outline_lvl(level - 1)
    };
    Docx::new()
        .default_fonts(Script::Common.fonts())
        .default_size(21)
        .add_style(heading(1, 34))
        .add_style(heading(2, 25))
}

/// Where a body's parts go: the document itself.
enum Part {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

impl Part {
    fn paragraph(p: Paragraph) -> Self {
        Self::Paragraph(Box::new(p))
    }

    fn table(t: Table) -> Self {
        Self::Table(Box::new(t))
    }
}

fn add(doc: Docx, parts: Vec<Part>) -> Docx {
    parts.into_iter().fold(doc, |doc, part| match part {
        Part::Paragraph(p) => doc.add_paragraph(*p),
        Part::Table(t) => doc.add_table(*t),
    })
}

fn goal_links(title: &str, links: &[LinkView<'_>], parts: &mut Vec<Part>) {
    if links.is_empty() {
        return;
    }
    parts.push(Part::paragraph(heading(2, title)));
    for l in links {
        let mut label = l.target.to_owned();
        if let Some(indicator) = l.indicator {
            label.push_str(&format!(" (indicator {indicator})"));
        }
        parts.push(Part::paragraph(bold(&label)));
        parts.extend(prose(l.note).into_iter().map(Part::paragraph));
    }
}

fn case_parts(c: &CaseView<'_>) -> Vec<Part> {
    let mut parts = vec![Part::table(pairs(&c.facts))];
    goal_links("Millennium Development Goal targets", &c.mdg_links, &mut parts);
    goal_links("Sustainable Development Goal targets", &c.sdg_links, &mut parts);
    for (name, text) in &c.sections {
        parts.push(Part::paragraph(heading(2, name)));
        parts.extend(prose(text).into_iter().map(Part::paragraph));
    }
    if !c.files.is_empty() {
        parts.push(Part::paragraph(heading(2, "Files")));
        let mut rows =
            vec![TableRow::new(vec![cell(bold("Name")), cell(bold("Type")), cell(bold("Size"))])];
        rows.extend(c.files.iter().map(|f| {
            TableRow::new(vec![
                cell(paragraph(&f.name)),
                cell(paragraph(&f.media_type)),
                cell(paragraph(&format!("{} bytes", f.size))),
            ])
        }));
        parts.push(Part::table(Table::new(rows)));
    }
    if !c.receipt.is_empty() {
        parts.push(Part::paragraph(heading(2, "PAKS receipt")));
        parts.push(Part::table(pairs(&c.receipt)));
    }
    parts
}

fn pack(doc: Docx) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| PublicationError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

pub(crate) fn case(case: &PrintedCase) -> Result<Vec<u8>> {
    let view = case.view();
    let doc = styled().add_paragraph(heading(1, view.title));
    pack(add(doc, case_parts(&view)))
}

fn bookmark(i: usize) -> String {
    format!("case_{i}")
}

pub(crate) fn proceedings(proceedings: &Proceedings) -> Result<Vec<u8>> {
    let view = proceedings.view();
    let big = |text: &str, half_points: usize| {
        runs(text).into_iter().fold(Paragraph::new().align(AlignmentType::Center), |p, r| {
            p.add_run(r.size(half_points).bold())
        })
    };
    let mut doc = styled()
        .add_paragraph(big("Proceedings", 48))
        .add_paragraph(big(view.event, 30))
        .add_paragraph(
            paragraph(&format!("{} country cases · {}", view.cases.len(), view.built_on))
                .align(AlignmentType::Center),
        )
        .add_paragraph(page_break());
    // Filled in so any reader shows the contents; Word refreshes its page numbers on opening.
    let mut contents = TableOfContents::new()
        .heading_styles_range(1, 1)
        .alias("Contents")
        .dirty()
        .add_before_paragraph(heading(1, "Contents"));
    for (i, c) in view.cases.iter().enumerate() {
        contents = contents
            .add_item(TableOfContentsItem::new().text(c.title).toc_key(bookmark(i)).level(1));
    }
    for title in ["Overview", "Index by MDG target", "Index by SDG target"] {
        contents = contents.add_item(TableOfContentsItem::new().text(title).level(1));
    }
    doc = doc.add_table_of_contents(contents).add_paragraph(page_break());

    doc = doc.add_paragraph(heading(1, "Overview"));
    let mut rows = vec![TableRow::new(vec![
        cell(bold("Country")),
        cell(bold("Title")),
        cell(bold("MDG targets")),
    ])];
    rows.extend(view.cases.iter().map(|c| {
        let targets: Vec<&str> = c.mdg_links.iter().map(|l| l.target).collect();
        TableRow::new(vec![
            cell(paragraph(c.country)),
            cell(paragraph(c.title)),
            cell(paragraph(&targets.join(", "))),
        ])
    }));
    doc = doc.add_table(Table::new(rows));

    for (i, c) in view.cases.iter().enumerate() {
        let id = i + 1;
        let title = heading(1, c.title)
            .page_break_before(true)
            .add_bookmark_start(id, bookmark(i))
            .add_bookmark_end(id);
        doc = add(doc.add_paragraph(title), case_parts(c));
    }
    for (title, entries) in
        [("Index by MDG target", &view.mdg_index), ("Index by SDG target", &view.sdg_index)]
    {
        doc = doc.add_paragraph(heading(1, title).page_break_before(true));
        for e in entries {
            doc = doc.add_paragraph(bold(&e.target));
            for &i in &e.cases {
                if let Some(c) = view.cases.get(i) {
                    doc = doc.add_paragraph(paragraph(&format!("{} ({})", c.title, c.country)));
                }
            }
        }
    }
    pack(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripts_of_runs(text: &str) -> Vec<(String, Option<String>)> {
        runs(text)
            .iter()
            .map(|r| {
                let json = serde_json::to_value(r).unwrap_or_default();
                let text: String = json["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["data"]["text"].as_str())
                    .collect();
                let cs = json["runProperty"]["fonts"]["cs"].as_str().map(str::to_owned);
                (text, cs)
            })
            .collect()
    }

    #[test]
    fn a_run_ends_where_the_complex_script_changes_and_names_its_font() {
        let got = scripts_of_runs("Plan ລາວ 2010, ខ្មែរ text");
        assert_eq!(
            got,
            [
                ("Plan ລາວ 2010, ".to_owned(), Some("Leelawadee UI".to_owned())),
                ("ខ្មែរ text".to_owned(), Some("Khmer UI".to_owned())),
            ]
        );
    }
}
