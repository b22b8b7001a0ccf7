//! A case's links to MDG targets (down to an indicator if wanted) and SDG targets, each with a note
//! on how the case contributes.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::{self, Framework, SdgSuggestion};
use crate::error::{Error, Result};
use crate::store::Store;

use super::{Case, ensure_editable, revisions};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GoalLink {
    pub framework: Framework,
    pub target: String,
    /// An MDG indicator under the target, or `None` for the target as a whole.
    pub indicator: Option<String>,
    pub note: String,
}

/// What the UI or the CLI asks to link.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LinkInput {
    pub framework: Framework,
    pub target: String,
    pub indicator: Option<String>,
    pub note: String,
}

const NOTE_MAX_CHARS: usize = 5_000;

impl LinkInput {
    /// Checks the ids against the catalogs and returns the link in canonical spelling.
    fn validate(&self) -> Result<GoalLink> {
        let chars = self.note.chars().count();
        if chars > NOTE_MAX_CHARS {
            return Err(Error::FieldTooLong {
                field: "Contribution note",
                len: chars,
                max: NOTE_MAX_CHARS,
            });
        }
        let note = self.note.trim().to_owned();
        match self.framework {
            Framework::Mdg => {
                let mdg = catalog::mdg();
                let target = mdg
                    .target(self.target.trim())
                    .ok_or_else(|| Error::UnknownTarget(self.target.clone(), "MDG"))?;
                let indicator =
                    match self.indicator.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
                        None => None,
                        Some(wanted) => {
                            let found =
                                mdg.indicators_of(target).into_iter().find(|i| i.id == wanted);
                            let indicator = found.ok_or_else(|| Error::IndicatorNotInTarget {
                                target: target.id.clone(),
                                indicator: wanted.to_owned(),
                            })?;
                            Some(indicator.id.clone())
                        }
                    };
                Ok(GoalLink {
                    framework: Framework::Mdg,
                    target: target.id.clone(),
                    indicator,
                    note,
                })
            }
            Framework::Sdg => {
                let target = catalog::sdg()
                    .target(self.target.trim())
                    .ok_or_else(|| Error::UnknownTarget(self.target.clone(), "SDG"))?;
                if self.indicator.as_deref().is_some_and(|i| !i.trim().is_empty()) {
                    return Err(Error::InvalidValue {
                        field: "SDG link",
                        problem: "sdg_indicator",
                        reason: "SDG links are made to targets; indicators are MDG only here"
                            .into(),
                    });
                }
                Ok(GoalLink {
                    framework: Framework::Sdg,
                    target: target.id.clone(),
                    indicator: None,
                    note,
                })
            }
        }
    }
}

pub(crate) fn load(conn: &Connection, case_id: i64) -> Result<(Vec<GoalLink>, Vec<GoalLink>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT framework, target, indicator, note FROM goal_links WHERE case_id = ?1
         ORDER BY framework, created_at, target, indicator",
    )?;
    let rows = stmt.query_map([case_id], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get::<_, String>(2)?, row.get(3)?))
    })?;
    let (mut mdg, mut sdg) = (Vec::new(), Vec::new());
    for row in rows {
        let (framework, target, indicator, note) = row?;
        let framework = Framework::parse(&framework)
            .ok_or_else(|| Error::Corrupt(format!("unknown framework '{framework}'")))?;
        let link = GoalLink {
            framework,
            target,
            indicator: Some(indicator).filter(|i| !i.is_empty()),
            note,
        };
        match framework {
            Framework::Mdg => mdg.push(link),
            Framework::Sdg => sdg.push(link),
        }
    }
    Ok((mdg, sdg))
}

pub(crate) fn insert(conn: &Connection, case_id: i64, link: &GoalLink, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO goal_links (case_id, framework, target, indicator, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (case_id, framework, target, indicator) DO UPDATE SET note = excluded.note",
        params![
            case_id,
            link.framework.as_str(),
            link.target,
            link.indicator.as_deref().unwrap_or(""),
            link.note,
            now
        ],
    )?;
    Ok(())
}

impl Store {
    /// Links a case to a target (or updates the note of an existing link).
    pub fn link_goal(&self, case_id: i64, input: &LinkInput) -> Result<Case> {
        let link = input.validate()?;
        let now = self.now();
        self.write(|tx| {
            ensure_editable(tx, case_id)?;
            insert(tx, case_id, &link, now)?;
            tx.execute("UPDATE cases SET updated_at = ?1 WHERE id = ?2", params![now, case_id])?;
            revisions::record_autosave(tx, case_id, now)
        })?;
        self.case(case_id)
    }

    pub fn unlink_goal(
        &self,
        case_id: i64,
        framework: Framework,
        target: &str,
        indicator: Option<&str>,
    ) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            ensure_editable(tx, case_id)?;
            tx.execute(
                "DELETE FROM goal_links WHERE case_id = ?1 AND framework = ?2
                   AND target = ?3 COLLATE NOCASE AND indicator = ?4",
                params![case_id, framework.as_str(), target.trim(), indicator.unwrap_or("").trim()],
            )?;
            tx.execute("UPDATE cases SET updated_at = ?1 WHERE id = ?2", params![now, case_id])?;
            revisions::record_autosave(tx, case_id, now)
        })?;
        self.case(case_id)
    }

    /// SDG targets the crosswalk suggests for the case's MDG targets, minus those already linked.
    pub fn suggested_sdg_targets(&self, case_id: i64) -> Result<Vec<SdgSuggestion>> {
        let case = self.case(case_id)?;
        let mdg_targets: Vec<&str> = case.mdg_links.iter().map(|l| l.target.as_str()).collect();
        Ok(catalog::suggest_sdg_targets(&mdg_targets)
            .into_iter()
            .filter(|s| {
                !case.sdg_links.iter().any(|l| l.target.eq_ignore_ascii_case(&s.sdg_target))
            })
            .collect())
    }
}
