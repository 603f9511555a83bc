-- Organizations, sharing groups and API tokens.
CREATE TABLE orgs (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    country TEXT NOT NULL,
    sector  TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE sharing_groups (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    owner   TEXT NOT NULL REFERENCES orgs(id),
    created BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES sharing_groups(id),
    org_id   TEXT NOT NULL REFERENCES orgs(id),
    added    BIGINT NOT NULL,
    PRIMARY KEY (group_id, org_id)
)${clustered};
CREATE INDEX group_members_org ON group_members(org_id);

CREATE TABLE tokens (
    id        TEXT PRIMARY KEY,
    org_id    TEXT NOT NULL REFERENCES orgs(id),
    role      TEXT NOT NULL,
    name      TEXT NOT NULL,
    hash      ${bytes} NOT NULL UNIQUE,
    created   BIGINT NOT NULL,
    revoked   BIGINT,
    last_used BIGINT
);
CREATE INDEX tokens_org ON tokens(org_id);

-- Records: the indexed columns are copies of fields of body (the record's JSON).
-- Ids are UUIDv7: their text order is creation order, which pagination uses.
CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    value        TEXT NOT NULL,
    originator   TEXT NOT NULL REFERENCES orgs(id),
    tlp          TEXT NOT NULL,
    personal     BOOLEAN NOT NULL,
    discoverable BOOLEAN NOT NULL,
    created      BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    revoked      BIGINT,
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX records_value ON records(value, type);
CREATE INDEX records_originator ON records(originator, id);
CREATE INDEX records_updated ON records(updated);

-- What lists look records up by, one row per term: "o:ORG" and "g:GROUP"
-- for audience entries, "l:LABEL" for labels. Clustered in lookup order; an
-- update deletes the previous version's terms by their exact keys.
CREATE TABLE record_terms (
    term      TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (term, record_id)
)${clustered};

-- Earlier versions of records and reports: nothing is overwritten without a trace.
CREATE TABLE record_versions (
    record_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
)${clustered};

CREATE TABLE reports (
    id         TEXT PRIMARY KEY,
    originator TEXT NOT NULL REFERENCES orgs(id),
    tlp        TEXT NOT NULL,
    created    BIGINT NOT NULL,
    updated    BIGINT NOT NULL,
    revoked    BIGINT,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX reports_originator ON reports(originator, id);

-- Audience terms of reports, as in record_terms.
CREATE TABLE report_terms (
    term      TEXT NOT NULL,
    report_id TEXT NOT NULL,
    PRIMARY KEY (term, report_id)
)${clustered};

CREATE TABLE report_records (
    report_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (report_id, record_id)
)${clustered};
CREATE INDEX report_records_record ON report_records(record_id);

CREATE TABLE report_versions (
    report_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
)${clustered};
