package store

import (
	"context"
	"fmt"
	"time"
)

// StatusKept is how long a TAXII status resource is kept.
const StatusKept = 7 * 24 * time.Hour

// PutTAXIIStatus keeps a TAXII status resource (its JSON) for org, and
// drops those older than StatusKept.
func (s *Store) PutTAXIIStatus(ctx context.Context, id, org string, created time.Time, body []byte) error {
	return s.Update(ctx, func(t *Tx) error {
		if _, err := t.exec("DELETE FROM taxii_status WHERE created < ?", micros(created.Add(-StatusKept))); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO taxii_status (id, org, created, body) VALUES (?, ?, ?, ?)", id, org, micros(created), string(body))
		return err
	})
}

// TAXIIStatus returns the status resource id kept for org, or ErrNotFound
// (also when another organization posted it).
func (s *Store) TAXIIStatus(ctx context.Context, id, org string) ([]byte, error) {
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM taxii_status WHERE id = ? AND org = ?", id, org).Scan(&body); err != nil {
		return nil, notFound(err, fmt.Sprintf("status %q", id))
	}
	return []byte(body), nil
}
