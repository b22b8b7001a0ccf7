//! Cases: the case study a focal point writes, one row per version.

mod field;
mod links;
mod revisions;
mod status;

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use field::{CaseField, FieldLimits, GOVERNMENT_LEVELS, LANGUAGES, STAGES, word_count};
pub use links::{GoalLink, LinkInput};
pub use revisions::{Revision, RevisionKind, Snapshot};
pub use status::CaseStatus;

use crate::completeness::{self, MissingItem};
use crate::error::{Error, Result};
use crate::store::Store;

/// One version of a case study, with its goal links.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Case {
    pub id: i64,
    /// Stable across versions; PAKS knows the case by it.
    pub uid: String,
    pub version: i64,
    /// The PAKS submission this version revises, if any.
    pub follows_submission: Option<String>,
    pub status: CaseStatus,
    pub submission_id: Option<String>,
    pub review_comment: String,
    pub fields: BTreeMap<CaseField, String>,
    pub mdg_links: Vec<GoalLink>,
    pub sdg_links: Vec<GoalLink>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A line of the case list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseSummary {
    pub id: i64,
    pub uid: String,
    pub version: i64,
    pub title: String,
    pub country: String,
    pub status: CaseStatus,
    pub updated_at: i64,
}

/// What the store acknowledges after a field is saved.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SavedField {
    pub case_id: i64,
    pub field: CaseField,
    pub words: u32,
    pub chars: u32,
    /// Set when the text is longer than the advisory limit (it is saved all the same).
    pub advisory_exceeded: bool,
    pub updated_at: i64,
}

impl Case {
    pub fn field(&self, field: CaseField) -> &str {
        self.fields.get(&field).map(String::as_str).unwrap_or("")
    }

    pub fn missing(&self) -> Vec<MissingItem> {
        completeness::missing(self)
    }
}

const META_COLUMNS: &str = "id, uid, version, follows_submission, status, submission_id, \
                            review_comment, created_at, updated_at";

fn field_columns() -> String {
    CaseField::ALL.iter().map(|f| f.column()).collect::<Vec<_>>().join(", ")
}

fn case_from_row(row: &Row<'_>) -> rusqlite::Result<(Case, String)> {
    let mut fields = BTreeMap::new();
    for (offset, field) in CaseField::ALL.iter().enumerate() {
        fields.insert(*field, row.get::<_, String>(9 + offset)?);
    }
    let status: String = row.get(4)?;
    Ok((
        Case {
            id: row.get(0)?,
            uid: row.get(1)?,
            version: row.get(2)?,
            follows_submission: row.get(3)?,
            status: CaseStatus::Draft,
            submission_id: row.get(5)?,
            review_comment: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
            fields,
            mdg_links: Vec::new(),
            sdg_links: Vec::new(),
        },
        status,
    ))
}

pub(crate) fn load(conn: &Connection, id: i64) -> Result<Case> {
    let sql = format!("SELECT {META_COLUMNS}, {} FROM cases WHERE id = ?1", field_columns());
    let found = conn.query_row(&sql, [id], case_from_row).optional()?;
    let (mut case, status) = found.ok_or(Error::CaseNotFound(id))?;
    case.status = CaseStatus::parse(&status)?;
    let (mdg, sdg) = links::load(conn, id)?;
    case.mdg_links = mdg;
    case.sdg_links = sdg;
    Ok(case)
}

fn status_of(conn: &Connection, id: i64) -> Result<CaseStatus> {
    let status: Option<String> =
        conn.query_row("SELECT status FROM cases WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    CaseStatus::parse(&status.ok_or(Error::CaseNotFound(id))?)
}

pub(crate) fn ensure_editable(conn: &Connection, id: i64) -> Result<()> {
    let status = status_of(conn, id)?;
    if status.is_editable() { Ok(()) } else { Err(Error::CaseLocked { status: status.label() }) }
}

/// The size of a case's text, for revision lists.
pub(crate) fn text_chars(case: &Case) -> i64 {
    let fields: usize = case.fields.values().map(|v| v.chars().count()).sum();
    let notes: usize =
        case.mdg_links.iter().chain(&case.sdg_links).map(|l| l.note.chars().count()).sum();
    (fields + notes) as i64
}

/// Filters for the case list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseFilter {
    pub country: Option<String>,
    pub status: Option<CaseStatus>,
    /// An MDG goal ("8") or target ("8.F").
    pub mdg: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl CaseFilter {
    /// The filter as FTS5 tokens of the search index (`search::facet_query`); `None` when it
    /// keeps every case.
    pub(crate) fn facet_query(&self) -> Option<String> {
        let status = self.status.map(|s| s.as_str().replace('_', ""));
        let tokens: Vec<(&str, &str)> = [
            ("fc", self.country.as_deref()),
            ("fs", status.as_deref()),
            ("fm", self.mdg.as_deref()),
        ]
        .into_iter()
        .filter_map(|(prefix, value)| Some((prefix, value.filter(|v| !v.trim().is_empty())?)))
        .collect();
        crate::search::facet_query(&tokens)
    }

    /// Appends ` AND ...` conditions on the cases table aliased `c`: the newest version of each
    /// case, then this filter's country, status and MDG goal or target. Arguments are numbered
    /// after those already in `args`.
    pub(crate) fn push_conditions(&self, sql: &mut String, args: &mut Vec<String>) {
        sql.push_str(" AND c.version = (SELECT max(version) FROM cases v WHERE v.uid = c.uid)");
        if let Some(country) = self.country.as_deref().filter(|c| !c.is_empty()) {
            args.push(country.to_ascii_uppercase());
            sql.push_str(&format!(" AND c.country = ?{}", args.len()));
        }
        if let Some(status) = self.status {
            args.push(status.as_str().to_owned());
            sql.push_str(&format!(" AND c.status = ?{}", args.len()));
        }
        if let Some(mdg) = self.mdg.as_deref().filter(|m| !m.is_empty()) {
            let mdg = mdg.to_ascii_uppercase();
            args.push(mdg.clone());
            let n = args.len();
            args.push(format!("{mdg}.%"));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM goal_links g WHERE g.case_id = c.id
                   AND g.framework = 'mdg' AND (g.target = ?{n} OR g.target LIKE ?{}))",
                n + 1
            ));
        }
    }
}

impl Store {
    /// Creates a draft, with its first revision.
    pub fn create_case(&self, title: &str, country: Option<&str>) -> Result<Case> {
        let title = CaseField::Title.normalize(title)?;
        let country = CaseField::Country.normalize(country.unwrap_or(""))?;
        let now = self.now();
        let uid = uuid::Uuid::new_v4().to_string();
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO cases (uid, title, country, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![uid, title, country, now],
            )?;
            let id = tx.last_insert_rowid();
            crate::search::index_case_fields(tx, &load(tx, id)?)?;
            revisions::record_autosave(tx, id, now)?;
            Ok(id)
        })?;
        self.case(id)
    }

    pub fn case(&self, id: i64) -> Result<Case> {
        self.read(|conn| load(conn, id))
    }

    /// Saves one field in one transaction; this is what autosave calls on every pause in typing.
    pub fn set_field(&self, id: i64, field: CaseField, value: &str) -> Result<SavedField> {
        let value = field.normalize(value)?;
        let now = self.now();
        self.write(|tx| {
            ensure_editable(tx, id)?;
            let sql =
                format!("UPDATE cases SET {} = ?1, updated_at = ?2 WHERE id = ?3", field.column());
            tx.execute(&sql, params![value, now, id])?;
            crate::search::index_field(tx, id, field, &value)?;
            revisions::record_autosave(tx, id, now)?;
            Ok(())
        })?;
        let words = word_count(&value);
        let chars = value.chars().count() as u32;
        let limits = field.limits();
        let advisory_exceeded = limits.advisory_words.is_some_and(|max| words > max)
            || limits.advisory_chars.is_some_and(|max| chars > max);
        Ok(SavedField { case_id: id, field, words, chars, advisory_exceeded, updated_at: now })
    }

    /// The newest version of each case, most recently edited first.
    pub fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let mut sql = String::from(
            "SELECT c.id, c.uid, c.version, c.title, c.country, c.status, c.updated_at
             FROM cases c WHERE 1",
        );
        let mut args: Vec<String> = Vec::new();
        filter.push_conditions(&mut sql, &mut args);
        sql.push_str(&format!(
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT {} OFFSET {}",
            filter.limit.unwrap_or(200),
            filter.offset.unwrap_or(0)
        ));
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |row| {
                Ok((
                    CaseSummary {
                        id: row.get(0)?,
                        uid: row.get(1)?,
                        version: row.get(2)?,
                        title: row.get(3)?,
                        country: row.get(4)?,
                        status: CaseStatus::Draft,
                        updated_at: row.get(6)?,
                    },
                    row.get::<_, String>(5)?,
                ))
            })?;
            rows.map(|row| {
                let (mut summary, status) = row?;
                summary.status = CaseStatus::parse(&status)?;
                Ok(summary)
            })
            .collect()
        })
    }

    /// Moves a case along its lifecycle. Queuing refuses an incomplete case and names what is
    /// missing.
    pub fn set_status(&self, id: i64, next: CaseStatus) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            let case = load(tx, id)?;
            case.status.check_transition(next)?;
            if next == CaseStatus::Queued {
                let missing = case.missing();
                if !missing.is_empty() {
                    return Err(Error::Incomplete(missing));
                }
                revisions::record(tx, &case, RevisionKind::Checkpoint, "Queued for PAKS", now)?;
            }
            tx.execute(
                "UPDATE cases SET status = ?1, updated_at = ?2 WHERE id = ?3",
                params![next.as_str(), now, id],
            )?;
            Ok(())
        })?;
        self.case(id)
    }

    /// Records what PAKS said about a sent case (submission id, review state, comment).
    pub fn record_submission(&self, id: i64, submission_id: &str) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            status_of(tx, id)?.check_transition(CaseStatus::Submitted)?;
            tx.execute(
                "UPDATE cases SET status = 'submitted', submission_id = ?1, updated_at = ?2
                 WHERE id = ?3",
                params![submission_id, now, id],
            )?;
            Ok(())
        })?;
        self.case(id)
    }

    pub fn record_review(&self, id: i64, next: CaseStatus, comment: &str) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            let current = status_of(tx, id)?;
            if current != next {
                current.check_transition(next)?;
            }
            tx.execute(
                "UPDATE cases SET status = ?1, review_comment = ?2, updated_at = ?3 WHERE id = ?4",
                params![next.as_str(), comment, now, id],
            )?;
            Ok(())
        })?;
        self.case(id)
    }

    /// Starts a new editable version of a sent case; returns the existing one if already started.
    pub fn new_version(&self, id: i64) -> Result<Case> {
        let now = self.now();
        let new_id = self.write(|tx| {
            let case = load(tx, id)?;
            let newer: Option<i64> = tx
                .query_row(
                    "SELECT id FROM cases WHERE uid = ?1 AND version > ?2 ORDER BY version DESC",
                    params![case.uid, case.version],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(newer) = newer {
                return Ok(newer);
            }
            if !case.status.is_sent() {
                return Err(Error::InvalidTransition {
                    from: case.status.label(),
                    to: "a new version",
                });
            }
            let columns = field_columns();
            tx.execute(
                &format!(
                    "INSERT INTO cases (uid, version, follows_submission, {columns}, created_at, updated_at)
                     SELECT uid, version + 1, submission_id, {columns}, ?2, ?2 FROM cases WHERE id = ?1"
                ),
                params![id, now],
            )?;
            let new_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO goal_links (case_id, framework, target, indicator, note, created_at)
                 SELECT ?2, framework, target, indicator, note, created_at FROM goal_links
                 WHERE case_id = ?1",
                params![id, new_id],
            )?;
            crate::attachment::carry_over(tx, id, new_id)?;
            crate::search::index_case_fields(tx, &load(tx, new_id)?)?;
            revisions::record_autosave(tx, new_id, now)?;
            Ok(new_id)
        })?;
        self.case(new_id)
    }

    /// A draft whose version PAKS already holds with other content (a bag carried by hand before
    /// later edits) becomes the next version, replacing that submission: the edits are kept and
    /// go to PAKS as a new version instead of being refused.
    pub fn follow_carried_version(&self, id: i64, submission_id: &str) -> Result<Case> {
        let now = self.now();
        self.write(|tx| {
            let case = load(tx, id)?;
            if case.status != CaseStatus::Draft {
                return Err(Error::InvalidTransition {
                    from: case.status.label(),
                    to: "a new version",
                });
            }
            let newer: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM cases WHERE uid = ?1 AND version > ?2)",
                params![case.uid, case.version],
                |r| r.get(0),
            )?;
            if newer {
                return Err(Error::InvalidTransition { from: "an older version", to: "the next" });
            }
            let label = format!("Version {} reached PAKS by hand", case.version);
            revisions::record(tx, &case, RevisionKind::Checkpoint, &label, now)?;
            tx.execute(
                "UPDATE cases SET version = version + 1, follows_submission = ?1, updated_at = ?2
                 WHERE id = ?3",
                params![submission_id, now, id],
            )?;
            Ok(())
        })?;
        self.case(id)
    }

    /// Deletes a draft that was never sent (and its links and revisions).
    pub fn delete_draft(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            ensure_editable(tx, id)?;
            tx.execute("DELETE FROM cases WHERE id = ?1", [id])?;
            Ok(())
        })
    }
}
