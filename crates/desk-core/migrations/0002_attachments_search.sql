-- Attachments: files stored once per content (SHA-256), attached to draft cases.
CREATE TABLE blobs (
    sha256        TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size          INTEGER NOT NULL CHECK (size > 0),
    kind          TEXT NOT NULL,
    index_status  TEXT NOT NULL DEFAULT 'pending' CHECK (index_status IN
                    ('pending', 'indexed', 'partly_indexed', 'no_text_layer',
                     'password_protected', 'damaged', 'timed_out', 'memory_limit',
                     'not_supported')),
    index_message TEXT NOT NULL DEFAULT '',
    engine        TEXT NOT NULL DEFAULT '',
    units         INTEGER,
    unit_label    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    indexed_at    INTEGER
) STRICT;

CREATE INDEX blobs_pending ON blobs (created_at) WHERE index_status = 'pending';

CREATE TABLE attachments (
    case_id             INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    sha256              TEXT NOT NULL REFERENCES blobs (sha256),
    name                TEXT NOT NULL,
    extension_disagrees TEXT,
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (case_id, sha256)
) STRICT;

CREATE INDEX attachments_by_blob ON attachments (sha256);

-- What search looks in: one row per (case, field) and per (file, page or slide).
-- `grams` holds bigrams of text in scripts written without spaces (Thai, Lao, Khmer, Burmese,
-- Chinese, Japanese), so one- and two-character words are found; NULL until the app computes it.
CREATE TABLE search_text (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER REFERENCES cases (id) ON DELETE CASCADE,
    field      TEXT,
    sha256     TEXT REFERENCES blobs (sha256) ON DELETE CASCADE,
    unit       INTEGER,
    unit_label TEXT,
    text       TEXT NOT NULL,
    grams      TEXT,
    CHECK ((case_id IS NOT NULL AND field IS NOT NULL AND sha256 IS NULL)
        OR (case_id IS NULL AND sha256 IS NOT NULL AND unit IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX search_text_by_field ON search_text (case_id, field) WHERE case_id IS NOT NULL;
CREATE INDEX search_text_by_blob ON search_text (sha256, unit) WHERE sha256 IS NOT NULL;
CREATE INDEX search_text_grams_pending ON search_text (id) WHERE grams IS NULL;

-- Words (marks included, so Devanagari and Thai vowel signs do not split words).
CREATE VIRTUAL TABLE search_words USING fts5 (
    text, grams,
    content = 'search_text', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);

-- Substrings of three or more characters, only for text in scripts without spaces.
CREATE VIRTUAL TABLE search_trigram USING fts5 (
    text,
    content = 'search_text', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO search_words (rowid, text, grams) VALUES (new.id, new.text, new.grams);
    INSERT INTO search_trigram (rowid, text)
        SELECT new.id, new.text WHERE new.grams IS NULL OR new.grams <> '';
END;

CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN
    INSERT INTO search_words (search_words, rowid, text, grams)
        VALUES ('delete', old.id, old.text, old.grams);
    INSERT INTO search_trigram (search_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.grams IS NULL OR old.grams <> '';
END;

CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_words (search_words, rowid, text, grams)
        VALUES ('delete', old.id, old.text, old.grams);
    INSERT INTO search_trigram (search_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.grams IS NULL OR old.grams <> '';
    INSERT INTO search_words (rowid, text, grams) VALUES (new.id, new.text, new.grams);
    INSERT INTO search_trigram (rowid, text)
        SELECT new.id, new.text WHERE new.grams IS NULL OR new.grams <> '';
END;

-- Existing case fields; their bigrams are computed by the app on first search.
INSERT INTO search_text (case_id, field, text)
SELECT id, 'title', title FROM cases WHERE title <> ''
UNION ALL SELECT id, 'country', country FROM cases WHERE country <> ''
UNION ALL SELECT id, 'language', language FROM cases WHERE language <> ''
UNION ALL SELECT id, 'government_level', government_level FROM cases WHERE government_level <> ''
UNION ALL SELECT id, 'institutions', institutions FROM cases WHERE institutions <> ''
UNION ALL SELECT id, 'partners', partners FROM cases WHERE partners <> ''
UNION ALL SELECT id, 'start_year', start_year FROM cases WHERE start_year <> ''
UNION ALL SELECT id, 'stage', stage FROM cases WHERE stage <> ''
UNION ALL SELECT id, 'themes', themes FROM cases WHERE themes <> ''
UNION ALL SELECT id, 'summary', summary FROM cases WHERE summary <> ''
UNION ALL SELECT id, 'problem', problem FROM cases WHERE problem <> ''
UNION ALL SELECT id, 'solution', solution FROM cases WHERE solution <> ''
UNION ALL SELECT id, 'innovation', innovation FROM cases WHERE innovation <> ''
UNION ALL SELECT id, 'objectives', objectives FROM cases WHERE objectives <> ''
UNION ALL SELECT id, 'stakeholders', stakeholders FROM cases WHERE stakeholders <> ''
UNION ALL SELECT id, 'implementation', implementation FROM cases WHERE implementation <> ''
UNION ALL SELECT id, 'resources', resources FROM cases WHERE resources <> ''
UNION ALL SELECT id, 'ict_components', ict_components FROM cases WHERE ict_components <> ''
UNION ALL SELECT id, 'results', results FROM cases WHERE results <> ''
UNION ALL SELECT id, 'obstacles', obstacles FROM cases WHERE obstacles <> ''
UNION ALL SELECT id, 'sustainability', sustainability FROM cases WHERE sustainability <> ''
UNION ALL SELECT id, 'transferability', transferability FROM cases WHERE transferability <> ''
UNION ALL SELECT id, 'lessons_learned', lessons_learned FROM cases WHERE lessons_learned <> ''
UNION ALL SELECT id, 'related_policy', related_policy FROM cases WHERE related_policy <> ''
UNION ALL SELECT id, 'links', links FROM cases WHERE links <> '';
