//! Hand-carry: a case version as a BagIt (RFC 8493) zip for a USB stick or a colleague's
//! luggage, and a bag from elsewhere opened as a new draft.
//!
//! An exported bag carries the case version's Idempotency-Key in bag-info.txt (the outbox's key
//! when the version is queued, else `bag:<case_uid>:v<version>`, the key PAKS itself falls back
//! to), so PAKS gives a bag sent twice one receipt, and the receipt names the case by its uid and
//! version. Each export is remembered in the outbox; while online, the worker asks PAKS for the
//! version's receipt and takes it into the case (`receipt_match`).

use std::path::{Path, PathBuf};

use desk_core::{CaseField, Framework, LinkInput, Store};
use paks_bag::{BagContents, ExportFile, Limits, Tags, write_bag_file};
use paks_protocol::{CaseDocument, canonical_case_json};

use crate::error::{Result, SyncError};
use crate::outbox::{NewHandCarried, Outbox};
use crate::snapshot::case_as_it_stands;

/// What `export_bag` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagExport {
    pub payload_bytes: u64,
    pub attachments: usize,
    pub idempotency_key: String,
}

/// What `open_bag` made of a bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedCase {
    pub case_id: i64,
    pub attachments: usize,
    /// Parts of the colleague's case this store could not take, each said in plain words.
    pub warnings: Vec<String>,
}

/// The Idempotency-Key PAKS uses for a bag of this case version that names none.
pub fn bag_idempotency_key(document: &CaseDocument) -> String {
    format!("bag:{}:v{}", document.case_uid, document.version)
}

fn bag_error(doing: &str, e: paks_bag::BagError) -> SyncError {
    match e {
        paks_bag::BagError::Io { path, source } => {
            // The bag is written beside its final name first; name the file the person asked for.
            let shown = path.to_string_lossy();
            let shown = shown.strip_suffix(".partial").unwrap_or(&shown);
            SyncError::Io(std::io::Error::new(
                source.kind(),
                format!("{doing} at {shown}: {source}"),
            ))
        }
        e => SyncError::Invalid(format!("{doing}: {e}")),
    }
}

/// Writes case `case_id` as a bag at `out`, calling `progress(done, total)` in payload bytes.
/// A queued or sent version is written exactly as frozen in the outbox.
pub fn export_bag(
    store: &Store,
    outbox: &Outbox,
    case_id: i64,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BagExport> {
    let case = store.case(case_id)?;
    let profile = store.profile()?.ok_or(desk_core::Error::ProfileMissing)?;
    let stands = case_as_it_stands(store, outbox, &case)?;
    let files: Vec<ExportFile> = stands
        .files
        .into_iter()
        .map(|f| ExportFile { name: f.name, path: PathBuf::from(f.path) })
        .collect();
    let document = stands.document;
    let key = stands.job.map_or_else(|| bag_idempotency_key(&document), |job| job.idempotency_key);
    if let Err(errors) = document.validate() {
        return Err(SyncError::rules_unmet(&errors));
    }
    let json = canonical_case_json(&document).map_err(|e| SyncError::Invalid(e.to_string()))?;
    let info = Tags(vec![
        ("Source-Organization".into(), profile.institution.clone()),
        ("Contact-Name".into(), profile.name.clone()),
        ("Contact-Email".into(), profile.email.clone()),
        ("External-Identifier".into(), format!("{} v{}", document.case_uid, document.version)),
        (paks_bag::IDEMPOTENCY_KEY_LABEL.into(), key.clone()),
    ]);
    let root = format!("paks-case-{}-v{}", document.case_uid, document.version);
    let contents = BagContents { root: &root, case_json: &json, files: &files, info };
    let written = write_bag_file(out, &contents, progress)
        .map_err(|e| bag_error("The bag could not be written", e))?;
    let case_sha256 =
        paks_protocol::case_sha256(&document).map_err(|e| SyncError::Invalid(e.to_string()))?;
    outbox.record_hand_carried(
        &NewHandCarried {
            case_id,
            case_uid: &case.uid,
            case_version: case.version,
            idempotency_key: &key,
            case_sha256: &case_sha256,
        },
        crate::engine::now_ms(),
    )?;
    Ok(BagExport {
        payload_bytes: written.payload_bytes,
        attachments: files.len(),
        idempotency_key: key,
    })
}

/// A folder for one bag under the data folder, removed with its contents when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Checks and opens the bag at `bag` as a new draft case (a colleague's case): validated as PAKS
/// validates it, never merged into an existing case. Fields and goal links this store cannot
/// take are left out and named in `warnings`.
pub fn open_bag(store: &Store, bag: &Path) -> Result<OpenedCase> {
    let work = WorkDir(store.dir().join("tmp").join(format!("bag-{}", uuid::Uuid::new_v4())));
    std::fs::create_dir_all(&work.0)?;
    let limits = Limits { max_bag_bytes: 16 * 1024 * 1024 * 1024, ..Limits::default() };
    let opened = paks_bag::open_bag(bag, &work.0, &limits)
        .map_err(|e| bag_error("This bag cannot be opened", e))?;
    let doc = &opened.case;
    let case = store.create_case(&doc.title, None)?;
    let filled = fill(store, case.id, &opened, &work.0);
    match filled {
        Ok(warnings) => {
            Ok(OpenedCase { case_id: case.id, attachments: opened.files.len(), warnings })
        }
        Err(e) => {
            if let Err(cleanup) = store.delete_draft(case.id) {
                tracing::warn!(case = case.id, error = %cleanup, "half-opened bag not removed");
            }
            Err(e)
        }
    }
}

fn fill(
    store: &Store,
    case_id: i64,
    opened: &paks_bag::OpenedBag,
    work: &Path,
) -> Result<Vec<String>> {
    let doc = &opened.case;
    let mut warnings = Vec::new();
    // The title was given when the case was created.
    let fields = CaseField::ALL.into_iter().filter(|field| *field != CaseField::Title);
    for field in fields {
        let value = field.read_from_document(doc);
        if value.is_empty() {
            continue;
        }
        match store.set_field(case_id, field, &value) {
            Ok(_) => {}
            Err(
                e @ (desk_core::Error::FieldTooLong { .. }
                | desk_core::Error::InvalidValue { .. }
                | desk_core::Error::UnknownCountry(_)),
            ) => {
                warnings.push(format!("{} was left empty: {e}", field.label()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let links = doc
        .mdg_links
        .iter()
        .map(|l| (Framework::Mdg, &l.target, l.indicator.clone(), l.note.clone()))
        .chain(
            doc.sdg_links
                .iter()
                .map(|l| (Framework::Sdg, &l.target, None, l.note.clone().unwrap_or_default())),
        );
    for (framework, target, indicator, note) in links {
        let input = LinkInput { framework, target: target.clone(), indicator, note };
        if let Err(e) = store.link_goal(case_id, &input) {
            warnings.push(format!("The link to {target} was left out: {e}"));
        }
    }
    for (i, file) in opened.files.iter().enumerate() {
        // The store keeps a file's own name for display, so it is given one (checked by the bag
        // reader as a plain file name) in a folder of its own.
        let named = work.join(format!("named-{i}"));
        std::fs::create_dir(&named)?;
        let path = named.join(&file.name);
        std::fs::rename(&file.path, &path)?;
        match store.import_attachment(case_id, &path) {
            Ok(_) => {}
            Err(e @ desk_core::Error::EmptyFile { .. }) => {
                warnings.push(format!("{} was left out: {e}", file.name));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(warnings)
}
