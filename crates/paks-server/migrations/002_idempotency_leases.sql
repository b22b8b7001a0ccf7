-- A claim on an idempotency key is a lease: `lease_token` names the worker holding it (its
-- commit and its release must name it too), `lease_expires_at` (Unix seconds) is when it lapses
-- unless renewed. An unanswered claim without a lease (written before this migration) has lapsed.
ALTER TABLE idempotency_keys ADD COLUMN lease_token TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at INTEGER;

-- Uploads a DELETE or the expiry sweeper has claimed for deletion. Claiming and attaching an
-- upload to a submission are both SQLite transactions that look at the other, so exactly one of
-- them wins.
CREATE TABLE deleted_uploads (
    upload_id TEXT PRIMARY KEY,
    deleted_at INTEGER NOT NULL
) STRICT;
