//! Full-text search over case fields and attachment text (SQLite FTS5): a word index for
//! spaced scripts, a trigram index and bigrams for scripts written without spaces.

mod index;
mod query;
mod script;
mod snippet;

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub(crate) use index::{index_case_fields, index_field, index_units};
pub use script::{bigrams, has_unspaced};
pub use snippet::SnippetSegment;

use crate::case::{CaseField, CaseFilter, CaseStatus};
use crate::error::Result;
use crate::store::Store;
use query::Parsed;

const DEFAULT_LIMIT: u32 = 50;
/// FTS5 `snippet()` length in tokens (its maximum is 64).
const SNIPPET_TOKENS: u32 = 24;

/// Where in a case a hit is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum HitPlace {
    /// A section of the case study.
    Field { field: CaseField, label: String },
    /// A page, slide or sheet of an attached file.
    File { sha256: String, name: String, unit_label: String, unit: u32 },
}

impl HitPlace {
    /// "Summary", "deck.pptx, slide 7".
    pub fn describe(&self) -> String {
        match self {
            HitPlace::Field { label, .. } => label.clone(),
            HitPlace::File { name, unit_label, unit, .. } => format!("{name}, {unit_label} {unit}"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub case_id: i64,
    pub case_uid: String,
    pub case_title: String,
    pub country: String,
    pub status: CaseStatus,
    pub place: HitPlace,
    pub snippet: Vec<SnippetSegment>,
    /// FTS5 bm25 rank: lower is better.
    pub score: f64,
}

struct Row {
    text_id: i64,
    score: f64,
    case_id: i64,
    case_uid: String,
    case_title: String,
    country: String,
    status: String,
    field: Option<String>,
    sha256: Option<String>,
    name: Option<String>,
    unit: Option<u32>,
    unit_label: Option<String>,
}

impl Store {
    /// Ranked hits in the newest version of each case, filtered by country, MDG goal or target,
    /// and status (`filter.limit`, default 50, and `filter.offset` page through them). Any input
    /// is safe: FTS5 syntax is searched as text.
    pub fn search(&self, text: &str, filter: &CaseFilter) -> Result<Vec<SearchHit>> {
        let parsed = Parsed::parse(text);
        if parsed.is_empty() {
            return Ok(Vec::new());
        }
        if self.read(index::has_pending_grams)? {
            self.write(|tx| index::fill_pending_grams(tx))?;
        }
        self.read(|conn| run(conn, &parsed, filter))
    }
}

fn run(conn: &Connection, parsed: &Parsed, filter: &CaseFilter) -> Result<Vec<SearchHit>> {
    let words = parsed.words_query();
    let trigram = parsed.trigram_query();
    let mut args: Vec<String> = Vec::new();
    let (table, mut sql) = match (&words, &trigram) {
        (Some(words), trigram) => {
            args.push(words.clone());
            let mut sql = String::from("search_words MATCH ?1");
            if let Some(trigram) = trigram {
                args.push(trigram.clone());
                sql.push_str(
                    " AND search_words.rowid IN
                       (SELECT rowid FROM search_trigram WHERE search_trigram MATCH ?2)",
                );
            }
            ("search_words", sql)
        }
        (None, Some(trigram)) => {
            args.push(trigram.clone());
            ("search_trigram", String::from("search_trigram MATCH ?1"))
        }
        (None, None) => return Ok(Vec::new()),
    };
    filter.push_conditions(&mut sql, &mut args);
    let sql = format!(
        "SELECT {table}.rowid, {table}.rank, c.id, c.uid, c.title, c.country, c.status,
                t.field, t.sha256, a.name, t.unit, t.unit_label
         FROM {table}
         JOIN search_text t ON t.id = {table}.rowid
         LEFT JOIN attachments a ON a.sha256 = t.sha256
         JOIN cases c ON c.id = coalesce(t.case_id, a.case_id)
         WHERE {sql}
         ORDER BY {table}.rank, {table}.rowid, c.id
         LIMIT {} OFFSET {}",
        filter.limit.unwrap_or(DEFAULT_LIMIT),
        filter.offset.unwrap_or(0)
    );
    let rows: Vec<Row> = {
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok(Row {
                text_id: r.get(0)?,
                score: r.get(1)?,
                case_id: r.get(2)?,
                case_uid: r.get(3)?,
                case_title: r.get(4)?,
                country: r.get(5)?,
                status: r.get(6)?,
                field: r.get(7)?,
                sha256: r.get(8)?,
                name: r.get(9)?,
                unit: r.get(10)?,
                unit_label: r.get(11)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };

    let unspaced = parsed.unspaced_terms();
    let mut snippets: HashMap<i64, Vec<SnippetSegment>> = HashMap::new();
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let snippet = match snippets.get(&row.text_id) {
            Some(s) => s.clone(),
            None => {
                let s = match &words {
                    Some(words) if !parsed.words.is_empty() => {
                        word_snippet(conn, words, row.text_id, &unspaced)?
                    }
                    _ => text_snippet(conn, row.text_id, &unspaced)?,
                };
                snippets.insert(row.text_id, s.clone());
                s
            }
        };
        let place = match (row.field, row.sha256) {
            (Some(field), _) => {
                let field = CaseField::parse(&field)?;
                HitPlace::Field { field, label: field.label().to_owned() }
            }
            (None, Some(sha256)) => HitPlace::File {
                sha256,
                name: row.name.unwrap_or_default(),
                unit_label: row.unit_label.unwrap_or_default(),
                unit: row.unit.unwrap_or(0),
            },
            (None, None) => {
                return Err(crate::Error::Corrupt("a search row belongs to nothing".into()));
            }
        };
        hits.push(SearchHit {
            case_id: row.case_id,
            case_uid: row.case_uid,
            case_title: row.case_title,
            country: row.country,
            status: CaseStatus::parse(&row.status)?,
            place,
            snippet,
            score: row.score,
        });
    }
    Ok(hits)
}

fn word_snippet(
    conn: &Connection,
    query: &str,
    text_id: i64,
    unspaced: &[&str],
) -> Result<Vec<SnippetSegment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT snippet(search_words, 0, ?1, ?2, '…', {SNIPPET_TOKENS})
         FROM search_words WHERE search_words MATCH ?3 AND rowid = ?4"
    ))?;
    let marked: Option<String> = stmt
        .query_row(
            rusqlite::params![
                snippet::HIT_START.to_string(),
                snippet::HIT_END.to_string(),
                query,
                text_id
            ],
            |r| r.get(0),
        )
        .optional()?;
    Ok(snippet::from_marked(&marked.unwrap_or_default(), unspaced))
}

fn text_snippet(conn: &Connection, text_id: i64, terms: &[&str]) -> Result<Vec<SnippetSegment>> {
    let text: String =
        conn.query_row("SELECT text FROM search_text WHERE id = ?1", [text_id], |r| r.get(0))?;
    Ok(snippet::around(&text, terms))
}
