package store

import (
	"context"
	"fmt"
	"time"
)

// AppendScreenState appends lines (JSON lines of hashed bookings) to the
// saved state of org's inline screener of scope made at since. Chunks of
// an earlier screener of the scope (another since) are deleted first.
// Empty lines with a new since only delete.
func (t *Tx) AppendScreenState(org, scope string, since, saved time.Time, lines []byte) error {
	if _, err := t.exec("DELETE FROM screen_state WHERE org_id = ? AND scope = ? AND since <> ?", org, scope, micros(since)); err != nil {
		return fmt.Errorf("store: screen state of %s %q: %w", org, scope, err)
	}
	if len(lines) == 0 {
		return nil
	}
	_, err := t.exec("INSERT INTO screen_state (org_id, scope, seq, since, saved, lines) "+
		"SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM screen_state WHERE org_id = ? AND scope = ?",
		org, scope, micros(since), micros(saved), lines, org, scope)
	if err != nil {
		return fmt.Errorf("store: save screen state of %s %q: %w", org, scope, err)
	}
	return nil
}

// DeleteScreenState deletes the saved state of org's inline screener of
// scope, and with family (a rule package's id) that of every scope
// family@... but scope: the screeners of the package's other versions.
func (t *Tx) DeleteScreenState(org, scope, family string) error {
	q, args := "DELETE FROM screen_state WHERE org_id = ? AND scope = ?", []any{org, scope}
	if family != "" {
		q, args = "DELETE FROM screen_state WHERE org_id = ? AND scope LIKE ? AND scope <> ?", []any{org, family + "@%", scope}
	}
	if _, err := t.exec(q, args...); err != nil {
		return fmt.Errorf("store: delete screen state of %s %q: %w", org, scope, err)
	}
	return nil
}

// ScreenState calls each with the saved chunks of org's inline screener of
// scope in the order they were appended, and returns when that screener
// was made; ok is false when nothing is saved.
func (s *Store) ScreenState(ctx context.Context, org, scope string, each func(lines []byte) error) (since time.Time, ok bool, err error) {
	rows, err := s.query(ctx, "SELECT since, lines FROM screen_state WHERE org_id = ? AND scope = ? ORDER BY seq", org, scope)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: read screen state of %s %q: %w", org, scope, err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var lines []byte
		if err := rows.Scan(&at, &lines); err != nil {
			return time.Time{}, false, fmt.Errorf("store: read screen state of %s %q: %w", org, scope, err)
		}
		since, ok = fromMicros(at), true
		if err := each(lines); err != nil {
			return time.Time{}, false, err
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, false, fmt.Errorf("store: read screen state of %s %q: %w", org, scope, err)
	}
	return since, ok, nil
}
