package store

import (
	"context"
	"fmt"
	"time"
)

// Partner is a partner hub this hub pulls from, as stored.
type Partner struct {
	Name, URL, Collection, Org string
	Every                      time.Duration
	// AmberGroup is the sharing group amber records from the partner are
	// shared with here ("": nobody but the partner's organization).
	AmberGroup string
	// AddedAfter is the partner's X-TAXII-Date-Added-Last of the last page
	// pulled, as it wrote it.
	AddedAfter string
	LastRun    *time.Time
	LastError  string
	// Pulled counts the objects pulled, Sent the sightings and notes sent.
	Pulled, Sent int64
	Created      time.Time
}

// InsertPartner adds a partner; an existing name is ErrConflict.
func (t *Tx) InsertPartner(p Partner) error {
	_, err := t.exec("INSERT INTO federation_partners (name, url, collection, org, every_ms, amber_group, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
		p.Name, p.URL, p.Collection, p.Org, p.Every.Milliseconds(), p.AmberGroup, micros(p.Created))
	switch {
	case isUnique(err):
		return fmt.Errorf("partner %q: %w", p.Name, ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("organization %q: %w", p.Org, ErrNotFound)
	}
	return err
}

// Partners returns every partner, by name.
func (s *Store) Partners(ctx context.Context) ([]Partner, error) {
	rows, err := s.query(ctx, "SELECT name, url, collection, org, every_ms, amber_group, added_after, last_run, last_error, pulled, sent, created FROM federation_partners ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("store: partners: %w", err)
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		var p Partner
		var every, created int64
		var last *int64
		if err := rows.Scan(&p.Name, &p.URL, &p.Collection, &p.Org, &every, &p.AmberGroup, &p.AddedAfter, &last, &p.LastError, &p.Pulled, &p.Sent, &created); err != nil {
			return nil, err
		}
		p.Every, p.Created = time.Duration(every)*time.Millisecond, fromMicros(created)
		if last != nil {
			t := fromMicros(*last)
			p.LastRun = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PartnerRun records a run of the partner's job: when, its error ("" for
// none), the new cursor (unchanged when empty) and what it moved.
func (s *Store) PartnerRun(ctx context.Context, name string, at time.Time, runErr, addedAfter string, pulled, sent int64) error {
	return s.Update(ctx, func(t *Tx) error {
		_, err := t.exec("UPDATE federation_partners SET last_run = ?, last_error = ?, added_after = CASE WHEN ? = '' THEN added_after ELSE ? END, pulled = pulled + ?, sent = sent + ? WHERE name = ?",
			micros(at), runErr, addedAfter, addedAfter, pulled, sent, name)
		return err
	})
}

// Received returns the count last received from org for a STIX object
// (a sighting's total; 1 for a note), and whether there was one.
func (t *Tx) Received(org, stixID string) (int64, bool, error) {
	var n int64
	err := t.queryRow("SELECT count FROM received_objects WHERE org = ? AND stix_id = ?"+t.d.forUpdate, org, stixID).Scan(&n)
	if isNoRows(err) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// SetReceived keeps the count received from org for a STIX object.
func (t *Tx) SetReceived(org, stixID, recordID string, count int64) error {
	_, err := t.exec("INSERT INTO received_objects (org, stix_id, record_id, count) VALUES (?, ?, ?, ?) ON CONFLICT (org, stix_id) DO UPDATE SET count = excluded.count",
		org, stixID, recordID, count)
	return err
}

// SightingTotalsOwned returns every organization's sighting total per
// record of the records owner originated: what a hub sends back to the
// partner hub those records came from.
func (s *Store) SightingTotalsOwned(ctx context.Context, owner string) ([]SightingByOrg, error) {
	rows, err := s.query(ctx, "SELECT record_id, org_id, SUM(count), MIN(first), MAX(last) FROM sightings WHERE owner = ? GROUP BY record_id, org_id ORDER BY record_id, org_id", owner)
	if err != nil {
		return nil, fmt.Errorf("store: sightings of %s's records: %w", owner, err)
	}
	defer rows.Close()
	var out []SightingByOrg
	for rows.Next() {
		var o SightingByOrg
		var first, last int64
		if err := rows.Scan(&o.RecordID, &o.Org, &o.Count, &first, &last); err != nil {
			return nil, err
		}
		o.First, o.Last = fromMicros(first), fromMicros(last)
		out = append(out, o)
	}
	return out, rows.Err()
}

// SightingByOrg is one organization's sightings of one record.
type SightingByOrg struct {
	RecordID, Org string
	Count         int64
	First, Last   time.Time
}

// Sent returns what was last sent to partner, by STIX id: the count.
func (s *Store) Sent(ctx context.Context, partner string) (map[string]int64, error) {
	rows, err := s.query(ctx, "SELECT stix_id, count FROM federation_sent WHERE partner = ?", partner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// MarkSent keeps what was sent to partner.
func (s *Store) MarkSent(ctx context.Context, partner string, at time.Time, sent map[string]int64) error {
	return s.Update(ctx, func(t *Tx) error {
		for id, n := range sent {
			if _, err := t.exec("INSERT INTO federation_sent (partner, stix_id, count, last) VALUES (?, ?, ?, ?) ON CONFLICT (partner, stix_id) DO UPDATE SET count = excluded.count, last = excluded.last",
				partner, id, n, micros(at)); err != nil {
				return err
			}
		}
		return nil
	})
}
