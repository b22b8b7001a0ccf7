//! What a case still lacks before PAKS can take it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::case::{Case, CaseField};

/// What is missing, as the UI words it: a section to write, or an MDG target to link or explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MissingCode {
    /// `field` is empty.
    MissingField,
    /// No MDG target is linked.
    MdgLink,
    /// Targets are linked, but none says how the case contributes.
    MdgNote,
}

/// One thing missing; `field` is set when the fix is to fill that section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MissingItem {
    pub code: MissingCode,
    pub field: Option<CaseField>,
}

impl MissingItem {
    /// In English, for the CLI and logs.
    pub fn label(&self) -> &'static str {
        match self.field {
            Some(field) => field.label(),
            None => "MDG target with a contribution note",
        }
    }

    /// What to do, in English, for the CLI and logs.
    pub fn hint(&self) -> String {
        match (self.code, self.field) {
            (MissingCode::MissingField, Some(field)) => {
                format!("Write the {} section.", field.label().to_lowercase())
            }
            (MissingCode::MdgLink, _) | (MissingCode::MissingField, None) => {
                "Link at least one MDG target and say how the case contributes to it.".to_owned()
            }
            (MissingCode::MdgNote, _) => {
                "Say, for at least one linked MDG target, how the case contributes to it."
                    .to_owned()
            }
        }
    }
}

const REQUIRED: [CaseField; 6] = [
    CaseField::Title,
    CaseField::Country,
    CaseField::Summary,
    CaseField::Problem,
    CaseField::Solution,
    CaseField::Results,
];

pub fn missing(case: &Case) -> Vec<MissingItem> {
    let mut items: Vec<MissingItem> = REQUIRED
        .into_iter()
        .filter(|field| case.field(*field).trim().is_empty())
        .map(|field| MissingItem { code: MissingCode::MissingField, field: Some(field) })
        .collect();
    if !case.mdg_links.iter().any(|link| !link.note.trim().is_empty()) {
        let code =
            if case.mdg_links.is_empty() { MissingCode::MdgLink } else { MissingCode::MdgNote };
        items.push(MissingItem { code, field: None });
    }
    items
}
