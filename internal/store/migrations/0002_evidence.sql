-- The hub's operator organizations: admins of these see the whole evidence log.
ALTER TABLE orgs ADD COLUMN operator BOOLEAN NOT NULL DEFAULT FALSE;

-- The evidence log: an append-only RFC 6962 Merkle tree. evidence_head holds
-- its size in one row, which every append locks; evidence_leaves the leaves
-- in canonical JSON; evidence_hashes the stored tree hashes as indexed by
-- golang.org/x/mod/sumdb/tlog (StoredHashIndex).
CREATE TABLE evidence_head (
    id   INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO evidence_head (id, size) VALUES (1, 0);

CREATE TABLE evidence_leaves (
    seq  ${int64pk},
    data ${bytes} NOT NULL
);

CREATE TABLE evidence_hashes (
    idx  ${int64pk},
    hash ${bytes} NOT NULL
);

-- Signed checkpoints (C2SP tlog-checkpoint as signed notes), one per size.
CREATE TABLE evidence_checkpoints (
    size    ${int64pk},
    root    ${bytes} NOT NULL,
    note    TEXT NOT NULL,
    created BIGINT NOT NULL
);
