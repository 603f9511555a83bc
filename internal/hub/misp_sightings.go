package hub

import (
	"context"
	"fmt"
	"time"

	"fusion/internal/intel"
	"fusion/internal/misp"
)

// sightings takes attribute a's MISP sightings of rec as c's: those that
// saw it as one sighting row per attribute, counted by how many MISP
// holds (a re-import adds only new ones), and each false positive as
// feedback, once; it returns how many sightings the attribute had that
// were taken. Expirations went into the record's valid_until.
func (m *mispImport) sightings(ctx context.Context, o *MISPEvent, a *misp.Attribute, rec *intel.Record) int {
	if len(a.Sightings) == 0 {
		return 0
	}
	if a.UUID == "" {
		m.refuse(o, "", a.Type, "", "sightings: the attribute has no uuid to take them by; left out")
		return 0
	}
	taken := 0
	for _, s := range a.Sightings {
		if s.Type == misp.SightingExpiration {
			taken++ // in the record's valid_until
		}
	}
	var seen int64
	var first, last time.Time
	for _, s := range a.Sightings {
		switch s.Type {
		case misp.SightingSeen:
			seen++
			if first.IsZero() || s.Time.Before(first) {
				first = s.Time
			}
			if s.Time.After(last) {
				last = s.Time
			}
		case misp.SightingFalsePositive:
			key := "misp:false-positive:" + a.UUID + ":" + s.UUID
			if s.UUID == "" {
				key += s.Org.UUID + s.Org.Name + ":" + s.Time.UTC().Format(time.RFC3339)
			}
			note := fmt.Sprintf("MISP sighting (false positive) by %s at %s", orUnknown(s.Org.Name), s.Time.UTC().Format(time.RFC3339))
			if s.Source != "" {
				note += ", source " + s.Source
			}
			if _, err := m.h.addFeedbackOnce(ctx, m.c, rec.ID, key, "false-positive", note); err != nil {
				m.refuse(o, a.UUID, a.Type, "", "false-positive sighting: "+refusal(err))
				continue
			}
			taken++
		}
	}
	if seen > 0 {
		if last.IsZero() {
			last = m.h.now()
		}
		if first.IsZero() {
			first = last
		}
		if _, err := m.h.addSightingOnce(ctx, m.c, rec, "misp:sightings:"+a.UUID, seen, first, last); err != nil {
			m.refuse(o, a.UUID, a.Type, "", "sightings: "+err.Error())
		} else {
			taken += int(seen)
		}
	}
	return taken
}

// expiry is the latest expiration among MISP sightings, or nil.
func expiry(ss []misp.Sighting) *time.Time {
	var t *time.Time
	for _, s := range ss {
		if s.Type == misp.SightingExpiration && !s.Time.IsZero() && (t == nil || s.Time.After(*t)) {
			at := s.Time
			t = &at
		}
	}
	return t
}

func orUnknown(s string) string {
	if s == "" {
		return "an unnamed organisation"
	}
	return s
}
