//! PAKS Desk's core: the local store of a focal point's case studies, the MDG/SDG catalogs, the
//! rules a case must meet before it goes to PAKS. No Tauri, no network: fast to build and test.

pub mod attachment;
pub mod case;
pub mod catalog;
pub mod clock;
pub mod completeness;
pub mod error;
pub mod library;
pub mod message;
pub mod profile;
pub mod search;
mod settings;
pub mod store;

pub use attachment::{
    Attached, Attachment, FileCheck, FileOwner, FileProblem, IndexStatus, LargeFileWarning,
    ProblemKind, upload_estimate,
};
pub use case::{
    Case, CaseField, CaseFilter, CaseStatus, CaseSummary, GoalLink, LinkInput, Revision,
    RevisionKind, SavedField, Snapshot,
};
pub use catalog::Framework;
pub use completeness::{MissingCode, MissingItem};
pub use error::{Error, Result, text_from_bytes};
pub use library::{LibraryCase, LibraryFile, LibraryPageStored, LibrarySection, LibraryState};
pub use message::{MessageParam, UiMessage};
pub use profile::Profile;
pub use search::{
    HitPlace, LibraryFilter, LibraryHit, LikeCase, ScanReading, SearchHit, SnippetSegment,
};
pub use store::Store;
