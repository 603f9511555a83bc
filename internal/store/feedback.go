package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Feedback is what a recipient reported a record led to. TokenID is the
// token that reported it.
type Feedback struct {
	ID       string
	RecordID string
	Owner    string // the record's originator
	Org      string
	TokenID  string
	Outcome  string
	Note     string
	Created  time.Time
}

// InsertFeedback stores one report of an outcome.
func (t *Tx) InsertFeedback(f Feedback) error {
	_, err := t.exec("INSERT INTO feedback (id, record_id, owner, org_id, token_id, outcome, note, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.RecordID, f.Owner, f.Org, f.TokenID, f.Outcome, f.Note, micros(f.Created))
	return err
}

// SetAnonymousFeedback records an organization's choice to appear to
// originators as its sector and country only.
func (t *Tx) SetAnonymousFeedback(org string, anonymous bool) error {
	res, err := t.exec("UPDATE orgs SET anonymous_feedback = ? WHERE id = ?", anonymous, org)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("organization %q: %w", org, ErrNotFound)
	}
	return nil
}

// AnonymousFeedback returns the organizations that chose to stay anonymous.
func (s *Store) AnonymousFeedback(ctx context.Context) (map[string]bool, error) {
	ids, err := s.strings(ctx, "SELECT id FROM orgs WHERE anonymous_feedback")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// OutcomeCount is how often one outcome was reported.
type OutcomeCount struct {
	Outcome string
	Count   int64
}

// FeedbackTotals counts, over every record originator holds, each outcome
// reported and the matches in other organizations' traffic.
func (s *Store) FeedbackTotals(ctx context.Context, originator string) (outcomes []OutcomeCount, sighted int64, err error) {
	r := s.reader(ctx)
	err = r.each("SELECT outcome, COUNT(*) FROM feedback WHERE owner = ? GROUP BY outcome ORDER BY outcome",
		[]any{originator}, func(rows *sql.Rows) error {
			var o OutcomeCount
			if err := rows.Scan(&o.Outcome, &o.Count); err != nil {
				return err
			}
			outcomes = append(outcomes, o)
			return nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("store: feedback totals: %w", err)
	}
	var n sql.NullInt64
	err = r.queryRow("SELECT SUM(count) FROM sightings WHERE owner = ? AND org_id <> ?", originator, originator).Scan(&n)
	if err != nil {
		return nil, 0, fmt.Errorf("store: sighting totals: %w", err)
	}
	return outcomes, n.Int64, nil
}

// RecordsWithFeedback returns, in id order after after, up to limit ids of
// records of originator that have feedback or sightings in other
// organizations' traffic.
func (s *Store) RecordsWithFeedback(ctx context.Context, originator, after string, limit int) ([]string, error) {
	// Each side reads the owner's index in record order and stops early.
	return s.strings(ctx, "SELECT id FROM ("+
		"SELECT * FROM (SELECT DISTINCT record_id AS id FROM feedback WHERE owner = ? AND record_id > ? ORDER BY record_id LIMIT ?) AS f "+
		"UNION SELECT * FROM (SELECT DISTINCT record_id AS id FROM sightings WHERE owner = ? AND org_id <> ? AND record_id > ? ORDER BY record_id LIMIT ?) AS s"+
		") AS x ORDER BY id LIMIT ?", originator, after, limit, originator, originator, after, limit, limit)
}

// ObserverTotal is what one organization reported on one record: an
// outcome's count and newest report (with its note), or, for sightings, the
// matches and the last one.
type ObserverTotal struct {
	RecordID, Org, Outcome string
	Count                  int64
	Last                   time.Time
	Note                   string
}

// FeedbackByObserver returns, for the given records, each organization's
// count per outcome, its newest report's time and its newest note (from
// the newest report that has one), ordered by record, outcome and
// organization.
func (s *Store) FeedbackByObserver(ctx context.Context, recordIDs []string) ([]ObserverTotal, error) {
	var out []ObserverTotal
	err := s.inChunks(recordIDs, func(part []any) error {
		return s.reader(ctx).each("SELECT g.record_id, g.org_id, g.outcome, g.n, g.newest, COALESCE(f.note, '') FROM ("+
			"SELECT record_id, org_id, outcome, COUNT(*) AS n, MAX(created) AS newest, MAX(CASE WHEN note <> '' THEN created END) AS noted "+
			"FROM feedback WHERE record_id IN ("+placeholders(len(part))+") GROUP BY record_id, org_id, outcome"+
			") g LEFT JOIN feedback f ON f.record_id = g.record_id AND f.org_id = g.org_id AND f.outcome = g.outcome AND f.created = g.noted AND f.note <> '' "+
			"ORDER BY g.record_id, g.outcome, g.org_id, f.id DESC",
			part, func(rows *sql.Rows) error {
				var t ObserverTotal
				var newest int64
				if err := rows.Scan(&t.RecordID, &t.Org, &t.Outcome, &t.Count, &newest, &t.Note); err != nil {
					return err
				}
				t.Last = fromMicros(newest)
				if n := len(out); n > 0 && out[n-1].RecordID == t.RecordID && out[n-1].Org == t.Org && out[n-1].Outcome == t.Outcome {
					return nil // two notes at the same microsecond: the first (greatest id) wins
				}
				out = append(out, t)
				return nil
			})
	})
	return out, err
}

// SightingsByObserver returns, for the given records, the matches per
// organization other than exclude, with the last one, ordered by record and
// organization.
func (s *Store) SightingsByObserver(ctx context.Context, recordIDs []string, exclude string) ([]ObserverTotal, error) {
	var out []ObserverTotal
	err := s.inChunks(recordIDs, func(part []any) error {
		return s.reader(ctx).each("SELECT record_id, org_id, SUM(count), MAX(last) FROM sightings WHERE record_id IN ("+placeholders(len(part))+") AND org_id <> ? GROUP BY record_id, org_id ORDER BY record_id, org_id",
			append(part, exclude), func(rows *sql.Rows) error {
				t := ObserverTotal{Outcome: "seen"}
				var last int64
				if err := rows.Scan(&t.RecordID, &t.Org, &t.Count, &last); err != nil {
					return err
				}
				t.Last = fromMicros(last)
				out = append(out, t)
				return nil
			})
	})
	return out, err
}

// RecordValues returns the value of each of the given records that exists.
func (s *Store) RecordValues(ctx context.Context, recordIDs []string) (map[string]string, error) {
	out := map[string]string{}
	err := s.inChunks(recordIDs, func(part []any) error {
		return s.reader(ctx).each("SELECT id, value FROM records WHERE id IN ("+placeholders(len(part))+")", part, func(rows *sql.Rows) error {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			out[id] = v
			return nil
		})
	})
	return out, err
}

// inChunks calls fn with ids in chunks of at most 500, as query arguments.
func (s *Store) inChunks(ids []string, fn func(part []any) error) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part), len(part)+1)
		for i, id := range part {
			args[i] = id
		}
		if err := fn(args); err != nil {
			return err
		}
	}
	return nil
}
