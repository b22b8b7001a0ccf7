use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const SDG_JSON: &str = include_str!("../../../../assets/catalog/sdg_goals.json");

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdgCatalog {
    pub goals: Vec<SdgGoal>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdgGoal {
    pub id: String,
    pub short_title: String,
    pub title: String,
    pub targets: Vec<SdgTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdgTarget {
    pub id: String,
    pub text: String,
    /// Lettered targets (e.g. 9.c) are means of implementation.
    pub means_of_implementation: bool,
}

pub fn sdg() -> &'static SdgCatalog {
    static CATALOG: OnceLock<SdgCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| match serde_json::from_str(SDG_JSON) {
        Ok(catalog) => catalog,
        Err(err) => panic!("embedded sdg_goals.json is invalid: {err}"),
    })
}

impl SdgCatalog {
    pub fn targets(&self) -> impl Iterator<Item = &SdgTarget> {
        self.goals.iter().flat_map(|goal| goal.targets.iter())
    }

    pub fn target(&self, id: &str) -> Option<&SdgTarget> {
        self.targets().find(|target| target.id.eq_ignore_ascii_case(id))
    }
}
