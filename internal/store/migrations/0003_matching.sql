-- An organization may choose to appear to originators only as its sector
-- and country in feedback.
ALTER TABLE orgs ADD COLUMN anonymous_feedback BOOLEAN NOT NULL DEFAULT FALSE;

-- Sightings: matches of a record in an organization's traffic, aggregated
-- per hour (Unix hour), never one row per event.
CREATE TABLE sightings (
    record_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    hour      BIGINT NOT NULL,
    count     BIGINT NOT NULL,
    first     BIGINT NOT NULL,
    last      BIGINT NOT NULL,
    PRIMARY KEY (record_id, org_id, hour)
)${clustered};

-- Feedback from recipients to originators.
CREATE TABLE feedback (
    id        TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    token_id  TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    note      TEXT NOT NULL,
    created   BIGINT NOT NULL
);
CREATE INDEX feedback_record ON feedback(record_id);

-- Access requests from hit/no-hit to a record's owner.
CREATE TABLE access_requests (
    id        TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    owner     TEXT NOT NULL,
    requester TEXT NOT NULL,
    purpose   TEXT NOT NULL,
    status    TEXT NOT NULL,
    reason    TEXT NOT NULL,
    created   BIGINT NOT NULL,
    decided   BIGINT
);
CREATE INDEX access_requests_owner ON access_requests(owner, status);
CREATE INDEX access_requests_requester ON access_requests(requester, created);

-- Hit/no-hit queries: the keyed hashes of the values asked about, committed
-- to by the query's evidence leaf (SHA-256 over the sorted hashes).
CREATE TABLE hit_queries (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    token_id TEXT NOT NULL,
    created  BIGINT NOT NULL,
    hashes   ${bytes} NOT NULL
);
