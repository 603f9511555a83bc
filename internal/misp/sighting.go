package misp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// sightings reads an attribute's Sighting list. A sighting that cannot be
// read is noted through skip and left out.
func sightings(raw json.RawMessage, where string, skip func(string, string, ...any)) []Sighting {
	items, err := list(raw)
	if err != nil {
		skip(where, "%v", err)
		return nil
	}
	var out []Sighting
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", where, i)
		s, err := sighting(it, w, skip)
		if err != nil {
			skip(w, "%v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

func sighting(raw json.RawMessage, where string, skip func(string, string, ...any)) (Sighting, error) {
	m, err := object(raw)
	if err != nil {
		return Sighting{}, err
	}
	var s Sighting
	typ, ok, err := intish(m["type"])
	switch {
	case err != nil:
		return Sighting{}, fmt.Errorf("type: %v", err)
	case ok && (typ < SightingSeen || typ > SightingExpiration):
		return Sighting{}, fmt.Errorf("type: %d is not a sighting type (0 seen, 1 false positive, 2 expiration)", typ)
	}
	s.Type = typ // absent is 0, as in MISP
	t, err := seen(m["date_sighting"])
	if err != nil {
		return Sighting{}, fmt.Errorf("date_sighting: %v", err)
	}
	if t == nil {
		return Sighting{}, fmt.Errorf("date_sighting: is required")
	}
	s.Time = *t
	if s.Source, err = str(m["source"]); err != nil {
		return Sighting{}, fmt.Errorf("source: %v", err)
	}
	s.Source = strings.TrimSpace(s.Source)
	if u, _ := str(m["uuid"]); isUUID(strings.TrimSpace(u)) {
		s.UUID = strings.ToLower(strings.TrimSpace(u))
	}
	s.Org = org(m["Organisation"], where+".Organisation", skip)
	return s, nil
}
