//! Case versions that left as a bag: one row per version exported, until PAKS's receipt for it
//! is found (the worker asks PAKS while online) and taken into the case.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::Outbox;
use crate::error::{Result, SyncError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandCarried {
    pub id: i64,
    pub case_id: i64,
    pub case_uid: String,
    pub case_version: i64,
    pub idempotency_key: String,
    pub case_sha256: String,
    /// Milliseconds since the epoch.
    pub exported_at: i64,
    pub checks: u32,
    pub next_check_at: i64,
    pub last_error: Option<String>,
    pub submission_id: Option<String>,
    #[serde(skip)]
    pub receipt: Option<String>,
    /// What taking the receipt in did, in words for the person.
    pub outcome: Option<String>,
    pub matched_at: Option<i64>,
}

impl HandCarried {
    pub fn is_matched(&self) -> bool {
        self.matched_at.is_some()
    }
}

/// What `record_hand_carried` needs.
#[derive(Debug, Clone)]
pub struct NewHandCarried<'a> {
    pub case_id: i64,
    pub case_uid: &'a str,
    pub case_version: i64,
    pub idempotency_key: &'a str,
    pub case_sha256: &'a str,
}

const COLUMNS: &str = "id, case_id, case_uid, case_version, idempotency_key, case_sha256, \
     exported_at, checks, next_check_at, last_error, submission_id, receipt, outcome, matched_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<HandCarried> {
    Ok(HandCarried {
        id: r.get(0)?,
        case_id: r.get(1)?,
        case_uid: r.get(2)?,
        case_version: r.get(3)?,
        idempotency_key: r.get(4)?,
        case_sha256: r.get(5)?,
        exported_at: r.get(6)?,
        checks: r.get(7)?,
        next_check_at: r.get(8)?,
        last_error: r.get(9)?,
        submission_id: r.get(10)?,
        receipt: r.get(11)?,
        outcome: r.get(12)?,
        matched_at: r.get(13)?,
    })
}

impl Outbox {
    /// Remembers that this case version left as a bag (again: the newest export counts), so its
    /// receipt is looked for at once when PAKS can next be reached.
    pub fn record_hand_carried(&self, new: &NewHandCarried<'_>, now: i64) -> Result<HandCarried> {
        self.update(
            "INSERT INTO hand_carried (case_id, case_uid, case_version, idempotency_key,
               case_sha256, exported_at, next_check_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (case_uid, case_version) DO UPDATE SET
               idempotency_key = excluded.idempotency_key,
               case_sha256 = excluded.case_sha256, exported_at = excluded.exported_at,
               next_check_at = CASE WHEN matched_at IS NULL THEN excluded.next_check_at
                               ELSE next_check_at END,
               checks = CASE WHEN matched_at IS NULL THEN 0 ELSE checks END",
            params![
                new.case_id,
                new.case_uid,
                new.case_version,
                new.idempotency_key,
                new.case_sha256,
                now
            ],
        )?;
        self.read(|c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM hand_carried WHERE case_uid = ?1 AND case_version = ?2"
                ),
                params![new.case_uid, new.case_version],
                from_row,
            )?)
        })
    }

    pub fn hand_carried(&self) -> Result<Vec<HandCarried>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM hand_carried ORDER BY id"))?;
            Ok(stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub fn hand_carried_row(&self, id: i64) -> Result<HandCarried> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM hand_carried WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or_else(|| SyncError::Invalid(format!("There is no hand-carried bag {id}.")))
        })
    }

    /// The bags exported of one case, newest version first.
    pub fn hand_carried_of_case(&self, case_id: i64) -> Result<Vec<HandCarried>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM hand_carried WHERE case_id = ?1 ORDER BY id DESC"
            ))?;
            Ok(stmt.query_map([case_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// PAKS had no receipt for it yet (or could not be asked: `error`); ask again at `next`.
    pub fn hand_carried_not_found(
        &self,
        id: i64,
        error: Option<&str>,
        next: i64,
        count_check: bool,
    ) -> Result<()> {
        self.update(
            "UPDATE hand_carried SET checks = checks + ?1, last_error = ?2, next_check_at = ?3
             WHERE id = ?4",
            params![i64::from(count_check), error, next, id],
        )?;
        Ok(())
    }

    /// The receipt was found and taken in.
    pub fn hand_carried_matched(
        &self,
        id: i64,
        submission_id: &str,
        receipt_json: &str,
        outcome: &str,
        now: i64,
    ) -> Result<()> {
        self.update(
            "UPDATE hand_carried SET submission_id = ?1, receipt = ?2, outcome = ?3,
               matched_at = ?4, last_error = NULL WHERE id = ?5",
            params![submission_id, receipt_json, outcome, now, id],
        )?;
        Ok(())
    }
}
