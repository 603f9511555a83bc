-- The inline screeners' bookings (hub.Screen, hub.ScreenWithPackage): the
-- bookings each organization's screener holds, as hashed JSON lines
-- (screen.Booking.AppendJSON: names, card numbers and accounts only as
-- keyed hashes, cards as their BIN), appended in chunks by the daemon every
-- two seconds and when it stops, so that a restarted hub rebuilds each screener
-- by screening them again in order. scope is "" for the built-in package,
-- or a shared package's id@version. since is when the screener was made
-- (Unix microseconds): the chunks of an earlier screener of the same scope
-- are deleted when a newer one saves. Engine state like sms_state, not
-- evidence: a screener's bookings are its organization's own and are
-- shown to nobody.
CREATE TABLE screen_state (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    scope  TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    since  BIGINT NOT NULL,
    saved  BIGINT NOT NULL,
    lines  ${bytes} NOT NULL,
    PRIMARY KEY (org_id, scope, seq)
);
