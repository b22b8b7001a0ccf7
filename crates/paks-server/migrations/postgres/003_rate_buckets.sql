-- The per-token rate limit, shared by every instance: one token bucket per focal point.
-- `last_took` says whether the request that last touched the bucket got a token.
CREATE TABLE rate_buckets (
    focal_point_id BIGINT PRIMARY KEY REFERENCES focal_points (id),
    tokens DOUBLE PRECISION NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    last_took BOOLEAN NOT NULL
);
