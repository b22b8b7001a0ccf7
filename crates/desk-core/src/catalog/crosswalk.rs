use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const CROSSWALK_JSON: &str = include_str!("../../../../assets/catalog/mdg_to_sdg.json");

/// Shown wherever SDG targets are suggested from MDG ones.
pub const CROSSWALK_NOTICE: &str = "Suggested from a reasoned MDG-to-SDG mapping, not an official \
    UN crosswalk (none exists). Keep only the SDG targets your case really serves.";

#[derive(Deserialize)]
struct Crosswalk {
    target_level: Vec<TargetRow>,
}

#[derive(Deserialize)]
struct TargetRow {
    mdg_target: String,
    sdg_targets: Vec<String>,
}

/// An SDG target suggested because the case links the MDG targets in `because_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SdgSuggestion {
    pub sdg_target: String,
    pub because_of: Vec<String>,
}

fn crosswalk() -> &'static Crosswalk {
    static CROSSWALK: OnceLock<Crosswalk> = OnceLock::new();
    CROSSWALK.get_or_init(|| match serde_json::from_str(CROSSWALK_JSON) {
        Ok(crosswalk) => crosswalk,
        Err(err) => panic!("embedded mdg_to_sdg.json is invalid: {err}"),
    })
}

/// The MDG -> SDG pairs at target level, for tests and the catalog command.
pub fn target_pairs() -> impl Iterator<Item = (&'static str, &'static str)> {
    crosswalk().target_level.iter().flat_map(|row| {
        row.sdg_targets.iter().map(move |sdg| (row.mdg_target.as_str(), sdg.as_str()))
    })
}

/// SDG targets suggested for the chosen MDG targets, in crosswalk order, without repeats.
pub fn suggest_sdg_targets<S: AsRef<str>>(mdg_targets: &[S]) -> Vec<SdgSuggestion> {
    let mut suggestions: Vec<SdgSuggestion> = Vec::new();
    for row in &crosswalk().target_level {
        if !mdg_targets.iter().any(|t| t.as_ref().eq_ignore_ascii_case(&row.mdg_target)) {
            continue;
        }
        for sdg in &row.sdg_targets {
            match suggestions.iter_mut().find(|s| &s.sdg_target == sdg) {
                Some(existing) => existing.because_of.push(row.mdg_target.clone()),
                None => suggestions.push(SdgSuggestion {
                    sdg_target: sdg.clone(),
                    because_of: vec![row.mdg_target.clone()],
                }),
            }
        }
    }
    suggestions
}
