-- Full-text search (SQLite FTS5). Text is split into words by package
-- search before it is stored, one space apart, so that FTS5 and
-- PostgreSQL find the same things; FTS5 keeps only the index
-- (contentless), and rows are deleted by rowid.
--
-- A record has two texts: "full", what a caller who may see it in full can
-- find it by (value, description, labels, tags, reference), and
-- "redacted", what one who sees it redacted can (labels, tags, reference).
-- The FTS rowid of a record is its rid here (an INTEGER PRIMARY KEY, which
-- VACUUM keeps).
CREATE TABLE record_search_rows (
    rid       INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE record_search USING fts5(full, redacted, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

CREATE TABLE report_search_rows (
    rid       INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE report_search USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
