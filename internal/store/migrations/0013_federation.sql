-- Federation: the partner hubs this hub pulls a TAXII collection from
-- (their tokens are kept in the data directory's secrets, not here), what
-- was received from other hubs' sightings and notes (to count each once),
-- and what this hub last sent each partner.
CREATE TABLE federation_partners (
    name        TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    collection  TEXT NOT NULL,
    org         TEXT NOT NULL REFERENCES orgs(id),
    every_ms    BIGINT NOT NULL,
    amber_group TEXT NOT NULL DEFAULT '',
    added_after TEXT NOT NULL DEFAULT '',
    last_run    BIGINT,
    last_error  TEXT NOT NULL DEFAULT '',
    pulled      BIGINT NOT NULL DEFAULT 0,
    sent        BIGINT NOT NULL DEFAULT 0,
    created     BIGINT NOT NULL
);

CREATE TABLE received_objects (
    org       TEXT NOT NULL,
    stix_id   TEXT NOT NULL,
    record_id TEXT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (org, stix_id)
)${clustered};

CREATE TABLE federation_sent (
    partner  TEXT NOT NULL,
    stix_id  TEXT NOT NULL,
    count    BIGINT NOT NULL,
    last     BIGINT NOT NULL,
    PRIMARY KEY (partner, stix_id)
)${clustered};
