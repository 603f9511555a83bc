-- The SMS-pumping guards' learnt state, one snapshot per organization
-- (package sms: Guard.Save and Load), written by the daemon every minute
-- and when it stops, read when a guard is first needed after a start.
-- saved is when it was taken (Unix microseconds).
CREATE TABLE sms_state (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    saved  BIGINT NOT NULL,
    data   ${bytes} NOT NULL
);

-- The settings of each organization's apps in its SMS-pumping guard: the
-- canonical JSON of sms.Settings (mode, allowed countries, the verdict
-- for shared prefixes, the safe list). Each change is logged as
-- sms.configure, its content hashed (evidence.SMSAppContent).
CREATE TABLE sms_apps (
    org_id   TEXT NOT NULL REFERENCES orgs(id),
    app      TEXT NOT NULL,
    settings TEXT NOT NULL,
    updated  BIGINT NOT NULL,
    PRIMARY KEY (org_id, app)
);
