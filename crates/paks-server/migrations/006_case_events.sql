-- The event a case belongs to (e.g. "Special Workshop on ICT Access and e-Government for
-- Achieving the MDGs, Seoul, 18 June 2010"), set by the operator: `paks-server publication
-- build --event` makes the proceedings of an event from its published cases. One event per case,
-- whatever its version.
CREATE TABLE case_events (
    case_uid TEXT PRIMARY KEY,
    event TEXT NOT NULL CHECK (length(event) BETWEEN 1 AND 500),
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL
) STRICT;

CREATE INDEX case_events_by_event ON case_events (event);
