-- The order TAXII serves objects in: one row per stored version of a
-- record or report and per organization, seq in commit order (writers take
-- the feed's lock before they append), added the time it was stored, never
-- earlier than the row before it. A TAXII page cursor is a seq; added_after
-- is a time. Rows already stored are appended by the migration's Go step in
-- the order of their update times.
CREATE TABLE stix_feed (
    seq     ${int64pk},
    added   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    ref     TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX stix_feed_added ON stix_feed(added);
CREATE INDEX stix_feed_ref ON stix_feed(ref, version);
