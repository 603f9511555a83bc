-- Full-text search (PostgreSQL text search with the "simple"
-- configuration: no stemming, no stop words). Text is split into words by
-- package search before it is stored, so that PostgreSQL and SQLite FTS5
-- find the same things. See 0008_search.sqlite.sql for the two texts of a
-- record.
CREATE TABLE record_search (
    record_id    TEXT PRIMARY KEY,
    full_tsv     tsvector NOT NULL,
    redacted_tsv tsvector NOT NULL
);
CREATE INDEX record_search_full ON record_search USING GIN (full_tsv);
CREATE INDEX record_search_redacted ON record_search USING GIN (redacted_tsv);

CREATE TABLE report_search (
    report_id TEXT PRIMARY KEY,
    tsv       tsvector NOT NULL
);
CREATE INDEX report_search_tsv ON report_search USING GIN (tsv);
