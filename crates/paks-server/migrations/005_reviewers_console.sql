-- The reviewers' web console (/console): reviewer accounts, their sign-in sessions and the audit
-- log of review decisions. A decision may now also be `rejected`, so `submissions` is rebuilt
-- with the wider CHECK (SQLite cannot alter a CHECK); `SqliteMetadataStore` runs migrations
-- with foreign keys off, as SQLite's ALTER TABLE procedure asks, and checks them afterwards.
CREATE TABLE submissions_rebuilt (
    id TEXT PRIMARY KEY,
    case_uid TEXT NOT NULL,
    version INTEGER NOT NULL,
    replaces TEXT REFERENCES submissions (id),
    focal_point_id INTEGER NOT NULL REFERENCES focal_points (id),
    country TEXT NOT NULL,
    title TEXT NOT NULL,
    case_json TEXT NOT NULL,
    case_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('received', 'under_review', 'published',
                                         'changes_requested', 'rejected')),
    reviewer_comment TEXT,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    receipt_json TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (case_uid, version)
) STRICT;

INSERT INTO submissions_rebuilt (id, case_uid, version, replaces, focal_point_id, country, title,
    case_json, case_sha256, received_at, state, reviewer_comment, updated_at, published_at,
    receipt_json, withdrawn_at)
SELECT id, case_uid, version, replaces, focal_point_id, country, title, case_json, case_sha256,
    received_at, state, reviewer_comment, updated_at, published_at, receipt_json, withdrawn_at
FROM submissions;

DROP TABLE submissions;
ALTER TABLE submissions_rebuilt RENAME TO submissions;
CREATE UNIQUE INDEX submissions_replaces ON submissions (replaces) WHERE replaces IS NOT NULL;
CREATE INDEX submissions_state ON submissions (state, country);

-- `failed_sign_ins` counts wrong passwords since the last success or lock-out; `locked_until`
-- (Unix seconds) refuses every sign-in until then.
CREATE TABLE reviewers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER
) STRICT;

-- Only the SHA-256 of a session token is kept. Times are Unix seconds.
CREATE TABLE reviewer_sessions (
    token_sha256 TEXT PRIMARY KEY,
    reviewer_id INTEGER NOT NULL REFERENCES reviewers (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;

CREATE INDEX reviewer_sessions_reviewer ON reviewer_sessions (reviewer_id);

-- Every review decision, from the console (actor: the reviewer's e-mail) or the operator's CLI
-- (actor: `cli`). Never updated or deleted; kept when a reviewer is removed.
CREATE TABLE review_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    action TEXT NOT NULL,
    comment TEXT
) STRICT;

CREATE INDEX review_audit_submission ON review_audit (submission_id, id);
