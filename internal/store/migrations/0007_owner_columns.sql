-- Feedback and sightings carry the record's originator, so that an
-- originator's totals and pages are read by index, in time proportional to
-- what its own records led to, not to every record it holds.
ALTER TABLE feedback ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE feedback SET owner = COALESCE((SELECT originator FROM records WHERE records.id = feedback.record_id), '');
CREATE INDEX feedback_owner ON feedback(owner, record_id);

ALTER TABLE sightings ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE sightings SET owner = COALESCE((SELECT originator FROM records WHERE records.id = sightings.record_id), '');
CREATE INDEX sightings_owner ON sightings(owner, record_id);
