//! The goal frameworks and the country list, embedded from `assets/catalog` (sources in
//! `assets/catalog/SOURCES.md`). Parsed once, on first use.

mod countries;
mod crosswalk;
mod mdg;
mod sdg;

pub use countries::{Country, countries, country};
pub use crosswalk::{CROSSWALK_NOTICE, SdgSuggestion, suggest_sdg_targets, target_pairs};
pub use mdg::{MdgCatalog, MdgGoal, MdgIndicator, MdgTarget, mdg};
pub use sdg::{SdgCatalog, SdgGoal, SdgTarget, sdg};

/// Which framework a goal link refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Framework {
    Mdg,
    Sdg,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Mdg => "mdg",
            Framework::Sdg => "sdg",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Framework::Mdg => "MDG",
            Framework::Sdg => "SDG",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mdg" => Some(Framework::Mdg),
            "sdg" => Some(Framework::Sdg),
            _ => None,
        }
    }
}
