use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a submission stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    Received,
    UnderReview,
    Published,
    ChangesRequested,
    // Refused for good, with the reviewer's reason; a new version may still be sent.
    Rejected,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::UnderReview => "under_review",
            Self::Published => "published",
            Self::ChangesRequested => "changes_requested",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Received, Self::UnderReview, Self::Published, Self::ChangesRequested, Self::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Body of `GET /api/v1/submissions/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionStatus {
    pub submission_id: Uuid,
    pub case_uid: Uuid,
    pub version: u32,
    pub state: SubmissionState,
    /// The reviewer's comment when changes are requested, or the reason of a rejection.
    pub reviewer_comment: Option<String>,
    /// RFC 3339, UTC.
    pub received_at: String,
    /// RFC 3339, UTC: last change of state.
    pub updated_at: String,
    /// The submission that replaced this one, if a newer version came in.
    pub replaced_by: Option<Uuid>,
    /// Path of the public page once published.
    pub public_url: Option<String>,
}
