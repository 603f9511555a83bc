-- The SMS-pumping guards' learnt state, one snapshot per organization
-- (package sms: Guard.Save and Load), written by the daemon every minute
-- and when it stops, read when a guard is first needed after a start.
-- saved is when it was taken (Unix microseconds).
CREATE TABLE sms_state (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    saved  BIGINT NOT NULL,
    data   ${bytes} NOT NULL
);
