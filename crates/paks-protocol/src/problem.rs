use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem details body, as every error of the API is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// A `urn:paks:problem:*` URI; see [`ProblemType`].
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// What exactly is wrong with this request.
    pub detail: String,
    /// Field-level failures, each with the JSON pointer of the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for `rate-limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One failing field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldError {
    /// RFC 6901 JSON pointer into the request body, e.g. `/case/country`.
    pub pointer: String,
    pub message: String,
}

macro_rules! problem_types {
    ($($variant:ident = $slug:literal, $status:literal, $title:literal;)*) => {
        /// Every kind of problem the server answers with; `uri()` is the `type` member.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemType { $($variant,)* }

        impl ProblemType {
            pub const ALL: &[ProblemType] = &[$(ProblemType::$variant,)*];

            pub fn slug(self) -> &'static str {
                match self { $(ProblemType::$variant => $slug,)* }
            }

            /// The HTTP status this problem is answered with.
            pub fn status(self) -> u16 {
                match self { $(ProblemType::$variant => $status,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(ProblemType::$variant => $title,)* }
            }
        }
    };
}

problem_types! {
    Unauthorized = "unauthorized", 401, "Missing, unknown, expired or revoked API token";
    WrongCountry = "wrong-country", 403, "The token is not scoped to this country";
    ForeignUpload = "foreign-upload", 403, "The upload belongs to another focal point";
    NotFound = "not-found", 404, "No such resource";
    UploadExpired = "upload-expired", 410, "The upload has expired";
    MethodNotAllowed = "method-not-allowed", 405, "Method not allowed";
    OffsetMismatch = "offset-mismatch", 409, "Upload-Offset does not match the upload's offset";
    UploadInUse = "upload-in-use", 409, "The upload belongs to a submission and cannot be terminated";
    UploadLocked = "upload-locked", 423, "Another request is writing to this upload";
    IdempotencyInProgress = "idempotency-in-progress", 409, "A request with this Idempotency-Key is still being processed";
    IdempotencyKeyReused = "idempotency-key-reused", 422, "This Idempotency-Key was used with a different request body";
    IdempotencyKeyMissing = "idempotency-key-missing", 400, "The Idempotency-Key header is required";
    VersionConflict = "version-conflict", 409, "This case version was already submitted";
    TusVersionUnsupported = "tus-version-unsupported", 412, "Tus-Resumable must be 1.0.0";
    BadTusHeader = "bad-tus-header", 400, "A tus header is missing or malformed";
    UnsupportedMediaType = "unsupported-media-type", 415, "Wrong Content-Type";
    TooLarge = "too-large", 413, "The request or upload is larger than allowed";
    BodyLongerThanUpload = "body-longer-than-upload", 413, "The body goes past the announced Upload-Length";
    ChecksumAlgorithmUnsupported = "checksum-algorithm-unsupported", 400, "Checksum algorithm not supported; use sha1 or sha256";
    ChecksumMismatch = "checksum-mismatch", 460, "Upload-Checksum does not match the body";
    IncompleteBody = "incomplete-body", 400, "The body ended before Content-Length or the connection broke";
    InvalidUtf8 = "invalid-utf8", 400, "The body is not valid UTF-8";
    MalformedJson = "malformed-json", 400, "The body is not well-formed JSON";
    InvalidDocument = "invalid-document", 422, "The submission does not match the schema";
    UnsupportedSchemaVersion = "unsupported-schema-version", 422, "Unsupported case schema_version";
    ValidationFailed = "validation-failed", 422, "The submission breaks a rule of the protocol";
    UploadIncomplete = "upload-incomplete", 422, "An attached upload is not complete";
    AttachmentMismatch = "attachment-mismatch", 422, "An attachment's size or SHA-256 differs from the upload";
    ReplacedNotFound = "replaced-not-found", 422, "The submission named in `replaces` is not a version of this case";
    InvalidBag = "invalid-bag", 422, "The bag is not a complete and valid PAKS case bag";
    RangeNotSatisfiable = "range-not-satisfiable", 416, "The Range asked for lies outside the file";
    RateLimited = "rate-limited", 429, "Too many requests";
    UploadQuotaExceeded = "upload-quota-exceeded", 413, "The focal point's open uploads would pass their limit";
    ServerBusy = "server-busy", 503, "The server is serving as many connections as it can";
    InsufficientStorage = "insufficient-storage", 507, "The server's disk cannot hold the upload";
    Internal = "internal", 500, "Internal server error";
}

impl ProblemType {
    /// The `type` URI, e.g. `urn:paks:problem:checksum-mismatch`.
    pub fn uri(self) -> String {
        format!("urn:paks:problem:{}", self.slug())
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        let slug = uri.strip_prefix("urn:paks:problem:")?;
        Self::ALL.iter().copied().find(|t| t.slug() == slug)
    }
}

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            type_uri: kind.uri(),
            title: kind.title().to_owned(),
            status: kind.status(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// The known kind, if the server is one this crate knows.
    pub fn kind(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.type_uri)
    }
}
