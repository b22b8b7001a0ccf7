//! Revisions: meaningful states of a case. Autosaves within a few minutes of each other
//! coalesce into one revision; a checkpoint closes it. Restoring first keeps the current state.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::store::Store;

use super::{Case, CaseField, GoalLink, ensure_editable, links, load, text_chars};

/// Edits closer together than this belong to the same revision.
pub const COALESCE_WINDOW_MILLIS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RevisionKind {
    Autosave,
    Checkpoint,
    BeforeRestore,
    Restored,
}

impl RevisionKind {
    fn as_str(self) -> &'static str {
        match self {
            RevisionKind::Autosave => "autosave",
            RevisionKind::Checkpoint => "checkpoint",
            RevisionKind::BeforeRestore => "before_restore",
            RevisionKind::Restored => "restored",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "autosave" => Ok(RevisionKind::Autosave),
            "checkpoint" => Ok(RevisionKind::Checkpoint),
            "before_restore" => Ok(RevisionKind::BeforeRestore),
            "restored" => Ok(RevisionKind::Restored),
            other => Err(Error::Corrupt(format!("unknown revision kind '{other}'"))),
        }
    }
}

/// The content of a case at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Snapshot {
    pub fields: BTreeMap<CaseField, String>,
    pub links: Vec<GoalLink>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Revision {
    pub id: i64,
    pub case_id: i64,
    pub kind: RevisionKind,
    pub label: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Characters of text in this state.
    pub chars: i64,
    /// Characters added (positive) or removed (negative) since the revision before.
    pub chars_delta: i64,
    /// Sections whose text differs from the revision before.
    pub changed_fields: Vec<CaseField>,
}

fn snapshot_of(case: &Case) -> Snapshot {
    Snapshot {
        fields: case.fields.clone(),
        links: case.mdg_links.iter().chain(&case.sdg_links).cloned().collect(),
    }
}

pub(crate) fn record(
    conn: &Connection,
    case: &Case,
    kind: RevisionKind,
    label: &str,
    now: i64,
) -> Result<i64> {
    let snapshot = serde_json::to_string(&snapshot_of(case))?;
    conn.execute(
        "INSERT INTO revisions (case_id, kind, label, snapshot, chars, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![case.id, kind.as_str(), label, snapshot, text_chars(case), now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Folds the case's current state into the open autosave revision, or opens a new one.
pub(crate) fn record_autosave(conn: &Connection, case_id: i64, now: i64) -> Result<()> {
    let case = load(conn, case_id)?;
    let open: Option<(i64, String, i64)> = conn
        .query_row(
            "SELECT id, kind, created_at FROM revisions WHERE case_id = ?1 ORDER BY id DESC LIMIT 1",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match open {
        Some((id, kind, created_at))
            if kind == "autosave" && now - created_at < COALESCE_WINDOW_MILLIS =>
        {
            let snapshot = serde_json::to_string(&snapshot_of(&case))?;
            conn.execute(
                "UPDATE revisions SET snapshot = ?1, chars = ?2, updated_at = ?3 WHERE id = ?4",
                params![snapshot, text_chars(&case), now, id],
            )?;
        }
        _ => {
            record(conn, &case, RevisionKind::Autosave, "", now)?;
        }
    }
    Ok(())
}

fn load_snapshot(conn: &Connection, case_id: i64, revision_id: i64) -> Result<Snapshot> {
    let text: Option<String> = conn
        .query_row(
            "SELECT snapshot FROM revisions WHERE id = ?1 AND case_id = ?2",
            params![revision_id, case_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(serde_json::from_str(&text.ok_or(Error::RevisionNotFound(revision_id))?)?)
}

impl Store {
    /// The revisions of a case, newest first.
    pub fn revisions(&self, case_id: i64) -> Result<Vec<Revision>> {
        self.read(|conn| {
            load(conn, case_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT id, kind, label, snapshot, chars, created_at, updated_at FROM revisions
                 WHERE case_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([case_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?;
            let mut list = Vec::new();
            let mut previous: Option<(Snapshot, i64)> = None;
            for row in rows {
                let (id, kind, label, snapshot, chars, created_at, updated_at) = row?;
                let snapshot: Snapshot = serde_json::from_str(&snapshot)?;
                let (changed_fields, chars_delta) = match &previous {
                    Some((before, before_chars)) => (
                        CaseField::ALL
                            .into_iter()
                            .filter(|f| before.fields.get(f) != snapshot.fields.get(f))
                            .collect(),
                        chars - before_chars,
                    ),
                    None => (
                        CaseField::ALL
                            .into_iter()
                            .filter(|f| snapshot.fields.get(f).is_some_and(|v| !v.is_empty()))
                            .collect(),
                        chars,
                    ),
                };
                list.push(Revision {
                    id,
                    case_id,
                    kind: RevisionKind::parse(&kind)?,
                    label,
                    created_at,
                    updated_at,
                    chars,
                    chars_delta,
                    changed_fields,
                });
                previous = Some((snapshot, chars));
            }
            list.reverse();
            Ok(list)
        })
    }

    pub fn revision_snapshot(&self, case_id: i64, revision_id: i64) -> Result<Snapshot> {
        self.read(|conn| load_snapshot(conn, case_id, revision_id))
    }

    /// Closes the open revision with a label, so the next edit starts a new one.
    pub fn checkpoint(&self, case_id: i64, label: &str) -> Result<()> {
        let now = self.now();
        self.write(|tx| {
            let case = load(tx, case_id)?;
            record(tx, &case, RevisionKind::Checkpoint, label, now)?;
            Ok(())
        })
    }

    /// Brings a draft back to a revision's state, keeping the current state as a revision first.
    pub fn restore_revision(&self, case_id: i64, revision_id: i64) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            ensure_editable(tx, case_id)?;
            let snapshot = load_snapshot(tx, case_id, revision_id)?;
            let current = load(tx, case_id)?;
            record(tx, &current, RevisionKind::BeforeRestore, "Before restoring", now)?;
            for field in CaseField::ALL {
                let value = snapshot.fields.get(&field).map(String::as_str).unwrap_or("");
                let sql = format!("UPDATE cases SET {} = ?1 WHERE id = ?2", field.column());
                tx.execute(&sql, params![value, case_id])?;
            }
            tx.execute("DELETE FROM goal_links WHERE case_id = ?1", [case_id])?;
            for link in &snapshot.links {
                links::insert(tx, case_id, link, now)?;
            }
            tx.execute("UPDATE cases SET updated_at = ?1 WHERE id = ?2", params![now, case_id])?;
            let restored = load(tx, case_id)?;
            crate::search::index_case_fields(tx, &restored)?;
            let label = format!("Restored revision {revision_id}");
            record(tx, &restored, RevisionKind::Restored, &label, now)?;
            Ok(())
        })?;
        self.case(case_id)
    }
}
