use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const MDG_JSON: &str = include_str!("../../../../assets/catalog/mdg.json");

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MdgCatalog {
    /// The date the framework took effect, "2008-01-15".
    pub revision: String,
    pub goals: Vec<MdgGoal>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MdgGoal {
    pub id: String,
    pub title: String,
    pub targets: Vec<MdgTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MdgTarget {
    pub id: String,
    pub text: String,
    /// Indicators listed under this target in the official list.
    pub indicators: Vec<MdgIndicator>,
    /// Indicators listed once under a sibling target but serving this one jointly (7.B, 8.B-8.D).
    #[serde(default)]
    pub shared_indicator_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MdgIndicator {
    pub id: String,
    pub text: String,
}

pub fn mdg() -> &'static MdgCatalog {
    static CATALOG: OnceLock<MdgCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| match serde_json::from_str(MDG_JSON) {
        Ok(catalog) => catalog,
        // The file is embedded at build time and checked by tests; failing here is a build defect.
        Err(err) => panic!("embedded mdg.json is invalid: {err}"),
    })
}

impl MdgCatalog {
    pub fn targets(&self) -> impl Iterator<Item = &MdgTarget> {
        self.goals.iter().flat_map(|goal| goal.targets.iter())
    }

    pub fn indicators(&self) -> impl Iterator<Item = &MdgIndicator> {
        self.targets().flat_map(|target| target.indicators.iter())
    }

    pub fn target(&self, id: &str) -> Option<&MdgTarget> {
        self.targets().find(|target| target.id.eq_ignore_ascii_case(id))
    }

    pub fn indicator(&self, id: &str) -> Option<&MdgIndicator> {
        self.indicators().find(|indicator| indicator.id == id)
    }

    /// Every indicator linkable from `target`: its own and the ones it shares.
    pub fn indicators_of<'a>(&'a self, target: &'a MdgTarget) -> Vec<&'a MdgIndicator> {
        let shared = target.shared_indicator_ids.iter().filter_map(|id| self.indicator(id));
        target.indicators.iter().chain(shared).collect()
    }
}
