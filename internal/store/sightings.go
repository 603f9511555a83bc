package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sighting is a count of matches of one record at one organization in one hour.
type Sighting struct {
	RecordID string
	Owner    string // the record's originator
	Org      string
	Hour     int64 // Unix time / 3600
	Count    int64
	First    time.Time
	Last     time.Time
}

// AddSightings adds counts to the hourly aggregates, creating rows as
// needed, and returns each row as it was before (nil where there was none)
// and as it is after the addition.
func (t *Tx) AddSightings(ss []Sighting) (before []*Sighting, after []Sighting, err error) {
	q := fmt.Sprintf("INSERT INTO sightings (record_id, owner, org_id, hour, count, first, last) VALUES (?, ?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (record_id, org_id, hour) DO UPDATE SET count = sightings.count + excluded.count, "+
		"first = %s(sightings.first, excluded.first), last = %s(sightings.last, excluded.last) RETURNING count, first, last", t.d.least, t.d.greatest)
	up, err := t.tx.PrepareContext(t.ctx, t.d.q(q))
	if err != nil {
		return nil, nil, err
	}
	defer up.Close()
	get, err := t.tx.PrepareContext(t.ctx, t.d.q("SELECT owner, count, first, last FROM sightings WHERE record_id = ? AND org_id = ? AND hour = ?"+t.d.forUpdate))
	if err != nil {
		return nil, nil, err
	}
	defer get.Close()
	before = make([]*Sighting, len(ss))
	after = make([]Sighting, len(ss))
	for i, s := range ss {
		var first, last int64
		prev := s
		switch err := get.QueryRowContext(t.ctx, s.RecordID, s.Org, s.Hour).Scan(&prev.Owner, &prev.Count, &first, &last); {
		case err == nil:
			prev.First, prev.Last = fromMicros(first), fromMicros(last)
			before[i] = &prev
		case !errors.Is(err, sql.ErrNoRows):
			return nil, nil, fmt.Errorf("store: read sighting: %w", err)
		}
		if err := up.QueryRowContext(t.ctx, s.RecordID, s.Owner, s.Org, s.Hour, s.Count, micros(s.First), micros(s.Last)).Scan(&s.Count, &first, &last); err != nil {
			return nil, nil, fmt.Errorf("store: add sighting: %w", err)
		}
		s.First, s.Last = fromMicros(first), fromMicros(last)
		if before[i] != nil {
			s.Owner = before[i].Owner // an upsert leaves the row's owner
		}
		after[i] = s
	}
	return before, after, nil
}

// SightingTotal is what one organization's traffic matched of one record:
// the count and the first and last time, over every hour.
type SightingTotal struct {
	RecordID    string
	Count       int64
	First, Last time.Time
}

// SightingsOf returns, in record id order after after, up to limit totals
// of org's sightings per record.
func (s *Store) SightingsOf(ctx context.Context, org, after string, limit int) ([]SightingTotal, error) {
	var out []SightingTotal
	err := s.reader(ctx).each("SELECT record_id, SUM(count), MIN(first), MAX(last) FROM sightings WHERE org_id = ? AND record_id > ? GROUP BY record_id ORDER BY record_id LIMIT ?",
		[]any{org, after, limit}, func(rows *sql.Rows) error {
			var t SightingTotal
			var first, last int64
			if err := rows.Scan(&t.RecordID, &t.Count, &first, &last); err != nil {
				return err
			}
			t.First, t.Last = fromMicros(first), fromMicros(last)
			out = append(out, t)
			return nil
		})
	return out, err
}

// SightingEvent is one event an organization's sighting of a record was
// counted from.
type SightingEvent struct {
	RecordID string
	Event    [16]byte
	Hour     int64
}

// ClaimSightingEvents marks each event as counted for org and returns, for
// each, whether it was new: an event already counted (by an earlier
// request, or by another writer, whom it waits for) must not be counted
// again.
func (t *Tx) ClaimSightingEvents(org string, evs []SightingEvent) ([]bool, error) {
	fresh := make([]bool, len(evs))
	type key struct {
		record string
		event  [16]byte
	}
	for start := 0; start < len(evs); start += insertChunk {
		part := evs[start:min(start+insertChunk, len(evs))]
		args := make([]any, 0, 4*len(part))
		for _, e := range part {
			args = append(args, org, e.RecordID, e.Event[:], e.Hour)
		}
		claimed := map[key]bool{}
		err := t.reader().each("INSERT INTO sighting_events (org_id, record_id, event, hour) VALUES "+rowsOf(len(part), "(?, ?, ?, ?)")+
			" ON CONFLICT DO NOTHING RETURNING record_id, event", args, func(rs *sql.Rows) error {
			var k key
			var ev []byte
			if err := rs.Scan(&k.record, &ev); err != nil {
				return err
			}
			copy(k.event[:], ev)
			claimed[k] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: claim sighting events: %w", err)
		}
		for i, e := range part {
			fresh[start+i] = claimed[key{e.RecordID, e.Event}]
		}
	}
	return fresh, nil
}
