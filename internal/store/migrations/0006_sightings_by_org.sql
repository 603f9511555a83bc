-- An organization lists its own sightings, by record.
CREATE INDEX sightings_org ON sightings(org_id, record_id);
