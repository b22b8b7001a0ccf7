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
