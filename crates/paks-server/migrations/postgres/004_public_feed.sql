-- PostgreSQL twin of ../003_public_feed.sql: the public change feed and withdrawals.
CREATE TABLE public_feed (
    case_uid TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    withdrawn BOOLEAN NOT NULL,
    -- Unix seconds: the OAI-PMH datestamp.
    changed_at BIGINT NOT NULL
);

CREATE INDEX public_feed_changed_at ON public_feed (changed_at, seq);

-- The feed's last seq, in one row. A writer locks it first and takes the next seq from it, so
-- seq order is commit order across instances (a SEQUENCE hands numbers out in call order, and a
-- reader could see seq N+1 committed before N and skip N for ever).
CREATE TABLE public_feed_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    seq BIGINT NOT NULL
);

ALTER TABLE submissions ADD COLUMN withdrawn_at TEXT;

INSERT INTO public_feed (case_uid, seq, submission_id, withdrawn, changed_at)
SELECT s.case_uid,
       ROW_NUMBER() OVER (ORDER BY s.published_at, s.id),
       s.id,
       FALSE,
       EXTRACT(EPOCH FROM COALESCE(s.published_at, s.updated_at)::TIMESTAMPTZ)::BIGINT
FROM submissions s
WHERE s.state = 'published'
  AND NOT EXISTS (SELECT 1 FROM submissions n WHERE n.case_uid = s.case_uid
                  AND n.state = 'published' AND n.version > s.version);

INSERT INTO public_feed_head (singleton, seq)
SELECT TRUE, COALESCE(MAX(seq), 0) FROM public_feed;
