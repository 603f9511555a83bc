package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Sighting is a count of matches of one record at one organization in one hour.
type Sighting struct {
	RecordID string
	Org      string
	Hour     int64 // Unix time / 3600
	Count    int64
	First    time.Time
	Last     time.Time
}

// AddSightings adds counts to the hourly aggregates, creating rows as
// needed, and returns each row as it is after the addition.
func (t *Tx) AddSightings(ss []Sighting) ([]Sighting, error) {
	q := fmt.Sprintf("INSERT INTO sightings (record_id, org_id, hour, count, first, last) VALUES (?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (record_id, org_id, hour) DO UPDATE SET count = sightings.count + excluded.count, "+
		"first = %s(sightings.first, excluded.first), last = %s(sightings.last, excluded.last) RETURNING count, first, last", t.d.least, t.d.greatest)
	st, err := t.tx.PrepareContext(t.ctx, t.d.q(q))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := make([]Sighting, len(ss))
	for i, s := range ss {
		var first, last int64
		if err := st.QueryRowContext(t.ctx, s.RecordID, s.Org, s.Hour, s.Count, micros(s.First), micros(s.Last)).Scan(&s.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("store: add sighting: %w", err)
		}
		s.First, s.Last = fromMicros(first), fromMicros(last)
		out[i] = s
	}
	return out, nil
}

// Sightings returns the aggregates of the given records, all organizations and hours.
func (s *Store) Sightings(ctx context.Context, recordIDs []string) ([]Sighting, error) {
	var out []Sighting
	for start := 0; start < len(recordIDs); start += 500 {
		part := recordIDs[start:min(start+500, len(recordIDs))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.query(ctx, "SELECT record_id, org_id, hour, count, first, last FROM sightings WHERE record_id IN ("+placeholders(len(part))+") ORDER BY record_id, org_id, hour", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var x Sighting
			var first, last int64
			if err := rows.Scan(&x.RecordID, &x.Org, &x.Hour, &x.Count, &first, &last); err != nil {
				rows.Close()
				return nil, err
			}
			x.First, x.Last = fromMicros(first), fromMicros(last)
			out = append(out, x)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Feedback is what a recipient reported a record led to.
type Feedback struct {
	ID       string    `json:"id"`
	RecordID string    `json:"record"`
	Org      string    `json:"org"`
	TokenID  string    `json:"-"`
	Outcome  string    `json:"outcome"`
	Note     string    `json:"note,omitempty"`
	Created  time.Time `json:"created"`
}

// InsertFeedback stores one report of an outcome.
func (t *Tx) InsertFeedback(f Feedback) error {
	_, err := t.exec("INSERT INTO feedback (id, record_id, org_id, token_id, outcome, note, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.RecordID, f.Org, f.TokenID, f.Outcome, f.Note, micros(f.Created))
	return err
}

// FeedbackFor returns the feedback on the given records, oldest first.
func (s *Store) FeedbackFor(ctx context.Context, recordIDs []string) ([]Feedback, error) {
	var out []Feedback
	for start := 0; start < len(recordIDs); start += 500 {
		part := recordIDs[start:min(start+500, len(recordIDs))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.query(ctx, "SELECT id, record_id, org_id, token_id, outcome, note, created FROM feedback WHERE record_id IN ("+placeholders(len(part))+") ORDER BY created, id", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var f Feedback
			var created int64
			if err := rows.Scan(&f.ID, &f.RecordID, &f.Org, &f.TokenID, &f.Outcome, &f.Note, &created); err != nil {
				rows.Close()
				return nil, err
			}
			f.Created = fromMicros(created)
			out = append(out, f)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
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

// AccessRequest asks a record's owner for access, after a hit/no-hit hit.
type AccessRequest struct {
	ID        string     `json:"id"`
	RecordID  string     `json:"-"`
	Owner     string     `json:"owner"`
	Requester string     `json:"requester"`
	Purpose   string     `json:"purpose"`
	Status    string     `json:"status"` // pending, approved, denied
	Reason    string     `json:"reason,omitempty"`
	Created   time.Time  `json:"created"`
	Decided   *time.Time `json:"decided,omitempty"`
}

const accessColumns = "id, record_id, owner, requester, purpose, status, reason, created, decided"

func scanAccess(sc interface{ Scan(...any) error }) (AccessRequest, error) {
	var a AccessRequest
	var created int64
	var decided sql.NullInt64
	err := sc.Scan(&a.ID, &a.RecordID, &a.Owner, &a.Requester, &a.Purpose, &a.Status, &a.Reason, &created, &decided)
	a.Created, a.Decided = fromMicros(created), fromNullMicros(decided)
	return a, err
}

// InsertAccessRequest stores a new request.
func (t *Tx) InsertAccessRequest(a AccessRequest) error {
	_, err := t.exec("INSERT INTO access_requests ("+accessColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.RecordID, a.Owner, a.Requester, a.Purpose, a.Status, a.Reason, micros(a.Created), nullMicros(a.Decided))
	return err
}

// AccessRequest returns one request, inside the transaction.
func (t *Tx) AccessRequest(id string) (AccessRequest, error) {
	a, err := scanAccess(t.queryRow("SELECT "+accessColumns+" FROM access_requests WHERE id = ?"+t.d.forUpdate, id))
	return a, notFound(err, fmt.Sprintf("access request %q", id))
}

// DecideAccessRequest sets a pending request's outcome.
func (t *Tx) DecideAccessRequest(id, status, reason string, at time.Time) error {
	res, err := t.exec("UPDATE access_requests SET status = ?, reason = ?, decided = ? WHERE id = ? AND status = 'pending'", status, reason, micros(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("pending access request %q: %w", id, ErrConflict)
	}
	return nil
}

// AccessRequests lists the requests an organization made (asRequester) or
// received, newest first.
func (s *Store) AccessRequests(ctx context.Context, org string, asRequester bool) ([]AccessRequest, error) {
	col := "owner"
	if asRequester {
		col = "requester"
	}
	rows, err := s.query(ctx, "SELECT "+accessColumns+" FROM access_requests WHERE "+col+" = ? ORDER BY created DESC, id", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AccessRequest{}
	for rows.Next() {
		a, err := scanAccess(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// InsertHitQuery stores a hit/no-hit query.
func (t *Tx) InsertHitQuery(q HitQuery) error {
	_, err := t.exec("INSERT INTO hit_queries (id, org_id, token_id, created, hashes) VALUES (?, ?, ?, ?, ?)", q.ID, q.Org, q.TokenID, micros(q.Created), q.Hashes)
	return err
}
