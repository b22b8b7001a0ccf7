//! The proceedings of an event, built by the operator from the published cases: the newest
//! published version of each case the operator placed in the event, by country and title.

use std::collections::HashSet;
use std::path::Path;

use paks_publication::{FontSet, Format, PrintedCase, PrintedFile, Proceedings};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{CaseQuery, MetadataStore, SubmissionRecord};

/// What `build` wrote.
#[derive(Debug)]
pub struct Built {
    pub cases: usize,
    pub bytes: u64,
    /// Characters no font on this machine has (they print as empty boxes).
    pub characters_without_font: Vec<char>,
}

/// Longest event name kept (as the migration's CHECK).
const MAX_EVENT_CHARS: usize = 500;

/// Places the case of `id` (a submission id or a case uid) in `event`, or takes it out of any
/// event with `None`. Returns the case uid.
pub fn set_event(
    store: &dyn MetadataStore,
    id: Uuid,
    event: Option<&str>,
    actor: &str,
) -> Result<Uuid> {
    let event = event.map(str::trim);
    if let Some(e) = event
        && (e.is_empty() || e.chars().count() > MAX_EVENT_CHARS || e.chars().any(char::is_control))
    {
        return Err(Error::Invalid(format!(
            "an event is one line of 1 to {MAX_EVENT_CHARS} characters, not {e:?}"
        )));
    }
    let case_uid = store.submission(id)?.map_or(id, |r| r.case_uid);
    let now = crate::clock::rfc3339(crate::clock::now())?;
    store.set_case_event(case_uid, event, &now, actor)?;
    Ok(case_uid)
}

/// Writes the proceedings of `event` to `out` (.pdf or .docx); with `every_published`, of every
/// published case whatever its event.
pub fn build(
    store: &dyn MetadataStore,
    event: &str,
    every_published: bool,
    built_on: &str,
    out: &Path,
) -> Result<Built> {
    let format = Format::of_path(out)?;
    let members: HashSet<Uuid> =
        store.case_events()?.into_iter().filter(|(_, e)| e == event).map(|(uid, _)| uid).collect();
    let all = CaseQuery { text: None, country: None, mdg_target: None, limit: u32::MAX, offset: 0 };
    let (_, published) = store.published(&all)?;
    let mut cases = published
        .iter()
        .filter(|r| every_published || members.contains(&r.case_uid))
        .map(printed)
        .collect::<Result<Vec<_>>>()?;
    if cases.is_empty() {
        return Err(Error::NotFound(format!(
            "a published case in the event {event:?} (place one with `paks-server publication \
             set-event`, or build from every published case with --every-published)"
        )));
    }
    cases.sort_by(|a, b| {
        (&a.document.country, &a.document.title).cmp(&(&b.document.country, &b.document.title))
    });
    let proceedings = Proceedings { event: event.to_owned(), built_on: built_on.to_owned(), cases };
    let written =
        paks_publication::proceedings_document(&proceedings, format, &FontSet::with_system_cjk())?;
    // Written beside its name first: an interrupted build leaves no half document under it.
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &written.bytes).map_err(Error::io(&partial))?;
    std::fs::rename(&partial, out).map_err(Error::io(out))?;
    Ok(Built {
        cases: proceedings.cases.len(),
        bytes: written.bytes.len() as u64,
        characters_without_font: written.characters_without_font,
    })
}

fn printed(record: &SubmissionRecord) -> Result<PrintedCase> {
    Ok(PrintedCase {
        document: serde_json::from_str(&record.case_json)?,
        files: record
            .files
            .iter()
            .map(|f| PrintedFile {
                name: f.name.clone(),
                media_type: f.media_type.clone(),
                size: f.size,
            })
            .collect(),
        receipt: Some(record.receipt.clone()),
    })
}
