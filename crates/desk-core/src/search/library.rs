//! Search in the library's published cases (the same query parsing, tokenizers, ranking and
//! snippets as the user's own cases, over the library's own indexes), and "cases like this one".

use std::collections::HashMap;

use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::query::{Parsed, quote};
use super::{DEFAULT_LIMIT, FtsQuery, FtsTables, HitPlace, RANK_WINDOW, SnippetSegment, by_rank};
use crate::case::CaseField;
use crate::error::Result;
use crate::store::Store;

/// Narrows library search: the country (alpha-3), an MDG goal ("8") or target ("8.F"), an SDG
/// goal ("16") or target ("16.6").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibraryFilter {
    pub country: Option<String>,
    pub mdg: Option<String>,
    pub sdg: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A hit in a published case of the library (never one of the user's own cases).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibraryHit {
    /// Always true: tells a library hit from the user's own in a mixed list.
    pub library: bool,
    pub library_case_id: i64,
    pub case_uid: String,
    pub case_title: String,
    pub country: String,
    pub place: HitPlace,
    pub snippet: Vec<SnippetSegment>,
    /// FTS5 bm25 rank: lower is better.
    pub score: f64,
}

/// A published case like a draft, with why.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LikeCase {
    pub library_case_id: i64,
    pub case_uid: String,
    pub case_title: String,
    pub country: String,
    /// The goal targets both cases link to ("MDG 8.F", "SDG 16.6").
    pub shared_targets: Vec<String>,
    /// Whether their text shares the draft's words.
    pub shares_words: bool,
    /// Higher is more alike.
    pub score: f64,
}

impl LibraryFilter {
    /// The filter as FTS5 tokens of the library's index (`search::facet_query`); `None` when
    /// it keeps every case.
    fn facet_query(&self) -> Option<String> {
        let tokens: Vec<(&str, &str)> =
            [("fc", &self.country), ("fm", &self.mdg), ("fg", &self.sdg)]
                .into_iter()
                .filter_map(|(prefix, value)| {
                    Some((prefix, value.as_deref().filter(|v| !v.trim().is_empty())?))
                })
                .collect();
        super::facet_query(&tokens)
    }

    /// ` AND ...` conditions on `library_cases` aliased `c`; arguments numbered after `args`.
    fn push_conditions(&self, sql: &mut String, args: &mut Vec<String>) {
        if let Some(country) = self.country.as_deref().filter(|c| !c.trim().is_empty()) {
            args.push(country.trim().to_ascii_uppercase());
            sql.push_str(&format!(" AND c.country = ?{}", args.len()));
        }
        for (framework, wanted) in [("mdg", &self.mdg), ("sdg", &self.sdg)] {
            let Some(wanted) = wanted.as_deref().map(str::trim).filter(|w| !w.is_empty()) else {
                continue;
            };
            // MDG targets are letters (8.F), SDG targets lower-case letters or numbers (9.c).
            let wanted =
                if framework == "mdg" { wanted.to_ascii_uppercase() } else { wanted.to_owned() };
            args.push(wanted.clone());
            let n = args.len();
            args.push(format!("{wanted}.%"));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM library_goal_links g WHERE g.library_case_id = c.id
                   AND g.framework = '{framework}' AND (g.target = ?{n} OR g.target LIKE ?{}))",
                n + 1
            ));
        }
    }
}

struct Row {
    text: String,
    field: String,
    sha256: Option<String>,
    unit: Option<u32>,
    unit_label: Option<String>,
    file_name: Option<String>,
    score: f64,
    case_id: i64,
    case_uid: String,
    title: String,
    country: String,
}

impl Store {
    /// Ranked hits in the library's published cases; any input is safe (searched as text).
    pub fn search_library(&self, text: &str, filter: &LibraryFilter) -> Result<Vec<LibraryHit>> {
        let parsed = Parsed::parse(text);
        // The filter narrows the FTS5 query itself (its tokens, migration 0006): the newest
        // matches ranked are those of the cases it keeps, as in the user's own search.
        let facets = filter.facet_query();
        let Some(fts) = FtsQuery::of(&parsed, FtsTables::LIBRARY, facets.as_deref()) else {
            return Ok(Vec::new());
        };
        self.read(|conn| {
            let limit = filter.limit.unwrap_or(DEFAULT_LIMIT) as usize;
            let offset = filter.offset.unwrap_or(0) as usize;
            let mut scores = fts.scores(conn, Some(RANK_WINDOW + 1))?;
            let beyond_window = scores.len() > RANK_WINDOW;
            scores.truncate(RANK_WINDOW);
            by_rank(&mut scores);
            let mut rows = joined_rows(conn, &scores, filter)?;
            if rows.len() < offset + limit && beyond_window && facets.is_some() {
                // Tokens are a little wider than the filter (an SDG target's letter in either
                // case): rank every match carrying them.
                scores = fts.scores(conn, None)?;
                by_rank(&mut scores);
                rows = joined_rows(conn, &scores, filter)?;
            }
            let unspaced = parsed.unspaced_terms();
            rows.into_iter()
                .skip(offset)
                .take(limit)
                .map(|row| {
                    let place = match row.sha256 {
                        Some(sha256) => HitPlace::File {
                            sha256,
                            name: row.file_name.unwrap_or_default(),
                            unit_label: row.unit_label.unwrap_or_default(),
                            unit: row.unit.unwrap_or(0),
                            scan: None,
                        },
                        None => HitPlace::Field { field: CaseField::parse(&row.field)? },
                    };
                    Ok(LibraryHit {
                        library: true,
                        library_case_id: row.case_id,
                        case_uid: row.case_uid,
                        case_title: row.title,
                        country: row.country,
                        place,
                        snippet: super::snippet::around_words(&row.text, &parsed.words, &unspaced),
                        score: row.score,
                    })
                })
                .collect()
        })
    }

    /// Published cases like the user's case `case_id`, best first: two points for each MDG/SDG
    /// target both link to, half a point for another target of the same goal, and one to two
    /// points (by bm25 rank) for sharing the words of its title, summary, problem and solution.
    pub fn library_like(&self, case_id: i64, limit: u32) -> Result<Vec<LikeCase>> {
        let case = self.case(case_id)?;
        let targets: Vec<(String, String)> = case
            .mdg_links
            .iter()
            .chain(&case.sdg_links)
            .map(|l| (l.framework.as_str().to_owned(), l.target.clone()))
            .collect();
        let text = [CaseField::Title, CaseField::Summary, CaseField::Problem, CaseField::Solution]
            .into_iter()
            .map(|f| case.field(f))
            .collect::<Vec<_>>()
            .join(" ");
        let words_query = distinctive_terms(&text);
        self.read(|conn| {
            let mut found: HashMap<i64, LikeCase> = HashMap::new();
            let mut link = conn.prepare_cached(
                "SELECT c.id, c.case_uid, c.title, c.country, g.target,
                        g.target = ?2 AS same_target
                 FROM library_goal_links g JOIN library_cases c ON c.id = g.library_case_id
                 WHERE g.framework = ?1
                   AND (g.target = ?2 OR g.target LIKE ?3 OR g.target = ?4)",
            )?;
            for (framework, target) in &targets {
                let goal = target.split('.').next().unwrap_or(target).to_owned();
                let rows = link.query_map(
                    rusqlite::params![framework, target, format!("{goal}.%"), goal],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, bool>(5)?,
                        ))
                    },
                )?;
                for row in rows {
                    let (id, uid, title, country, same_target) = row?;
                    let entry = found.entry(id).or_insert_with(|| like(id, uid, title, country));
                    if same_target {
                        let label = format!("{} {target}", framework.to_ascii_uppercase());
                        if !entry.shared_targets.contains(&label) {
                            entry.shared_targets.push(label);
                            entry.score += 2.0;
                        }
                    } else {
                        entry.score += 0.5;
                    }
                }
            }
            if let Some(query) = words_query {
                let fts = FtsQuery::words(FtsTables::LIBRARY, query);
                let mut scores = fts.scores(conn, Some(RANK_WINDOW))?;
                by_rank(&mut scores);
                let best_per_case = best_row_per_case(conn, &scores)?;
                let count = best_per_case.len().max(1) as f64;
                for (rank, (id, uid, title, country)) in best_per_case.into_iter().enumerate() {
                    let entry = found.entry(id).or_insert_with(|| like(id, uid, title, country));
                    entry.shares_words = true;
                    entry.score += 1.0 + (1.0 - rank as f64 / count);
                }
            }
            let mut out: Vec<LikeCase> = found.into_values().collect();
            out.sort_by(|a, b| {
                b.score.total_cmp(&a.score).then(a.library_case_id.cmp(&b.library_case_id))
            });
            out.truncate(limit as usize);
            Ok(out)
        })
    }
}

fn like(library_case_id: i64, case_uid: String, case_title: String, country: String) -> LikeCase {
    LikeCase {
        library_case_id,
        case_uid,
        case_title,
        country,
        shared_targets: Vec::new(),
        shares_words: false,
        score: 0.0,
    }
}

/// Words that say what a case is about: the longest spaced words (four letters or more) and
/// the bigrams of unspaced text, at most 24, as an FTS5 OR query.
fn distinctive_terms(text: &str) -> Option<String> {
    const MOST: usize = 24;
    let mut words: Vec<String> = Vec::new();
    let mut unspaced = String::new();
    for term in text.split(|c: char| !super::query::is_token_char(c)) {
        if super::has_unspaced(term) {
            unspaced.push_str(term);
            unspaced.push(' ');
        } else if term.chars().count() >= 4 {
            let lower = term.to_lowercase();
            if !words.contains(&lower) {
                words.push(lower);
            }
        }
    }
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    let mut parts: Vec<String> =
        words.iter().take(MOST).map(|w| format!("text : {}", quote(w))).collect();
    let mut grams: Vec<&str> = Vec::new();
    let bigrams = super::bigrams(&unspaced);
    for gram in bigrams.split_whitespace().filter(|g| g.chars().count() == 2) {
        if grams.len() + parts.len() >= MOST {
            break;
        }
        if !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    parts.extend(grams.iter().map(|g| format!("grams : {}", quote(g))));
    (!parts.is_empty()).then(|| parts.join(" OR "))
}

/// The cases of the rows in `scores`, each once, in the rank of its best row.
fn best_row_per_case(
    conn: &Connection,
    scores: &[(i64, f64)],
) -> Result<Vec<(i64, String, String, String)>> {
    let rows = joined_rows(conn, scores, &LibraryFilter::default())?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert(r.case_id))
        .map(|r| (r.case_id, r.case_uid, r.title, r.country))
        .collect())
}

/// The rows of `scores` (in rank order) joined to their cases and filtered, in that order.
fn joined_rows(
    conn: &Connection,
    scores: &[(i64, f64)],
    filter: &LibraryFilter,
) -> Result<Vec<Row>> {
    if scores.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = scores.iter().map(|(id, _)| *id).collect();
    let mut args = vec![serde_json::to_string(&ids)?];
    let mut conditions = String::from("t.id IN (SELECT value FROM json_each(?1))");
    filter.push_conditions(&mut conditions, &mut args);
    let sql = format!(
        "SELECT t.id, t.text, t.field, c.id, c.case_uid, c.title, c.country,
                t.sha256, t.unit, t.unit_label,
                (SELECT f.name FROM library_files f
                 WHERE f.library_case_id = c.id AND f.sha256 = t.sha256
                 ORDER BY f.position LIMIT 1)
         FROM library_text t JOIN library_cases c ON c.id = t.library_case_id
         WHERE {conditions}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found: HashMap<i64, Row> = HashMap::new();
    let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Row {
                text: r.get(1)?,
                field: r.get(2)?,
                score: 0.0,
                case_id: r.get(3)?,
                case_uid: r.get(4)?,
                title: r.get(5)?,
                country: r.get(6)?,
                sha256: r.get(7)?,
                unit: r.get(8)?,
                unit_label: r.get(9)?,
                file_name: r.get(10)?,
            },
        ))
    })?;
    for row in rows {
        let (id, row) = row?;
        found.insert(id, row);
    }
    Ok(scores
        .iter()
        .filter_map(|(id, score)| found.remove(id).map(|row| Row { score: *score, ..row }))
        .collect())
}
