-- Action days (package hub, actionday.go): an operation in which airlines
-- submit the bookings their screening flagged, the hub routes each to the
-- police of its departure country, and the police record what came of it.
-- settings is the action day's JSON as the coordinator set it (name, day,
-- group, police per country, handling, rule package); each change is
-- logged as action-day.create or action-day.update, its content hashed
-- (evidence.ActionDayContent).
CREATE TABLE action_days (
    id          TEXT PRIMARY KEY,
    coordinator TEXT NOT NULL REFERENCES orgs(id),
    settings    TEXT NOT NULL,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL
);

-- The bookings submitted to an action day, one row per airline and
-- booking id. booking is the booking as screening reads it, with names
-- and card numbers only as keyed hashes (screen.Booking.AppendJSON);
-- country is its departure country and police the organization it was
-- routed to ('' when the action day names none for that country). The
-- outcome columns are empty until that police organization records one.
-- Each submission and each outcome is logged (action-day.submit,
-- action-day.outcome; evidence.ActionDayBookingContent).
CREATE TABLE action_day_bookings (
    action_day   TEXT NOT NULL REFERENCES action_days(id),
    org_id       TEXT NOT NULL REFERENCES orgs(id),
    booking_id   TEXT NOT NULL,
    booking      TEXT NOT NULL,
    country      TEXT NOT NULL,
    police       TEXT NOT NULL,
    submitted    BIGINT NOT NULL,
    outcome      TEXT NOT NULL DEFAULT '',
    outcome_org  TEXT NOT NULL DEFAULT '',
    outcome_note TEXT NOT NULL DEFAULT '',
    outcome_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (action_day, org_id, booking_id)
);
CREATE INDEX action_day_bookings_police ON action_day_bookings (action_day, police);
