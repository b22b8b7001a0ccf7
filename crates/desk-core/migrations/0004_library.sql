-- The library: the region's published cases, as PAKS's public change feed gives them. Kept apart
-- from the user's own cases (no row here is ever a draft) and written only by the library sync.
CREATE TABLE library_cases (
    id            INTEGER PRIMARY KEY,
    case_uid      TEXT NOT NULL UNIQUE,
    submission_id TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    country       TEXT NOT NULL,
    language      TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    html_url      TEXT NOT NULL,
    -- The published case document (paks_protocol::CaseDocument) as JSON, for `show`.
    document      TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    stored_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX library_cases_by_country ON library_cases (country);

CREATE TABLE library_goal_links (
    library_case_id INTEGER NOT NULL REFERENCES library_cases (id) ON DELETE CASCADE,
    framework       TEXT NOT NULL CHECK (framework IN ('mdg', 'sdg')),
    target          TEXT NOT NULL,
    PRIMARY KEY (library_case_id, framework, target)
) STRICT;

CREATE INDEX library_goal_links_by_target ON library_goal_links (framework, target);

-- A published file of a library case (its bytes are not here: see `library_blobs`).
CREATE TABLE library_files (
    library_case_id INTEGER NOT NULL REFERENCES library_cases (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position >= 0),
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size >= 0),
    sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
    url             TEXT NOT NULL,
    PRIMARY KEY (library_case_id, position)
) STRICT;

CREATE INDEX library_files_by_sha256 ON library_files (sha256);

-- Files downloaded on demand (opened) and verified, in `library/<sha256>` of the data folder;
-- dropped, least recently opened first, when they no longer fit under the storage cap.
CREATE TABLE library_blobs (
    sha256    TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size      INTEGER NOT NULL CHECK (size >= 0),
    opened_at INTEGER NOT NULL
) STRICT;

CREATE INDEX library_blobs_by_opened ON library_blobs (opened_at);

-- Files whose text was read (once downloaded), and how it went (desk_core::IndexStatus), so a
-- file without text (a scan without OCR, a picture) is not downloaded again to try.
CREATE TABLE library_file_reads (
    sha256  TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    status  TEXT NOT NULL,
    read_at INTEGER NOT NULL
) STRICT;

-- What library search looks in, as `search_text` is for the user's cases (same tokenizers), in
-- indexes of their own so that searching the user's cases costs what it did before: one row per
-- (case, field), and per (case, file, page or slide) once a file's text was read (field 'file').
CREATE TABLE library_text (
    id              INTEGER PRIMARY KEY,
    library_case_id INTEGER NOT NULL REFERENCES library_cases (id) ON DELETE CASCADE,
    field           TEXT NOT NULL,
    sha256          TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
    unit            INTEGER,
    unit_label      TEXT,
    text            TEXT NOT NULL,
    grams           TEXT NOT NULL,
    CHECK ((field = 'file') = (sha256 IS NOT NULL AND unit IS NOT NULL))
) STRICT;

CREATE INDEX library_text_by_case ON library_text (library_case_id);
CREATE INDEX library_text_by_file ON library_text (sha256) WHERE sha256 IS NOT NULL;

CREATE VIRTUAL TABLE library_words USING fts5 (
    text, grams,
    content = 'library_text', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);

CREATE VIRTUAL TABLE library_trigram USING fts5 (
    text,
    content = 'library_text', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER library_text_ai AFTER INSERT ON library_text BEGIN
    INSERT INTO library_words (rowid, text, grams) VALUES (new.id, new.text, new.grams);
    INSERT INTO library_trigram (rowid, text) SELECT new.id, new.text WHERE new.grams <> '';
END;

CREATE TRIGGER library_text_ad AFTER DELETE ON library_text BEGIN
    INSERT INTO library_words (library_words, rowid, text, grams)
        VALUES ('delete', old.id, old.text, old.grams);
    INSERT INTO library_trigram (library_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.grams <> '';
END;

-- One row: where the change feed was last read up to (advanced in the transaction that stores
-- the page it ends).
CREATE TABLE library_sync (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    cursor     TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
) STRICT;
