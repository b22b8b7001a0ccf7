//! What a case still lacks before PAKS can take it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::case::{Case, CaseField};

/// One thing missing; `field` is set when the fix is to fill that section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MissingItem {
    pub field: Option<CaseField>,
    pub label: String,
    pub hint: String,
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
        .map(|field| MissingItem {
            field: Some(field),
            label: field.label().to_owned(),
            hint: format!("Write the {} section.", field.label().to_lowercase()),
        })
        .collect();
    if !case.mdg_links.iter().any(|link| !link.note.trim().is_empty()) {
        let hint = if case.mdg_links.is_empty() {
            "Link at least one MDG target and say how the case contributes to it."
        } else {
            "Say, for at least one linked MDG target, how the case contributes to it."
        };
        items.push(MissingItem {
            field: None,
            label: "MDG target with a contribution note".to_owned(),
            hint: hint.to_owned(),
        });
    }
    items
}
