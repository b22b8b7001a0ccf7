//! Full-text search over case fields and attachment text (SQLite FTS5): a word index for
//! spaced scripts, a trigram index and bigrams for scripts written without spaces.

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod index;
mod library;
mod query;
mod script;
mod snippet;

use std::collections::HashMap;

use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub(crate) use index::{index_case_fields, index_field, index_units, refresh_stale_facets};
pub use library::{LibraryFilter, LibraryHit, LikeCase};
pub use script::{bigrams, has_unspaced};
pub use snippet::SnippetSegment;

use crate::case::{CaseField, CaseFilter, CaseStatus};
use crate::error::Result;
use crate::store::Store;
pub(crate) use query::Parsed;

pub(crate) const DEFAULT_LIMIT: u32 = 50;

/// Where in a case a hit is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum HitPlace {
    /// A section of the case study.
    Field { field: CaseField },
    /// A page, slide or sheet of an attached file; `scan` when OCR read that page.
    File { sha256: String, name: String, unit_label: String, unit: u32, scan: Option<ScanReading> },
}

/// A page whose text OCR read from a scanned image: its words may be misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScanReading {
    /// OCR's mean word confidence on the page, 0–100.
    pub confidence: Option<u8>,
}

impl HitPlace {
    /// "Summary", "deck.pptx, slide 7".
    pub fn describe(&self) -> String {
        match self {
            HitPlace::Field { field } => field.label().to_owned(),
            HitPlace::File { name, unit_label, unit, scan: None, .. } => {
                format!("{name}, {unit_label} {unit}")
            }
            HitPlace::File { name, unit_label, unit, scan: Some(_), .. } => {
                format!("{name}, {unit_label} {unit}, read from the scan")
            }
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
    text: String,
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
    engine: Option<String>,
    confidence: Option<u8>,
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

/// A query matching more rows than this ranks only the newest this many of them (row ids follow
/// when text was first indexed). bm25 costs about a microsecond per matching row, so a word that
/// is on most pages of a large store would otherwise cost a hundred milliseconds and more.
pub(crate) const RANK_WINDOW: usize = 2_000;

/// A word index and a trigram index over the same text, with the same tokenizers.
#[derive(Clone, Copy)]
pub(crate) struct FtsTables {
    words: &'static str,
    trigram: &'static str,
    /// bm25 over the word index: the filter tokens' column (migration 0006) weighs nothing, so
    /// a row scores the same filtered or not.
    words_rank: &'static str,
}

impl FtsTables {
    /// The user's own cases and their files (migrations 0002 and 0006).
    pub(crate) const OWN: Self = Self {
        words: "search_words",
        trigram: "search_trigram",
        words_rank: "bm25(search_words, 1.0, 1.0, 0.0)",
    };
    /// The library's published cases (migrations 0004 and 0006).
    pub(crate) const LIBRARY: Self = Self {
        words: "library_words",
        trigram: "library_trigram",
        words_rank: "bm25(library_words, 1.0, 1.0, 0.0)",
    };
}

/// An FTS5 query for filter tokens (migration 0006): `fc` and a country, `fs` and a status,
/// `fm`/`fg` and an MDG/SDG goal or target with its dot as `x` ("8.F" is `fm8xf`).
pub(crate) fn facet_query(tokens: &[(&str, &str)]) -> Option<String> {
    let terms: Vec<String> = tokens
        .iter()
        .map(|(prefix, value)| {
            let token = format!("{prefix}{}", value.trim().to_lowercase().replace('.', "x"));
            format!("facets : {}", query::quote(&token))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The FTS5 table a query goes to, and its MATCH condition with arguments.
pub(crate) struct FtsQuery {
    table: &'static str,
    rank: String,
    condition: String,
    args: Vec<String>,
}

impl FtsQuery {
    /// The query for `parsed`, narrowed to the rows carrying the filter tokens `facets` (see
    /// [`facet_query`]) when given.
    pub(crate) fn of(parsed: &Parsed, tables: FtsTables, facets: Option<&str>) -> Option<Self> {
        let FtsTables { words: w, trigram: t, words_rank } = tables;
        match (parsed.words_query(), parsed.trigram_query()) {
            (Some(words), trigram) => {
                let mut condition = format!("{w} MATCH ?1");
                let mut args = vec![match facets {
                    Some(facets) => format!("{words} AND {facets}"),
                    None => words,
                }];
                if let Some(trigram) = trigram {
                    args.push(trigram);
                    condition.push_str(&format!(
                        " AND {w}.rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH ?2)"
                    ));
                }
                Some(Self { table: w, rank: words_rank.to_owned(), condition, args })
            }
            (None, Some(trigram)) => {
                let mut condition = format!("{t} MATCH ?1");
                let mut args = vec![trigram];
                if let Some(facets) = facets {
                    // The trigram index holds no tokens: the rows carrying them come from the
                    // word index (a short doclist), and the trigram matches are tested against it.
                    args.push(facets.to_owned());
                    condition.push_str(&format!(
                        " AND +{t}.rowid IN (SELECT rowid FROM {w} WHERE {w} MATCH ?2)"
                    ));
                }
                Some(Self { table: t, rank: format!("bm25({t})"), condition, args })
            }
            (None, None) => None,
        }
    }

    /// A query on the word index alone, as given (already in FTS5 syntax, every term quoted).
    pub(crate) fn words(tables: FtsTables, query: String) -> Self {
        let w = tables.words;
        Self {
            table: w,
            rank: tables.words_rank.to_owned(),
            condition: format!("{w} MATCH ?1"),
            args: vec![query],
        }
    }

    /// This query over the rows of the cases `filter` keeps (their fields and their files' pages).
    /// The unary `+` keeps SQLite from handing the row ids to FTS5 as lookups, one MATCH each
    /// (a second per thousand rows): the matches are scanned once and tested against the set.
    fn within(&self, filter: &CaseFilter) -> Self {
        let mut args = self.args.clone();
        let mut kept = String::from("1");
        filter.push_conditions(&mut kept, &mut args);
        let condition = format!(
            "{c} AND +{t}.rowid IN (
                 SELECT t.id FROM cases c JOIN search_text t ON t.case_id = c.id WHERE {kept}
                 UNION ALL
                 SELECT t.id FROM cases c JOIN attachments a ON a.case_id = c.id
                     JOIN search_text t ON t.sha256 = a.sha256 WHERE {kept})",
            c = self.condition,
            t = self.table,
        );
        Self { table: self.table, rank: self.rank.clone(), condition, args }
    }

    /// The bm25 score of each matching row, newest first, at most `most` rows: one pass of
    /// FTS5 over the newest matches only (the scores are sorted here, not by SQLite).
    pub(crate) fn scores(&self, conn: &Connection, most: Option<usize>) -> Result<Vec<(i64, f64)>> {
        let limit = most.map_or(-1, |n| i64::try_from(n).unwrap_or(-1));
        let sql = format!(
            "SELECT rowid, {r} FROM {t} WHERE {c} ORDER BY rowid DESC LIMIT {limit}",
            r = self.rank,
            t = self.table,
            c = self.condition,
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let scores = stmt
            .query_map(params_from_iter(self.args.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(scores)
    }
}

/// Best first; equal scores newest first, so paging is stable.
pub(crate) fn by_rank(scores: &mut [(i64, f64)]) {
    scores.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
}

fn run(conn: &Connection, parsed: &Parsed, filter: &CaseFilter) -> Result<Vec<SearchHit>> {
    // A filter narrows the FTS5 query itself (its tokens, migration 0006), so the newest
    // matches ranked are those of the cases it keeps, however many other rows match.
    let facets = filter.facet_query();
    let Some(fts) = FtsQuery::of(parsed, FtsTables::OWN, facets.as_deref()) else {
        return Ok(Vec::new());
    };
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let offset = filter.offset.unwrap_or(0) as usize;
    let mut scores = fts.scores(conn, Some(RANK_WINDOW + 1))?;
    let beyond_window = scores.len() > RANK_WINDOW;
    scores.truncate(RANK_WINDOW);
    by_rank(&mut scores);
    // Join only the best rows to their cases. A row can give no hit (an older version of a
    // case; a file in two cases carries the tokens of both, and the filter may want one of
    // each) or several (a file attached to several cases), so a few more rows than hits are
    // taken, and all of the window if that was not enough.
    let needed = offset + limit;
    let mut take = needed.saturating_mul(2).max(100);
    let mut rows = loop {
        let rows = joined_rows(conn, &scores[..take.min(scores.len())], filter)?;
        if rows.len() >= needed || take >= scores.len() {
            break rows;
        }
        take = scores.len();
    };
    if rows.len() < needed && beyond_window {
        // Too few of the newest matches are hits: rank the newest matches among the cases the
        // filter keeps; unfiltered, rank all.
        scores = if facets.is_some() {
            fts.within(filter).scores(conn, Some(RANK_WINDOW))?
        } else {
            fts.scores(conn, None)?
        };
        by_rank(&mut scores);
        rows = joined_rows(conn, &scores, filter)?;
    }
    let rows: Vec<Row> = rows.into_iter().skip(offset).take(limit).collect();

    // Snippets are cut here, not by FTS5's snippet(): that runs the whole query again for each
    // hit, which cost more than the search itself.
    let unspaced = parsed.unspaced_terms();
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let snippet = snippet::around_words(&row.text, &parsed.words, &unspaced);
        let place = match (row.field, row.sha256) {
            (Some(field), _) => {
                let field = CaseField::parse(&field)?;
                HitPlace::Field { field }
            }
            (None, Some(sha256)) => HitPlace::File {
                sha256,
                name: row.name.unwrap_or_default(),
                unit_label: row.unit_label.unwrap_or_default(),
                unit: row.unit.unwrap_or(0),
                scan: (row.engine.as_deref() == Some("ocr"))
                    .then_some(ScanReading { confidence: row.confidence }),
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

/// The rows of `scores` (in rank order) joined to their cases and filtered, in that order.
fn joined_rows(conn: &Connection, scores: &[(i64, f64)], filter: &CaseFilter) -> Result<Vec<Row>> {
    if scores.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = scores.iter().map(|(id, _)| *id).collect();
    let mut args = vec![serde_json::to_string(&ids)?];
    let mut conditions = String::from("t.id IN (SELECT value FROM json_each(?1))");
    filter.push_conditions(&mut conditions, &mut args);
    let sql = format!(
        "SELECT t.id, t.text, c.id, c.uid, c.title, c.country, c.status,
                t.field, t.sha256, a.name, t.unit, t.unit_label, p.engine, p.confidence
         FROM search_text t
         LEFT JOIN attachments a ON a.sha256 = t.sha256
         LEFT JOIN page_readings p ON p.sha256 = t.sha256 AND p.unit = t.unit
         JOIN cases c ON c.id = coalesce(t.case_id, a.case_id)
         WHERE {conditions}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found: HashMap<i64, Vec<Row>> = HashMap::new();
    let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Row {
                text: r.get(1)?,
                score: 0.0,
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
                engine: r.get(12)?,
                confidence: r.get(13)?,
            },
        ))
    })?;
    for row in rows {
        let (id, row) = row?;
        found.entry(id).or_default().push(row);
    }
    let mut out = Vec::new();
    for (id, score) in scores {
        if let Some(mut rows) = found.remove(id) {
            rows.sort_by_key(|r| r.case_id);
            out.extend(rows.into_iter().map(|r| Row { score: *score, ..r }));
        }
    }
    Ok(out)
}
