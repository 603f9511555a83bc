-- Tor network data for attribution: every imported consensus; per relay
-- address, intervals of consecutive consensuses in which it was listed with
-- the same attributes; and the exit scanner's observations. Times are Unix
-- seconds.
CREATE TABLE tor_consensuses (
    valid_after BIGINT PRIMARY KEY,
    fresh_until BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    relays      INTEGER NOT NULL
);

CREATE TABLE tor_intervals (
    addr        ${bytes} NOT NULL,   -- 4 or 16 bytes
    fingerprint TEXT NOT NULL,
    first       BIGINT NOT NULL,     -- valid-after of the first consensus
    last        BIGINT NOT NULL,     -- valid-after of the last consensus
    ends        BIGINT NOT NULL,     -- fresh-until of the last consensus
    consensuses INTEGER NOT NULL,    -- how many consensuses it spans
    nickname    TEXT NOT NULL,
    or_port     INTEGER NOT NULL,
    dir_port    INTEGER NOT NULL,
    flags       TEXT NOT NULL,       -- the "s" line
    exit_flag   BOOLEAN NOT NULL,    -- the Exit flag
    exit_policy BOOLEAN NOT NULL,    -- the "p" line accepts some port
    PRIMARY KEY (addr, fingerprint, first)
)${clustered};
CREATE INDEX tor_intervals_last ON tor_intervals(last);

CREATE TABLE tor_exit_scans (
    addr        ${bytes} NOT NULL,
    fingerprint TEXT NOT NULL,
    seen        BIGINT NOT NULL,
    published   BIGINT NOT NULL,
    last_status BIGINT NOT NULL,
    PRIMARY KEY (addr, fingerprint, seen)
)${clustered};
