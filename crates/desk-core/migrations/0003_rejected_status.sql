-- PAKS may now reject a submission for good (the reviewers' console): a case can be
-- `rejected`. SQLite cannot widen a CHECK, so `cases` is rebuilt with the same columns;
-- `migrations::apply` runs with foreign keys off, as SQLite's ALTER TABLE procedure asks, and
-- this step checks them before it commits.
CREATE TABLE cases_rebuilt (
    id                 INTEGER PRIMARY KEY,
    uid                TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    follows_submission TEXT,
    status             TEXT NOT NULL DEFAULT 'draft' CHECK (status IN
                         ('draft', 'queued', 'submitted', 'under_review', 'published',
                          'changes_requested', 'rejected')),
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

INSERT INTO cases_rebuilt (id, uid, version, follows_submission, status, submission_id, review_comment, language, title, country, government_level, institutions, partners, start_year, stage, themes, summary, problem, solution, innovation, objectives, stakeholders, implementation, resources, ict_components, results, obstacles, sustainability, transferability, lessons_learned, related_policy, links, created_at, updated_at)
SELECT id, uid, version, follows_submission, status, submission_id, review_comment, language, title, country, government_level, institutions, partners, start_year, stage, themes, summary, problem, solution, innovation, objectives, stakeholders, implementation, resources, ict_components, results, obstacles, sustainability, transferability, lessons_learned, related_policy, links, created_at, updated_at FROM cases;

DROP TABLE cases;
ALTER TABLE cases_rebuilt RENAME TO cases;
CREATE INDEX cases_by_updated ON cases (updated_at DESC, id DESC);
