use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::CaseDocument;

/// One published case in the public listing `GET /api/v1/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedCaseSummary {
    pub submission_id: Uuid,
    pub case_uid: Uuid,
    pub version: u32,
    pub country: String,
    pub title: String,
    pub summary: String,
    pub mdg_targets: Vec<String>,
    pub themes: Vec<String>,
    /// RFC 3339, UTC.
    pub published_at: String,
    /// Path of the HTML page.
    pub html_url: String,
}

/// Body of `GET /api/v1/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedCaseList {
    pub total: u64,
    pub items: Vec<PublishedCaseSummary>,
}

/// A downloadable file of a published case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedFile {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub url: String,
}

/// Body of `GET /api/v1/cases/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedCase {
    pub submission_id: Uuid,
    pub published_at: String,
    pub html_url: String,
    pub case: CaseDocument,
    pub files: Vec<PublishedFile>,
}

/// What happened to a case in the public change feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicChangeKind {
    /// Published, or a newer version published: `case` holds the version to keep.
    Published,
    /// Withdrawn from the public space: forget the case (a tombstone; `case` is absent).
    Withdrawn,
}

/// One case in `GET /api/v1/public/changes`: its state as of this change. A case appears once
/// per page, at its latest change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicChange {
    /// Resume after this change with `since=<cursor>`.
    pub cursor: String,
    pub case_uid: Uuid,
    pub kind: PublicChangeKind,
    /// RFC 3339, UTC.
    pub changed_at: String,
    /// The published case document, with its MDG/SDG links, sections and files; absent for a
    /// withdrawal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<PublishedCase>,
}

/// Body of `GET /api/v1/public/changes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicChangePage {
    pub changes: Vec<PublicChange>,
    /// Opaque: pass it as `since` to read on. Equal to the request's `since` when nothing
    /// changed; stable across server restarts.
    pub next_cursor: String,
    /// More changes wait after `next_cursor`: read again at once.
    pub has_more: bool,
}
