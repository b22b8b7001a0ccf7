-- PostgreSQL twin of ../002_idempotency_leases.sql.
ALTER TABLE idempotency_keys ADD COLUMN lease_token TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at BIGINT;

CREATE TABLE deleted_uploads (
    upload_id TEXT PRIMARY KEY,
    deleted_at BIGINT NOT NULL
);
