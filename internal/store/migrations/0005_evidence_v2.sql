-- Evidence format 2. Each leaf carries an HMAC-SHA256 under a key kept
-- outside the database (derived from the hub's checkpoint signing key), so
-- that whoever can write the database but not read the hub's secrets can
-- neither forge nor edit a leaf.
ALTER TABLE evidence_leaves ADD COLUMN mac ${bytes};

-- Tor imports: one row per import, written with its evidence leaf. files is
-- JSON: [{"name":..., "sha256":..., "bytes":...}].
CREATE TABLE tor_imports (
    id            TEXT PRIMARY KEY,
    imported      BIGINT NOT NULL,
    files         TEXT NOT NULL,
    consensuses   INTEGER NOT NULL,
    skipped       INTEGER NOT NULL,
    relay_entries INTEGER NOT NULL,
    intervals     INTEGER NOT NULL,
    exit_lists    INTEGER NOT NULL,
    exit_scans    INTEGER NOT NULL
);

-- What this hub, acting as a witness, last co-signed for each log it
-- witnesses (C2SP tlog-witness): the newest checkpoint per origin.
CREATE TABLE witness_logs (
    origin  TEXT PRIMARY KEY,
    size    BIGINT NOT NULL,
    root    ${bytes} NOT NULL,
    note    TEXT NOT NULL,
    updated BIGINT NOT NULL
);

-- Earlier versions of reports keep their stored body exactly, and the ids of
-- the records they grouped (a JSON array, sorted).
ALTER TABLE report_versions ADD COLUMN records TEXT NOT NULL DEFAULT '[]';
