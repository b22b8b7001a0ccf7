-- PostgreSQL twin of ../004_desk_releases.sql: PAKS Desk releases (the desks' update feed).
CREATE TABLE desk_releases (
    target TEXT NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    notes TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (target, arch, version)
);
