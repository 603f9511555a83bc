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

// SMSAppRow is the settings of one app of an organization's SMS-pumping
// guard.
type SMSAppRow struct {
	Org      string
	App      string
	Settings string // canonical JSON (sms.Settings.JSON)
	Updated  time.Time
}

// SMSApps returns org's configured apps, by name.
func (s *Store) SMSApps(ctx context.Context, org string) ([]SMSAppRow, error) {
	rows, err := s.query(ctx, "SELECT org_id, app, settings, updated FROM sms_apps WHERE org_id = ? ORDER BY app", org)
	if err != nil {
		return nil, fmt.Errorf("store: read sms apps: %w", err)
	}
	return scanSMSApps(rows)
}

// ScanSMSAppRows calls fn with every app's settings, for the evidence
// check.
func (s *Store) ScanSMSAppRows(ctx context.Context, fn func(SMSAppRow) error) error {
	rows, err := s.query(ctx, "SELECT org_id, app, settings, updated FROM sms_apps ORDER BY org_id, app")
	if err != nil {
		return fmt.Errorf("store: read sms apps: %w", err)
	}
	all, err := scanSMSApps(rows)
	return callEach(all, err, fn)
}

func scanSMSApps(rows *sql.Rows) ([]SMSAppRow, error) {
	defer rows.Close()
	var out []SMSAppRow
	for rows.Next() {
		var r SMSAppRow
		var updated int64
		if err := rows.Scan(&r.Org, &r.App, &r.Settings, &updated); err != nil {
			return nil, fmt.Errorf("store: read sms apps: %w", err)
		}
		r.Updated = fromMicros(updated)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SMSAppRow reads one app's settings inside the transaction; ok is false
// when the app was never configured.
func (t *Tx) SMSAppRow(org, app string) (r SMSAppRow, ok bool, err error) {
	var updated int64
	switch err := t.queryRow("SELECT org_id, app, settings, updated FROM sms_apps WHERE org_id = ? AND app = ?", org, app).Scan(&r.Org, &r.App, &r.Settings, &updated); {
	case errors.Is(err, sql.ErrNoRows):
		return SMSAppRow{}, false, nil
	case err != nil:
		return SMSAppRow{}, false, fmt.Errorf("store: read sms app: %w", err)
	}
	r.Updated = fromMicros(updated)
	return r, true, nil
}

// PutSMSApp sets one app's settings.
func (t *Tx) PutSMSApp(r SMSAppRow) error {
	_, err := t.exec("INSERT INTO sms_apps (org_id, app, settings, updated) VALUES (?, ?, ?, ?) "+
		"ON CONFLICT (org_id, app) DO UPDATE SET settings = excluded.settings, updated = excluded.updated", r.Org, r.App, r.Settings, micros(r.Updated))
	if err != nil {
		return fmt.Errorf("store: save sms app: %w", err)
	}
	return nil
}
