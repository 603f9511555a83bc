package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fusion/internal/intel"
)

// ActionDayRow is an action day: its coordinator and its settings as the
// coordinator set them (JSON; package hub gives them their meaning).
type ActionDayRow struct {
	ID          string
	Coordinator string
	Settings    string
	Created     time.Time
	Updated     time.Time
}

const actionDayCols = "id, coordinator, settings, created, updated"

func scanActionDay(sc interface{ Scan(...any) error }) (ActionDayRow, error) {
	var r ActionDayRow
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Coordinator, &r.Settings, &created, &updated); err != nil {
		return r, err
	}
	r.Created, r.Updated = fromMicros(created), fromMicros(updated)
	return r, nil
}

// ActionDays returns every action day, newest first.
func (s *Store) ActionDays(ctx context.Context) ([]ActionDayRow, error) {
	var out []ActionDayRow
	err := s.reader(ctx).each("SELECT "+actionDayCols+" FROM action_days ORDER BY created DESC, id", nil, func(rows *sql.Rows) error {
		r, err := scanActionDay(rows)
		out = append(out, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read action days: %w", err)
	}
	return out, nil
}

// ScanActionDayRows calls fn with every action day, for the evidence check.
func (s *Store) ScanActionDayRows(ctx context.Context, fn func(ActionDayRow) error) error {
	all, err := s.ActionDays(ctx)
	return callEach(all, err, fn)
}

// ActionDay returns one action day; intel.ErrNotFound when there is none.
func (s *Store) ActionDay(ctx context.Context, id string) (ActionDayRow, error) {
	return actionDay(s.reader(ctx), id)
}

// ActionDay is Store.ActionDay inside the transaction.
func (t *Tx) ActionDay(id string) (ActionDayRow, error) { return actionDay(t.reader(), id) }

func actionDay(r reader, id string) (ActionDayRow, error) {
	row, err := scanActionDay(r.queryRow("SELECT "+actionDayCols+" FROM action_days WHERE id = ?", id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ActionDayRow{}, fmt.Errorf("action day %q: %w", id, intel.ErrNotFound)
	case err != nil:
		return ActionDayRow{}, fmt.Errorf("store: read action day: %w", err)
	}
	return row, nil
}

// PutActionDay creates or replaces an action day.
func (t *Tx) PutActionDay(r ActionDayRow) error {
	_, err := t.exec("INSERT INTO action_days ("+actionDayCols+") VALUES (?, ?, ?, ?, ?) "+
		"ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated = excluded.updated",
		r.ID, r.Coordinator, r.Settings, micros(r.Created), micros(r.Updated))
	if err != nil {
		return fmt.Errorf("store: save action day: %w", err)
	}
	return nil
}

// ActionDayBookingRow is a booking submitted to an action day.
type ActionDayBookingRow struct {
	ActionDay string
	Org       string // the airline that submitted it
	BookingID string
	Booking   string // hashed JSON line (screen.Booking.AppendJSON)
	Country   string // departure country
	Police    string // the organization it was routed to; "" for none
	Submitted time.Time
	// The outcome, once the police organization recorded one.
	Outcome     string
	OutcomeOrg  string
	OutcomeNote string
	OutcomeAt   time.Time // zero without an outcome
}

const actionDayBookingCols = "action_day, org_id, booking_id, booking, country, police, submitted, outcome, outcome_org, outcome_note, outcome_at"

func scanActionDayBooking(sc interface{ Scan(...any) error }) (ActionDayBookingRow, error) {
	var r ActionDayBookingRow
	var submitted, at int64
	if err := sc.Scan(&r.ActionDay, &r.Org, &r.BookingID, &r.Booking, &r.Country, &r.Police, &submitted,
		&r.Outcome, &r.OutcomeOrg, &r.OutcomeNote, &at); err != nil {
		return r, err
	}
	r.Submitted = fromMicros(submitted)
	if at != 0 {
		r.OutcomeAt = fromMicros(at)
	}
	return r, nil
}

// ActionDayBookings returns the bookings submitted to an action day, by
// airline and booking id.
func (s *Store) ActionDayBookings(ctx context.Context, actionDay string) ([]ActionDayBookingRow, error) {
	return actionDayBookings(s.reader(ctx), "WHERE action_day = ?", actionDay)
}

// ActionDayBookings is Store.ActionDayBookings inside the transaction.
func (t *Tx) ActionDayBookings(actionDay string) ([]ActionDayBookingRow, error) {
	return actionDayBookings(t.reader(), "WHERE action_day = ?", actionDay)
}

// ScanActionDayBookingRows calls fn with every booking of every action
// day, for the evidence check.
func (s *Store) ScanActionDayBookingRows(ctx context.Context, fn func(ActionDayBookingRow) error) error {
	err := s.reader(ctx).each("SELECT "+actionDayBookingCols+" FROM action_day_bookings ORDER BY action_day, org_id, booking_id", nil, func(rows *sql.Rows) error {
		r, err := scanActionDayBooking(rows)
		if err != nil {
			return err
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("store: read action day bookings: %w", err)
	}
	return nil
}

func actionDayBookings(r reader, where string, args ...any) ([]ActionDayBookingRow, error) {
	out := []ActionDayBookingRow{}
	err := r.each("SELECT "+actionDayBookingCols+" FROM action_day_bookings "+where+" ORDER BY org_id, booking_id", args, func(rows *sql.Rows) error {
		b, err := scanActionDayBooking(rows)
		out = append(out, b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read action day bookings: %w", err)
	}
	return out, nil
}

// ActionDayBooking reads one submitted booking inside the transaction;
// intel.ErrNotFound when the airline submitted no booking of that id.
func (t *Tx) ActionDayBooking(actionDay, org, booking string) (ActionDayBookingRow, error) {
	r, err := scanActionDayBooking(t.queryRow("SELECT "+actionDayBookingCols+" FROM action_day_bookings WHERE action_day = ? AND org_id = ? AND booking_id = ?",
		actionDay, org, booking))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, fmt.Errorf("booking %q of %q: %w", booking, org, intel.ErrNotFound)
	case err != nil:
		return r, fmt.Errorf("store: read action day booking: %w", err)
	}
	return r, nil
}

// InsertActionDayBookings adds submitted bookings; none may be there yet.
func (t *Tx) InsertActionDayBookings(rows []ActionDayBookingRow) error {
	b := t.batch("INSERT INTO action_day_bookings ("+actionDayBookingCols+") VALUES ", 11)
	defer b.close()
	for _, r := range rows {
		var at int64
		if !r.OutcomeAt.IsZero() {
			at = micros(r.OutcomeAt)
		}
		if err := b.add(r.ActionDay, r.Org, r.BookingID, r.Booking, r.Country, r.Police, micros(r.Submitted),
			r.Outcome, r.OutcomeOrg, r.OutcomeNote, at); err != nil {
			return fmt.Errorf("store: add action day bookings: %w", err)
		}
	}
	if err := b.flush(); err != nil {
		return fmt.Errorf("store: add action day bookings: %w", err)
	}
	return nil
}

// UpdateActionDayBooking writes a booking's routing and outcome; what was
// submitted does not change.
func (t *Tx) UpdateActionDayBooking(r ActionDayBookingRow) error {
	var at int64
	if !r.OutcomeAt.IsZero() {
		at = micros(r.OutcomeAt)
	}
	_, err := t.exec("UPDATE action_day_bookings SET police = ?, outcome = ?, outcome_org = ?, outcome_note = ?, outcome_at = ? "+
		"WHERE action_day = ? AND org_id = ? AND booking_id = ?",
		r.Police, r.Outcome, r.OutcomeOrg, r.OutcomeNote, at, r.ActionDay, r.Org, r.BookingID)
	if err != nil {
		return fmt.Errorf("store: save action day booking: %w", err)
	}
	return nil
}
