-- One record per originator and canonical value: a second submission of
-- the same value by the same organization changes the record it already
-- has. Records stored before this may repeat a value; the key names the
-- oldest of them.
CREATE TABLE record_keys (
    originator TEXT NOT NULL,
    type       TEXT NOT NULL,
    value      TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    PRIMARY KEY (originator, type, value)
)${clustered};
INSERT INTO record_keys (originator, type, value, record_id)
    SELECT originator, type, value, MIN(id) FROM records GROUP BY originator, type, value;

-- Answers to requests sent with an Idempotency-Key, so that a retry gets
-- the first answer, for a day.
CREATE TABLE idempotency_keys (
    org          TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    route        TEXT NOT NULL,
    request_hash ${bytes} NOT NULL,
    status       INTEGER NOT NULL,
    answer       TEXT NOT NULL,
    created      BIGINT NOT NULL,
    PRIMARY KEY (org, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created);
