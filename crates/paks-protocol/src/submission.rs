use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AttachmentDescriptor, CaseDocument};

/// Body of `POST /api/v1/submissions` (sent with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionRequest {
    pub case: CaseDocument,
    #[serde(default)]
    pub attachments: Vec<AttachmentDescriptor>,
}
