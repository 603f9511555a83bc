package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AccessRequest asks a record's owner for access, after a hit/no-hit hit.
type AccessRequest struct {
	ID        string
	RecordID  string
	Owner     string
	Requester string
	Purpose   string
	Status    string // pending, approved, denied
	Reason    string
	Created   time.Time
	Decided   *time.Time
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

// PendingAccessRequest returns the id of requester's pending request for
// a record, or "" when there is none. Call it after the evidence lock
// (LockEvidence) so that no other writer can add one meanwhile.
func (t *Tx) PendingAccessRequest(requester, recordID string) (string, error) {
	var id string
	err := t.queryRow("SELECT id FROM access_requests WHERE requester = ? AND record_id = ? AND status = 'pending' ORDER BY id LIMIT 1", requester, recordID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
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
