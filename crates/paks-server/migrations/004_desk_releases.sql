-- PAKS Desk releases the operator published (`paks-server release add`): the desks' update feed.
-- `target` is Tauri's (linux, windows), `arch` its architecture (x86_64); the file is kept in
-- the data folder under releases/<sha256>; `signature` is the minisign signature as Tauri's
-- signer writes it (base64 of the .sig file).
CREATE TABLE desk_releases (
    target TEXT NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    notes TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (target, arch, version)
) STRICT;
