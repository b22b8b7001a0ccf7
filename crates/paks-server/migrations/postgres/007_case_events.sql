-- Mirrors migrations/006_case_events.sql: the event a case belongs to, set by the operator.
CREATE TABLE case_events (
    case_uid TEXT PRIMARY KEY,
    event TEXT NOT NULL CHECK (char_length(event) BETWEEN 1 AND 500),
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL
);

CREATE INDEX case_events_by_event ON case_events (event);
