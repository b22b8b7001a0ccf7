-- PostgreSQL twin of ../001_initial.sql: the same tables and constraints. Times stay RFC 3339
-- text, as in SQLite, so both stores order and compare them alike.
CREATE TABLE focal_points (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    country TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE idempotency_keys (
    focal_point_id BIGINT NOT NULL REFERENCES focal_points (id),
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    PRIMARY KEY (focal_point_id, key)
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    case_uid TEXT NOT NULL,
    version BIGINT NOT NULL,
    replaces TEXT REFERENCES submissions (id),
    focal_point_id BIGINT NOT NULL REFERENCES focal_points (id),
    country TEXT NOT NULL,
    title TEXT NOT NULL,
    case_json TEXT NOT NULL,
    case_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('received', 'under_review', 'published', 'changes_requested')),
    reviewer_comment TEXT,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    receipt_json TEXT NOT NULL,
    UNIQUE (case_uid, version)
);

CREATE UNIQUE INDEX submissions_replaces ON submissions (replaces) WHERE replaces IS NOT NULL;
CREATE INDEX submissions_state ON submissions (state, country);

CREATE TABLE submission_mdg_targets (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    target TEXT NOT NULL,
    PRIMARY KEY (submission_id, target)
);

CREATE TABLE submission_files (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    position BIGINT NOT NULL,
    upload_id TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (submission_id, position)
);

CREATE INDEX submission_files_upload ON submission_files (upload_id);
