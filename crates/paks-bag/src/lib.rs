//! Hand-carry bags: a PAKS case version as a BagIt (RFC 8493) zip, for focal points whose
//! network cannot carry the upload. The bag holds one top-level folder with `bagit.txt`,
//! `data/case.json` (the case document in the API's schema), `data/attachments/*`,
//! `manifest-sha256.txt`, `tagmanifest-sha256.txt` and `bag-info.txt`.
//!
//! Writing streams each file through its hash into the zip. Reading trusts nothing in the zip:
//! names, sizes, ratios and checksums are checked, and payload bytes land only in numbered files
//! of the caller's work folder.

mod case_json;
mod error;
mod export;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod manifest;
mod open;
mod tags;

pub use case_json::parse_case;
pub use error::{BagError, Result};
pub use export::{
    ATTACHMENTS_DIR, BagContents, CASE_JSON, ExportFile, ExportedBag, IDEMPOTENCY_KEY_LABEL,
    human_size, unique_names, write_bag, write_bag_file,
};
pub use manifest::Algorithm;
pub use open::{BagFile, BagHead, Limits, OpenedBag, open_bag, read_bag_head};
pub use tags::Tags;
