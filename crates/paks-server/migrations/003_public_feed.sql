-- The public change feed (`GET /api/v1/public/changes`, OAI-PMH): one row per case that was
-- ever published, holding its newest published version (`submission_id`) or, once withdrawn, a
-- tombstone naming the last version it showed. Every change to the row takes the next `seq`
-- inside the transaction that makes the change, so a reader that has seen `seq` N has seen
-- every change committed before N; rows are never deleted, so a `seq` is never reused.
CREATE TABLE public_feed (
    case_uid TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    withdrawn INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),
    -- Unix seconds: the OAI-PMH datestamp.
    changed_at INTEGER NOT NULL
) STRICT;

CREATE INDEX public_feed_changed_at ON public_feed (changed_at, seq);

-- Set on every version of a case the operator withdrew from the public space (RFC 3339).
ALTER TABLE submissions ADD COLUMN withdrawn_at TEXT;

-- Cases published before this migration enter the feed in the order they were published.
INSERT INTO public_feed (case_uid, seq, submission_id, withdrawn, changed_at)
SELECT s.case_uid,
       ROW_NUMBER() OVER (ORDER BY s.published_at, s.id),
       s.id,
       0,
       CAST(strftime('%s', COALESCE(s.published_at, s.updated_at)) AS INTEGER)
FROM submissions s
WHERE s.state = 'published'
  AND NOT EXISTS (SELECT 1 FROM submissions n WHERE n.case_uid = s.case_uid
                  AND n.state = 'published' AND n.version > s.version);
