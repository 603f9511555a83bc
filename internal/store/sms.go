package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SMSState returns the saved state of org's SMS-pumping guard and when it
// was saved; ok is false when none was.
func (s *Store) SMSState(ctx context.Context, org string) (data []byte, saved time.Time, ok bool, err error) {
	var at int64
	switch err := s.queryRow(ctx, "SELECT saved, data FROM sms_state WHERE org_id = ?", org).Scan(&at, &data); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, time.Time{}, false, nil
	case err != nil:
		return nil, time.Time{}, false, fmt.Errorf("store: read sms state: %w", err)
	}
	return data, fromMicros(at), true, nil
}

// PutSMSState saves the state of org's SMS-pumping guard, replacing the
// one before.
func (t *Tx) PutSMSState(org string, saved time.Time, data []byte) error {
	_, err := t.exec("INSERT INTO sms_state (org_id, saved, data) VALUES (?, ?, ?) "+
		"ON CONFLICT (org_id) DO UPDATE SET saved = excluded.saved, data = excluded.data", org, micros(saved), data)
	if err != nil {
		return fmt.Errorf("store: save sms state: %w", err)
	}
	return nil
}
