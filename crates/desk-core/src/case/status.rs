//! A case's lifecycle: draft -> queued -> submitted -> under review -> published, changes
//! requested or rejected. Only a draft is edited; a sent case changes through a new version.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CaseStatus {
    Draft,
    Queued,
    Submitted,
    UnderReview,
    Published,
    ChangesRequested,
    /// PAKS refused it for good; the reason is the review comment.
    Rejected,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Queued => "queued",
            CaseStatus::Submitted => "submitted",
            CaseStatus::UnderReview => "under_review",
            CaseStatus::Published => "published",
            CaseStatus::ChangesRequested => "changes_requested",
            CaseStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Queued => "queued for sending",
            CaseStatus::Submitted => "submitted",
            CaseStatus::UnderReview => "under review",
            CaseStatus::Published => "published",
            CaseStatus::ChangesRequested => "changes requested",
            CaseStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        [
            CaseStatus::Draft,
            CaseStatus::Queued,
            CaseStatus::Submitted,
            CaseStatus::UnderReview,
            CaseStatus::Published,
            CaseStatus::ChangesRequested,
            CaseStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| Error::Corrupt(format!("unknown case status '{text}'")))
    }

    pub fn is_editable(self) -> bool {
        self == CaseStatus::Draft
    }

    /// Whether PAKS holds a submission of this version (so editing needs a new version).
    pub fn is_sent(self) -> bool {
        matches!(
            self,
            CaseStatus::Submitted
                | CaseStatus::UnderReview
                | CaseStatus::Published
                | CaseStatus::ChangesRequested
                | CaseStatus::Rejected
        )
    }

    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, next),
            (Draft, Queued)
                | (Queued, Draft)
                | (Queued, Submitted)
                | (Submitted, UnderReview | Published | ChangesRequested | Rejected)
                | (UnderReview, Published | ChangesRequested | Rejected)
                | (ChangesRequested, UnderReview | Published | Rejected)
                | (Rejected, UnderReview | Published | ChangesRequested)
        )
    }

    pub fn check_transition(self, next: CaseStatus) -> Result<()> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(Error::InvalidTransition { from: self.label(), to: next.label() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CaseStatus::*;

    #[test]
    fn only_the_documented_path_is_allowed() {
        assert!(Draft.can_become(Queued));
        assert!(Queued.can_become(Submitted));
        assert!(Submitted.can_become(Published));
        assert!(!Draft.can_become(Submitted), "a draft must pass through the outbox");
        assert!(!Published.can_become(Draft), "a published case changes by a new version");
        assert!(!Submitted.can_become(Queued));
        assert!(UnderReview.can_become(Rejected) && Rejected.is_sent() && !Rejected.is_editable());
        assert!(!Rejected.can_become(Draft), "a rejected case changes by a new version");
        assert!(Draft.is_editable() && !Queued.is_editable() && !Published.is_editable());
    }
}
