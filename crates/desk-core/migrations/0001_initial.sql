-- The focal point who uses this copy of the app. One row.
CREATE TABLE profile (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    title       TEXT NOT NULL,
    institution TEXT NOT NULL,
    email       TEXT NOT NULL,
    country     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- One row per version of a case; a new version of a submitted case is a new row with the same uid.
CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    uid                TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    follows_submission TEXT,
    status             TEXT NOT NULL DEFAULT 'draft' CHECK (status IN
                         ('draft', 'queued', 'submitted', 'under_review', 'published',
                          'changes_requested')),
    submission_id      TEXT,
    review_comment     TEXT NOT NULL DEFAULT '',
    language           TEXT NOT NULL DEFAULT 'en',
    title              TEXT NOT NULL DEFAULT '',
    country            TEXT NOT NULL DEFAULT '',
    government_level   TEXT NOT NULL DEFAULT '',
    institutions       TEXT NOT NULL DEFAULT '',
    partners           TEXT NOT NULL DEFAULT '',
    start_year         TEXT NOT NULL DEFAULT '',
    stage              TEXT NOT NULL DEFAULT '',
    themes             TEXT NOT NULL DEFAULT '',
    summary            TEXT NOT NULL DEFAULT '',
    problem            TEXT NOT NULL DEFAULT '',
    solution           TEXT NOT NULL DEFAULT '',
    innovation         TEXT NOT NULL DEFAULT '',
    objectives         TEXT NOT NULL DEFAULT '',
    stakeholders       TEXT NOT NULL DEFAULT '',
    implementation     TEXT NOT NULL DEFAULT '',
    resources          TEXT NOT NULL DEFAULT '',
    ict_components     TEXT NOT NULL DEFAULT '',
    results            TEXT NOT NULL DEFAULT '',
    obstacles          TEXT NOT NULL DEFAULT '',
    sustainability     TEXT NOT NULL DEFAULT '',
    transferability    TEXT NOT NULL DEFAULT '',
    lessons_learned    TEXT NOT NULL DEFAULT '',
    related_policy     TEXT NOT NULL DEFAULT '',
    links              TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (uid, version)
) STRICT;

CREATE INDEX cases_by_updated ON cases (updated_at DESC, id DESC);

-- A case's links to MDG or SDG targets, optionally down to an MDG indicator ('' when none).
CREATE TABLE goal_links (
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    framework  TEXT NOT NULL CHECK (framework IN ('mdg', 'sdg')),
    target     TEXT NOT NULL,
    indicator  TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, framework, target, indicator)
) STRICT;

-- Meaningful states of a case. Rapid autosaves coalesce into the newest open 'autosave' row.
CREATE TABLE revisions (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('autosave', 'checkpoint', 'before_restore', 'restored')),
    label      TEXT NOT NULL DEFAULT '',
    snapshot   TEXT NOT NULL,
    chars      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX revisions_by_case ON revisions (case_id, id DESC);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
