//! Keeps `search_text` current: one row per (case, field) and per (file, page or slide). The
//! FTS5 indexes follow it through triggers (migration 0002).

use rusqlite::{Connection, params};

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
        "INSERT INTO search_text (case_id, field, text, grams) VALUES (?1, ?2, ?3, ?4)
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
    let mut insert = conn.prepare_cached(
        "INSERT INTO search_text (sha256, unit, unit_label, text, grams) VALUES (?1, ?2, ?3, ?4, ?5)",
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
        insert.execute(params![sha256, unit.number, unit.label, text, bigrams(&text)])?;
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
