-- The feed is read one kind at a time (records, reports, organizations),
-- each from a cursor on: without this index a page scanned every later row
-- of the feed for the kinds it has few of (no reports left: the whole
-- feed), so a first page took longer the bigger the hub.
CREATE INDEX stix_feed_kind ON stix_feed(kind, seq);
