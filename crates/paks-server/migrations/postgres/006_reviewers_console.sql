-- PostgreSQL twin of ../005_reviewers_console.sql: a decision may be `rejected`; reviewer
-- accounts, sessions and the audit log of review decisions.
ALTER TABLE submissions DROP CONSTRAINT submissions_state_check;
ALTER TABLE submissions ADD CONSTRAINT submissions_state_check CHECK (state IN ('received',
    'under_review', 'published', 'changes_requested', 'rejected'));

CREATE TABLE reviewers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT
);

CREATE TABLE reviewer_sessions (
    token_sha256 TEXT PRIMARY KEY,
    reviewer_id BIGINT NOT NULL REFERENCES reviewers (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE INDEX reviewer_sessions_reviewer ON reviewer_sessions (reviewer_id);

CREATE TABLE review_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    action TEXT NOT NULL,
    comment TEXT
);

CREATE INDEX review_audit_submission ON review_audit (submission_id, id);
