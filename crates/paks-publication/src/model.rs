//! What a publication is made of, and the plain data the templates and the Word writer read.

use std::collections::BTreeMap;

use paks_protocol::{CaseDocument, Receipt};
use serde::Serialize;

/// A case as printed: its document, the files that go with it, and PAKS's receipt once PAKS
/// has it.
#[derive(Debug, Clone)]
pub struct PrintedCase {
    pub document: CaseDocument,
    pub files: Vec<PrintedFile>,
    pub receipt: Option<Receipt>,
}

/// A file of a case, listed (never embedded) in the document.
#[derive(Debug, Clone, Serialize)]
pub struct PrintedFile {
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// The proceedings of an event: the published cases, in the order they are printed.
#[derive(Debug, Clone)]
pub struct Proceedings {
    /// The event's full name, e.g. "Special Workshop on ICT Access and e-Government for
    /// Achieving the MDGs, Seoul, 18 June 2010".
    pub event: String,
    /// When the proceedings were built, as printed on the title page.
    pub built_on: String,
    pub cases: Vec<PrintedCase>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CaseView<'a> {
    pub title: &'a str,
    pub country: &'a str,
    /// An ISO 639 code Typst accepts for shaping and line breaking (`en` when the case's tag
    /// has none).
    pub language: String,
    pub facts: Vec<(&'static str, String)>,
    pub mdg_links: Vec<LinkView<'a>>,
    pub sdg_links: Vec<LinkView<'a>>,
    pub sections: Vec<(&'static str, &'a str)>,
    pub files: &'a [PrintedFile],
    pub receipt: Vec<(&'static str, String)>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LinkView<'a> {
    pub target: &'a str,
    pub indicator: Option<&'a str>,
    pub note: &'a str,
}

/// Cases listed under one goal target in an index: the target and the cases' positions.
#[derive(Debug, Serialize)]
pub(crate) struct IndexEntry {
    pub target: String,
    pub cases: Vec<usize>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProceedingsView<'a> {
    pub event: &'a str,
    pub built_on: &'a str,
    pub cases: Vec<CaseView<'a>>,
    pub mdg_index: Vec<IndexEntry>,
    pub sdg_index: Vec<IndexEntry>,
}

impl PrintedCase {
    /// Every piece of text the document shows from the case.
    pub fn all_text(&self) -> impl Iterator<Item = &str> {
        let d = &self.document;
        [d.title.as_str(), &d.country, &d.government_level, &d.stage]
            .into_iter()
            .chain(d.institutions.iter().chain(&d.partners).chain(&d.themes).map(String::as_str))
            .chain(d.text_sections().into_iter().map(|s| s.text))
            .chain(d.mdg_links.iter().map(|l| l.note.as_str()))
            .chain(d.sdg_links.iter().filter_map(|l| l.note.as_deref()))
            .chain(self.files.iter().map(|f| f.name.as_str()))
            .chain([
                d.focal_point.name.as_str(),
                &d.focal_point.title,
                &d.focal_point.institution,
                &d.focal_point.email,
            ])
    }

    pub(crate) fn view(&self) -> CaseView<'_> {
        let d = &self.document;
        let mut facts = vec![
            ("Country", d.country.clone()),
            ("Language", d.language.clone()),
            ("Government level", d.government_level.clone()),
            ("Institutions", d.institutions.join("; ")),
            ("Partners", d.partners.join("; ")),
            ("Start year", d.start_year.map(|y| y.to_string()).unwrap_or_default()),
            ("Stage", d.stage.clone()),
            ("Themes", d.themes.join("; ")),
            ("Case version", d.version.to_string()),
        ];
        let fp = &d.focal_point;
        let contact: Vec<&str> = [fp.name.as_str(), &fp.title, &fp.institution, &fp.email]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
        facts.push(("Focal point", contact.join(", ")));
        facts.retain(|(_, v)| !v.trim().is_empty());
        let receipt = self.receipt.as_ref().map_or_else(Vec::new, |r| {
            vec![
                ("Received by", r.server_name.clone()),
                ("Received at", r.received_at.clone()),
                ("Submission", r.submission_id.to_string()),
                ("Case SHA-256", grouped(&r.case_sha256)),
                ("Signing key", r.key_id.clone()),
                ("Signature", grouped(&r.signature)),
            ]
        });
        CaseView {
            title: &d.title,
            country: &d.country,
            language: iso_639(&d.language),
            facts,
            mdg_links: d
                .mdg_links
                .iter()
                .map(|l| LinkView {
                    target: &l.target,
                    indicator: l.indicator.as_deref(),
                    note: &l.note,
                })
                .collect(),
            sdg_links: d
                .sdg_links
                .iter()
                .map(|l| LinkView {
                    target: &l.target,
                    indicator: None,
                    note: l.note.as_deref().unwrap_or_default(),
                })
                .collect(),
            sections: d
                .text_sections()
                .into_iter()
                .filter(|s| !s.text.trim().is_empty())
                .map(|s| (s.heading, s.text))
                .collect(),
            files: &self.files,
            receipt,
        }
    }
}

impl Proceedings {
    pub(crate) fn view(&self) -> ProceedingsView<'_> {
        let mdg = index(self.cases.iter().map(|c| c.document.mdg_links.iter().map(|l| &*l.target)));
        let sdg = index(self.cases.iter().map(|c| c.document.sdg_links.iter().map(|l| &*l.target)));
        ProceedingsView {
            event: &self.event,
            built_on: &self.built_on,
            cases: self.cases.iter().map(PrintedCase::view).collect(),
            mdg_index: mdg,
            sdg_index: sdg,
        }
    }
}

/// The primary language subtag of a BCP 47 tag (`lo` of `lo-LA`).
fn iso_639(tag: &str) -> String {
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        primary.to_ascii_lowercase()
    } else {
        "en".to_owned()
    }
}

/// A hash or signature in groups of eight, so it wraps and can be compared by eye.
fn grouped(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(8).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// Goal targets in the frameworks' order (`2.A` before `10.A`, `9.5` before `9.c`), each with
/// the cases that name it, once each.
fn index<'a, I>(cases: impl Iterator<Item = I>) -> Vec<IndexEntry>
where
    I: Iterator<Item = &'a str>,
{
    let mut by_target: BTreeMap<(u32, u32, String), Vec<usize>> = BTreeMap::new();
    for (position, targets) in cases.enumerate() {
        for target in targets {
            let entry = by_target.entry(target_order(target)).or_default();
            if entry.last() != Some(&position) {
                entry.push(position);
            }
        }
    }
    by_target.into_iter().map(|((_, _, target), cases)| IndexEntry { target, cases }).collect()
}

fn target_order(target: &str) -> (u32, u32, String) {
    let (goal, rest) = target.split_once('.').unwrap_or((target, ""));
    let goal = goal.parse().unwrap_or(u32::MAX);
    // Numbered targets come before lettered ones, as in the SDG list.
    let rest_order = rest.parse().unwrap_or(u32::MAX);
    (goal, rest_order, target.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_follows_the_frameworks_order_and_names_each_case_once() {
        let cases = [vec!["10.A", "2.A", "2.A"], vec!["9.c", "9.5", "2.A"]];
        let entries = index(cases.iter().map(|c| c.iter().copied()));
        let got: Vec<(&str, &[usize])> =
            entries.iter().map(|e| (e.target.as_str(), e.cases.as_slice())).collect();
        assert_eq!(
            got,
            [("2.A", &[0, 1][..]), ("9.5", &[1][..]), ("9.c", &[1][..]), ("10.A", &[0][..])]
        );
    }
}
