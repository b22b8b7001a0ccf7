-- Filters as words. Each search row carries, in a column of its own, tokens for what a filter
-- asks of the cases that hold it: `fclao` (country), `fsdraft` (status), `fm8` and `fm8xf`
-- (MDG goal and target), and in the library `fg16` and `fg16x6` (SDG). A filtered search is
-- then one FTS5 query in which the words and the filter intersect inside the index, instead of
-- a scan of every match tested against the rows the filter keeps (a second per search once
-- whole manuals of other countries are in the store). Only rows of the newest version of a
-- case carry tokens; a file's pages carry those of every case that holds it.

DROP TRIGGER search_text_ai;
DROP TRIGGER search_text_ad;
DROP TRIGGER search_text_au;
DROP TRIGGER library_text_ai;
DROP TRIGGER library_text_ad;

ALTER TABLE search_text ADD COLUMN facets TEXT NOT NULL DEFAULT '';
ALTER TABLE library_text ADD COLUMN facets TEXT NOT NULL DEFAULT '';

-- A goal link as tokens: its goal, and its target when it names one ('8.F': 'fm8 fm8xf').
CREATE VIEW goal_link_tokens (case_id, tokens) AS
SELECT case_id,
       'fm' || lower(CASE WHEN instr(target, '.') > 0
                          THEN substr(target, 1, instr(target, '.') - 1) ELSE target END)
       || CASE WHEN instr(target, '.') > 0 THEN ' fm' || lower(replace(target, '.', 'x'))
               ELSE '' END
FROM goal_links WHERE framework = 'mdg';

CREATE VIEW case_facets (case_id, facets) AS
SELECT c.id,
       CASE WHEN EXISTS (SELECT 1 FROM cases v WHERE v.uid = c.uid AND v.version > c.version)
            THEN ''
            ELSE ' fc' || lower(c.country) || ' fs' || replace(c.status, '_', '') || ' '
                 || coalesce((SELECT group_concat(g.tokens, ' ') FROM goal_link_tokens g
                              WHERE g.case_id = c.id) || ' ', '')
       END
FROM cases c;

CREATE VIEW blob_facets (sha256, facets) AS
SELECT b.sha256,
       coalesce((SELECT group_concat(f.facets, '') FROM attachments a
                 JOIN case_facets f ON f.case_id = a.case_id
                 WHERE a.sha256 = b.sha256 AND f.facets <> ''), '')
FROM blobs b;

CREATE VIEW library_case_facets (library_case_id, facets) AS
SELECT c.id,
       ' fc' || lower(c.country) || ' '
       || coalesce((SELECT group_concat(
                        CASE g.framework WHEN 'mdg' THEN 'fm' ELSE 'fg' END
                        || lower(CASE WHEN instr(g.target, '.') > 0
                                      THEN substr(g.target, 1, instr(g.target, '.') - 1)
                                      ELSE g.target END)
                        || CASE WHEN instr(g.target, '.') > 0
                                THEN ' ' || CASE g.framework WHEN 'mdg' THEN 'fm' ELSE 'fg' END
                                     || lower(replace(g.target, '.', 'x'))
                                ELSE '' END, ' ')
                    FROM library_goal_links g WHERE g.library_case_id = c.id) || ' ', '')
FROM library_cases c;

UPDATE search_text
SET facets = coalesce((SELECT facets FROM case_facets WHERE case_id = search_text.case_id), '')
WHERE case_id IS NOT NULL;
UPDATE search_text
SET facets = coalesce((SELECT facets FROM blob_facets WHERE sha256 = search_text.sha256), '')
WHERE sha256 IS NOT NULL;
UPDATE library_text
SET facets = coalesce((SELECT facets FROM library_case_facets
                       WHERE library_case_id = library_text.library_case_id), '');

DROP TABLE search_words;
CREATE VIRTUAL TABLE search_words USING fts5 (
    text, grams, facets,
    content = 'search_text', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO search_words (search_words) VALUES ('rebuild');

DROP TABLE library_words;
CREATE VIRTUAL TABLE library_words USING fts5 (
    text, grams, facets,
    content = 'library_text', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO library_words (library_words) VALUES ('rebuild');

CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO search_words (rowid, text, grams, facets)
        VALUES (new.id, new.text, new.grams, new.facets);
    INSERT INTO search_trigram (rowid, text)
        SELECT new.id, new.text WHERE new.grams IS NULL OR new.grams <> '';
END;

CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN
    INSERT INTO search_words (search_words, rowid, text, grams, facets)
        VALUES ('delete', old.id, old.text, old.grams, old.facets);
    INSERT INTO search_trigram (search_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.grams IS NULL OR old.grams <> '';
END;

-- A change of tokens alone leaves the trigram index (it holds no tokens) alone.
CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_words (search_words, rowid, text, grams, facets)
        VALUES ('delete', old.id, old.text, old.grams, old.facets);
    INSERT INTO search_trigram (search_trigram, rowid, text)
        SELECT 'delete', old.id, old.text
        WHERE (old.grams IS NULL OR old.grams <> '')
          AND (old.text IS NOT new.text OR old.grams IS NOT new.grams);
    INSERT INTO search_words (rowid, text, grams, facets)
        VALUES (new.id, new.text, new.grams, new.facets);
    INSERT INTO search_trigram (rowid, text)
        SELECT new.id, new.text
        WHERE (new.grams IS NULL OR new.grams <> '')
          AND (old.text IS NOT new.text OR old.grams IS NOT new.grams);
END;

CREATE TRIGGER library_text_ai AFTER INSERT ON library_text BEGIN
    INSERT INTO library_words (rowid, text, grams, facets)
        VALUES (new.id, new.text, new.grams, new.facets);
    INSERT INTO library_trigram (rowid, text) SELECT new.id, new.text WHERE new.grams <> '';
END;

CREATE TRIGGER library_text_ad AFTER DELETE ON library_text BEGIN
    INSERT INTO library_words (library_words, rowid, text, grams, facets)
        VALUES ('delete', old.id, old.text, old.grams, old.facets);
    INSERT INTO library_trigram (library_trigram, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.grams <> '';
END;

-- What changed a case's tokens, written by triggers and turned into new tokens by the app once
-- per transaction, just before it commits (`search::refresh_stale_facets`): a case's status,
-- links and files can change several times in one transaction (restoring a revision), and
-- rewriting the pages of a long manual costs a second.
CREATE TABLE stale_facets (
    case_id INTEGER,
    sha256  TEXT,
    CHECK ((case_id IS NULL) <> (sha256 IS NULL))
) STRICT;

CREATE TRIGGER facets_case_added AFTER INSERT ON cases BEGIN
    INSERT INTO stale_facets (case_id) SELECT id FROM cases WHERE uid = new.uid;
END;

CREATE TRIGGER facets_case_changed AFTER UPDATE OF uid, version, country, status ON cases BEGIN
    INSERT INTO stale_facets (case_id) SELECT id FROM cases WHERE uid IN (old.uid, new.uid);
END;

CREATE TRIGGER facets_case_removed AFTER DELETE ON cases BEGIN
    INSERT INTO stale_facets (case_id) SELECT id FROM cases WHERE uid = old.uid;
END;

CREATE TRIGGER facets_link_added AFTER INSERT ON goal_links BEGIN
    INSERT INTO stale_facets (case_id) VALUES (new.case_id);
END;

CREATE TRIGGER facets_link_changed AFTER UPDATE OF case_id, framework, target ON goal_links BEGIN
    INSERT INTO stale_facets (case_id) VALUES (old.case_id), (new.case_id);
END;

CREATE TRIGGER facets_link_removed AFTER DELETE ON goal_links BEGIN
    INSERT INTO stale_facets (case_id) VALUES (old.case_id);
END;

CREATE TRIGGER facets_file_added AFTER INSERT ON attachments BEGIN
    INSERT INTO stale_facets (sha256) VALUES (new.sha256);
END;

CREATE TRIGGER facets_file_removed AFTER DELETE ON attachments BEGIN
    INSERT INTO stale_facets (sha256) VALUES (old.sha256);
END;
