-- The events each organization's sightings were counted from, so that an
-- event sent twice (the same Zeek uid, or the same log line) counts once.
-- A dedupe index, not evidence: the counts it guards are in the sightings
-- table and the log. Kept as long as the sightings themselves.
CREATE TABLE sighting_events (
    org_id    TEXT NOT NULL,
    record_id TEXT NOT NULL,
    event     ${bytes} NOT NULL,
    hour      BIGINT NOT NULL,
    PRIMARY KEY (org_id, record_id, event)
)${clustered};
