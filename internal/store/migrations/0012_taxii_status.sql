-- TAXII status resources: what became of each POST of objects, for the
-- organization that posted them (kept a week).
CREATE TABLE taxii_status (
    id      TEXT PRIMARY KEY,
    org     TEXT NOT NULL,
    created BIGINT NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX taxii_status_created ON taxii_status(created);
