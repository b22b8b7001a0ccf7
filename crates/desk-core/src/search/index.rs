//! Keeps `search_text` current: one row per (case, field) and per (file, page or slide). The
//! FTS5 indexes follow it through triggers (migration 0002).

use rusqlite::{Connection, OptionalExtension, params};

use super::script::bigrams;
use crate::case::CaseField;
use crate::error::Result;

/// Indexes one field's saved value (called in the transaction that saves it).
pub(crate) fn index_field(
    conn: &Connection,
    case_id: i64,
    field: CaseField,
    value: &str,
) -> Result<()> {
    if value.trim().is_empty() {
        conn.execute(
            "DELETE FROM search_text WHERE case_id = ?1 AND field = ?2",
            params![case_id, field.column()],
        )?;
        return Ok(());
    }
    conn.execute(
        "INSERT INTO search_text (case_id, field, text, grams, facets)
         VALUES (?1, ?2, ?3, ?4, coalesce((SELECT facets FROM case_facets WHERE case_id = ?1), ''))
         ON CONFLICT (case_id, field) WHERE case_id IS NOT NULL
         DO UPDATE SET text = excluded.text, grams = excluded.grams
         WHERE text IS NOT excluded.text OR grams IS NOT excluded.grams",
        params![case_id, field.column(), value, bigrams(value)],
    )?;
    Ok(())
}

/// Indexes every field of a case as stored (after create, restore, new version).
pub(crate) fn index_case_fields(conn: &Connection, case: &crate::Case) -> Result<()> {
    for (field, value) in &case.fields {
        index_field(conn, case.id, *field, value)?;
    }
    Ok(())
}

/// Replaces the indexed text of a stored file by its pages or slides.
pub(crate) fn index_units(
    conn: &Connection,
    sha256: &str,
    units: &[desk_extract::TextUnit],
) -> Result<()> {
    conn.execute("DELETE FROM search_text WHERE sha256 = ?1", [sha256])?;
    let facets: String = conn
        .query_row("SELECT facets FROM blob_facets WHERE sha256 = ?1", [sha256], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let mut insert = conn.prepare_cached(
        "INSERT INTO search_text (sha256, unit, unit_label, text, grams, facets)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for unit in units {
        let mut text = unit.text.clone();
        if let Some(notes) = unit.notes.as_deref().filter(|n| !n.trim().is_empty()) {
            text.push_str("\n\n");
            text.push_str(notes);
        }
        if text.trim().is_empty() {
            continue;
        }
        insert.execute(params![sha256, unit.number, unit.label, text, bigrams(&text), facets])?;
    }
    Ok(())
}

pub(crate) fn has_pending_grams(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM search_text WHERE grams IS NULL)",
        [],
        |r| r.get(0),
    )?)
}

/// Computes the bigrams of rows written by a migration (SQL cannot compute them).
pub(crate) fn fill_pending_grams(conn: &Connection) -> Result<()> {
    let rows: Vec<(i64, String)> = {
        let mut stmt = conn.prepare("SELECT id, text FROM search_text WHERE grams IS NULL")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut update = conn.prepare("UPDATE search_text SET grams = ?1 WHERE id = ?2")?;
    for (id, text) in rows {
        update.execute(params![bigrams(&text), id])?;
    }
    Ok(())
}

/// Gives the rows of the cases and files that triggers marked (migration 0006) the filter
/// tokens they now carry; called once per write transaction, before it commits. Only rows whose
/// tokens changed are rewritten (in the word index alone).
pub(crate) fn refresh_stale_facets(conn: &Connection) -> Result<()> {
    let stale: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM stale_facets)", [], |r| r.get(0))?;
    if !stale {
        return Ok(());
    }
    conn.execute_batch(
        "UPDATE search_text
         SET facets =
             coalesce((SELECT facets FROM case_facets WHERE case_id = search_text.case_id), '')
         WHERE case_id IN (SELECT case_id FROM stale_facets WHERE case_id IS NOT NULL)
           AND facets IS NOT
               coalesce((SELECT facets FROM case_facets WHERE case_id = search_text.case_id), '');
         UPDATE search_text
         SET facets =
             coalesce((SELECT facets FROM blob_facets WHERE sha256 = search_text.sha256), '')
         WHERE sha256 IN (SELECT sha256 FROM stale_facets WHERE sha256 IS NOT NULL
                          UNION SELECT a.sha256 FROM attachments a
                                JOIN stale_facets s ON s.case_id = a.case_id)
           AND facets IS NOT
               coalesce((SELECT facets FROM blob_facets WHERE sha256 = search_text.sha256), '');
         DELETE FROM stale_facets;",
    )?;
    Ok(())
}
