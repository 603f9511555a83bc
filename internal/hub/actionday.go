package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/screen"
	"fusion/internal/store"
)

// Action days, as airlines, card schemes and police run them against
// card-not-present fraud on flights: a coordinator (a police organization
// or an agency like Europol) opens an action day for a sharing group of
// airlines and police; each airline screens its own bookings
// (fusion screen, POST /api/v1/screen) and submits the flagged ones; the
// hub routes each booking to the police organization of its departure
// country, as one package per country; the police record what came of
// each booking, which its airline sees; and the day's figures add up by
// country and airline.
//
// Who sees what is policy's (ActionDayShared, BookingShared): an airline
// its own bookings, a police organization its country's package, the
// coordinator everything. Rings and scores are worked out for each
// caller over the bookings it may see, with the action day's rule
// package, so that bookings of two airlines sharing a card link at the
// hub for the coordinator and for a police organization holding both,
// and nobody learns anything of a booking it may not see through a ring
// or a count. Names and card numbers reach the store only as keyed
// hashes (HMAC-SHA-256 under the hub's key, as inline screening hashes
// them), so two airlines' bookings of one card link without either
// giving the other, or the hub's store, its customers in clear. The
// police learn who travels from the airline, by booking reference, under
// their own powers.

// Action-day limits.
const (
	// MaxSubmitBookings bounds the bookings of one submission.
	MaxSubmitBookings = 10_000
	// MaxActionDayBookings bounds the bookings of one action day.
	MaxActionDayBookings = 100_000
	// maxOutcomeNote bounds an outcome's note, in bytes.
	maxOutcomeNote = 1024
)

// The outcomes a police organization records for a booking.
const (
	OutcomeArrest         = "arrest"
	OutcomeDeniedBoarding = "denied-boarding"
	OutcomeFalsePositive  = "false-positive"
	OutcomeNoShow         = "no-show"
)

// ActionDayOutcomes lists the outcomes, in the summary's order.
var ActionDayOutcomes = []string{OutcomeArrest, OutcomeDeniedBoarding, OutcomeFalsePositive, OutcomeNoShow}

// ActionDaySettings is what the coordinator sets.
type ActionDaySettings struct {
	Name string `json:"name"`
	Day  string `json:"day"` // YYYY-MM-DD
	// Group is the sharing group taking part: its members submit bookings.
	Group string `json:"group"`
	// Police names, for each departure country, the police organization
	// its bookings are routed to.
	Police map[string]string `json:"police"`
	// Handling is what the coordinator set for the packages: the SIENA
	// handling codes each booking is shown under.
	Handling intel.Handling `json:"handling"`
	// Rules is the shared rule package the hub screens the bookings
	// with, as "id@version" (the version current when it was chosen);
	// the built-in package when empty.
	Rules string `json:"rules,omitempty"`
}

// ActionDay is an action day as a caller sees it.
type ActionDay struct {
	ID          string `json:"id"`
	Coordinator string `json:"coordinator"`
	ActionDaySettings
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Bookings counts the bookings submitted that the caller may see.
	Bookings int `json:"bookings"`
}

// ActionDayInput creates an action day. Police may be left out: each
// police organization of the group is then named for its own country.
type ActionDayInput struct {
	Name     string            `json:"name"`
	Day      string            `json:"day"`
	Group    string            `json:"group"`
	Police   map[string]string `json:"police"`
	Handling *intel.Handling   `json:"handling"`
	// Rules names a shared rule package (its id) to screen the day's
	// bookings with; left out, the built-in package.
	Rules string `json:"rules"`
}

// ActionDayPatch changes an action day; fields left out are kept. Police
// are named for more countries, never replaced or removed: the bookings
// routed to a police organization stay with it.
type ActionDayPatch struct {
	Name     *string           `json:"name"`
	Police   map[string]string `json:"police"`
	Handling *intel.Handling   `json:"handling"`
	// Rules, when given, names the shared rule package to screen with
	// from now on, at its current version; "" for the built-in package.
	Rules *string `json:"rules"`
}

// CreateActionDay opens an action day coordinated by c's organization for
// a group c's organization belongs to. It needs policy.CreateRecords.
func (h *Hub) CreateActionDay(ctx context.Context, c *policy.Caller, in ActionDayInput) (ActionDay, error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return ActionDay{}, err
	}
	s := ActionDaySettings{Name: strings.TrimSpace(in.Name), Day: strings.TrimSpace(in.Day), Group: strings.TrimSpace(in.Group)}
	if s.Name == "" || len(s.Name) > 200 {
		return ActionDay{}, &intel.FieldError{Field: "name", Value: in.Name, Reason: "must be 1 to 200 bytes"}
	}
	if _, err := time.Parse(time.DateOnly, s.Day); err != nil {
		return ActionDay{}, &intel.FieldError{Field: "day", Value: in.Day, Reason: "not a date (YYYY-MM-DD)"}
	}
	if !policy.Group(c, s.Group) {
		return ActionDay{}, &intel.FieldError{Field: "group", Value: in.Group, Reason: "not a group your organization belongs to"}
	}
	if in.Handling != nil {
		s.Handling = *in.Handling
	}
	var err error
	if s.Handling, err = s.Handling.Normalize(intel.Amber); err != nil {
		return ActionDay{}, err
	}
	if s.Handling.Codes == nil {
		s.Handling.Codes = []string{}
	}
	if s.Police, err = h.checkPolice(ctx, in.Police, s.Group); err != nil {
		return ActionDay{}, err
	}
	if s.Rules, err = h.dayRules(ctx, c, in.Rules, s.Group, s.Police); err != nil {
		return ActionDay{}, err
	}
	now := h.now()
	row := store.ActionDayRow{ID: newID(), Coordinator: c.Org, Created: now, Updated: now}
	if row.Settings, err = settingsJSON(s); err != nil {
		return ActionDay{}, err
	}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutActionDay(row); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.ActionDayCreate, evidence.KindActionDay, row.ID, c.Org, nil, actionDayContent(tx, row.ID))
	})
	if err != nil {
		return ActionDay{}, err
	}
	return ActionDay{ID: row.ID, Coordinator: c.Org, ActionDaySettings: s, Created: now, Updated: now}, nil
}

func settingsJSON(s ActionDaySettings) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

func actionDayContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.ActionDay(id)
		return evidence.ActionDayContent(r), err
	}
}

// checkPolice checks the police named per country: each a police
// organization of that country. Without any, it names each police
// organization of the group for its country; a country with two of them
// must be named.
func (h *Hub) checkPolice(ctx context.Context, police map[string]string, group string) (map[string]string, error) {
	dir, err := h.directory(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(police) == 0 {
		g, err := h.store.Group(ctx, group)
		if err != nil {
			return nil, err
		}
		for _, m := range g.Members {
			o := dir[m]
			if o.Sector != "police" {
				continue
			}
			if prev, ok := out[o.Country]; ok {
				return nil, &intel.FieldError{Field: "police." + o.Country, Value: prev + ", " + o.ID, Reason: "two police organizations of the group are in this country: name one"}
			}
			out[o.Country] = o.ID
		}
		return out, nil
	}
	if len(police) > 300 {
		return nil, &intel.FieldError{Field: "police", Reason: "more than 300 countries"}
	}
	for _, cc := range slices.Sorted(maps.Keys(police)) {
		id := police[cc]
		if !intel.IsCountry(cc) {
			return nil, &intel.FieldError{Field: "police", Value: cc, Reason: "not an ISO 3166-1 alpha-2 country code"}
		}
		o, ok := dir[id]
		switch {
		case !ok:
			return nil, &intel.FieldError{Field: "police." + cc, Value: id, Reason: "no such organization"}
		case o.Sector != "police":
			return nil, &intel.FieldError{Field: "police." + cc, Value: id, Reason: "not a police organization (sector " + o.Sector + ")"}
		case o.Country != cc:
			return nil, &intel.FieldError{Field: "police." + cc, Value: id, Reason: "an organization of " + o.Country}
		}
		out[cc] = id
	}
	return out, nil
}

// actionDayOf reads an action day's row into its view, without counts.
func actionDayOf(r store.ActionDayRow) (ActionDay, error) {
	d := ActionDay{ID: r.ID, Coordinator: r.Coordinator, Created: r.Created, Updated: r.Updated}
	if err := json.Unmarshal([]byte(r.Settings), &d.ActionDaySettings); err != nil {
		return d, fmt.Errorf("hub: action day %s: settings: %w", r.ID, err)
	}
	if d.Police == nil {
		d.Police = map[string]string{}
	}
	return d, nil
}

func (d *ActionDay) shared() policy.Shared {
	return policy.ActionDayShared(d.Coordinator, d.Group, slices.Sorted(maps.Values(d.Police)))
}

func (d *ActionDay) bookingShared(r *store.ActionDayBookingRow) policy.Shared {
	return policy.BookingShared(r.Org, d.Coordinator, r.Police)
}

// visibleDay reads action day id if c may see it; intel.ErrNotFound if not.
func (h *Hub) visibleDay(ctx context.Context, c *policy.Caller, id string) (ActionDay, error) {
	r, err := h.store.ActionDay(ctx, id)
	if err != nil {
		return ActionDay{}, err
	}
	d, err := actionDayOf(r)
	if err != nil {
		return ActionDay{}, err
	}
	if policy.Decide(c, d.shared()) == policy.Hidden {
		return ActionDay{}, fmt.Errorf("action day %q: %w", id, intel.ErrNotFound)
	}
	return d, nil
}

// visibleBookings returns the bookings of d that c may see.
func (h *Hub) visibleBookings(ctx context.Context, c *policy.Caller, d *ActionDay) ([]store.ActionDayBookingRow, error) {
	all, err := h.store.ActionDayBookings(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r store.ActionDayBookingRow) bool { return !policy.Count(c, d.bookingShared(&r)) }), nil
}

// ActionDays lists the action days c may see, newest first, each with the
// number of its bookings c may see. It needs policy.ReadIntel.
func (h *Hub) ActionDays(ctx context.Context, c *policy.Caller) ([]ActionDay, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	rows, err := h.store.ActionDays(ctx)
	if err != nil {
		return nil, err
	}
	out := []ActionDay{}
	for _, r := range rows {
		d, err := actionDayOf(r)
		if err != nil {
			return nil, err
		}
		if policy.Decide(c, d.shared()) == policy.Hidden {
			continue
		}
		bs, err := h.visibleBookings(ctx, c, &d)
		if err != nil {
			return nil, err
		}
		d.Bookings = len(bs)
		out = append(out, d)
	}
	return out, nil
}

// GetActionDay returns one action day c may see.
func (h *Hub) GetActionDay(ctx context.Context, c *policy.Caller, id string) (ActionDay, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return ActionDay{}, err
	}
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		return ActionDay{}, err
	}
	bs, err := h.visibleBookings(ctx, c, &d)
	d.Bookings = len(bs)
	return d, err
}

// UpdateActionDay changes an action day; only its coordinator may. A
// country newly given a police organization has its waiting bookings
// routed to it, in the same transaction.
func (h *Hub) UpdateActionDay(ctx context.Context, c *policy.Caller, id string, p ActionDayPatch) (ActionDay, error) {
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		return ActionDay{}, err
	}
	if err := policy.Change(c, "action day", id, d.shared()); err != nil {
		return ActionDay{}, err
	}
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		if n == "" || len(n) > 200 {
			return ActionDay{}, &intel.FieldError{Field: "name", Value: *p.Name, Reason: "must be 1 to 200 bytes"}
		}
		d.Name = n
	}
	if p.Handling != nil {
		hd, err := p.Handling.Normalize(intel.Amber)
		if err != nil {
			return ActionDay{}, err
		}
		if hd.Codes == nil {
			hd.Codes = []string{}
		}
		d.Handling = hd
	}
	var added map[string]string
	if len(p.Police) > 0 {
		if added, err = h.checkPolice(ctx, p.Police, d.Group); err != nil {
			return ActionDay{}, err
		}
		for cc, org := range added {
			if prev := d.Police[cc]; prev != "" && prev != org {
				return ActionDay{}, &intel.FieldError{Field: "police." + cc, Value: org,
					Reason: prev + " is named for " + cc + " already: the police of a country are not replaced, so that the bookings shown to them stay theirs"}
			}
			d.Police[cc] = org
		}
	}
	switch {
	case p.Rules != nil:
		if d.Rules, err = h.dayRules(ctx, c, *p.Rules, d.Group, d.Police); err != nil {
			return ActionDay{}, err
		}
	case d.Rules != "" && len(added) > 0:
		// The police named now must see the package too.
		if err := h.rulesSeenBy(ctx, d.Rules, d.Group, added); err != nil {
			return ActionDay{}, err
		}
	}
	settings, err := settingsJSON(d.ActionDaySettings)
	if err != nil {
		return ActionDay{}, err
	}
	now := h.now()
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		cur, err := tx.ActionDay(id)
		if err != nil {
			return err
		}
		before := evidence.ActionDayContent(cur)
		cur.Settings, cur.Updated = settings, now
		if err := tx.PutActionDay(cur); err != nil {
			return err
		}
		if err := h.logged(tx, actorOf(c), evidence.ActionDayUpdate, evidence.KindActionDay, id, d.Coordinator, before, actionDayContent(tx, id)); err != nil {
			return err
		}
		if len(added) == 0 {
			return nil
		}
		rows, err := tx.ActionDayBookings(id)
		if err != nil {
			return err
		}
		byAirline := map[string][]evidence.Object{}
		for _, r := range rows {
			if r.Police != "" || added[r.Country] == "" {
				continue
			}
			prev := evidence.ActionDayBookingContent(r)
			r.Police = added[r.Country]
			if err := tx.UpdateActionDayBooking(r); err != nil {
				return err
			}
			after, err := tx.ActionDayBooking(id, r.Org, r.BookingID)
			if err != nil {
				return err
			}
			byAirline[r.Org] = append(byAirline[r.Org], evidence.ChangeOf(evidence.KindBooking, evidence.BookingID(id, r.Org, r.BookingID), r.Org,
				prev, evidence.ActionDayBookingContent(after)))
		}
		for _, org := range slices.Sorted(maps.Keys(byAirline)) {
			if err := h.ev.Append(tx, actorOf(c).leaf(evidence.ActionDayUpdate, byAirline[org]...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ActionDay{}, err
	}
	d.Updated = now
	return h.GetActionDay(ctx, c, id)
}

// SubmitResult is what a submission did.
type SubmitResult struct {
	// Added counts the bookings stored; Unchanged those submitted before
	// with the same fields.
	Added     int `json:"added"`
	Unchanged int `json:"unchanged"`
	// Routed counts the bookings added per departure country's police
	// organization; Unrouted those of countries the action day names no
	// police for (they wait for the coordinator to name one).
	Routed   map[string]int `json:"routed"`
	Unrouted map[string]int `json:"unrouted"`
}

// SubmitBookings adds c's organization's flagged bookings, read from r as
// JSON lines or CSV (format "jsonl" or "csv", the fields of
// docs/screen.md), to action day id. Clear names and card numbers are
// hashed under the hub's key as they are read and never stored; a hub
// without matching enabled takes hashed fields only. A booking submitted
// again with the same fields is left as it is; with other fields it is
// refused, as is the whole submission with it: what was submitted is not
// changed. A bad line is a *screen.LineError naming it.
func (h *Hub) SubmitBookings(ctx context.Context, c *policy.Caller, id, format string, r io.Reader) (SubmitResult, error) {
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		if e := policy.SubmitBookingsRole(c); e != nil {
			return SubmitResult{}, e
		}
		return SubmitResult{}, err
	}
	if err := policy.SubmitBookings(c, id, d.shared()); err != nil {
		return SubmitResult{}, err
	}
	rd, err := screen.NewReader(format, r, screen.ReaderOptions{Key: h.screenKey()})
	if err != nil {
		return SubmitResult{}, &intel.FieldError{Field: "format", Value: format, Reason: "want jsonl or csv"}
	}
	now := h.now()
	var rows []store.ActionDayBookingRow
	seen := map[string]int{}
	for {
		b, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return SubmitResult{}, err
		}
		if len(rows) == MaxSubmitBookings {
			return SubmitResult{}, &intel.FieldError{Field: "bookings", Value: strconv.Itoa(len(rows) + 1), Reason: fmt.Sprintf("more than %d bookings in one submission", MaxSubmitBookings)}
		}
		if line, ok := seen[b.ID]; ok {
			return SubmitResult{}, &screen.LineError{Line: len(rows) + 1, Field: "id", Value: b.ID, Reason: "given twice in this submission (first at booking " + strconv.Itoa(line) + ")"}
		}
		seen[b.ID] = len(rows) + 1
		rows = append(rows, store.ActionDayBookingRow{ActionDay: id, Org: c.Org, BookingID: b.ID, Booking: string(b.AppendJSON(nil)),
			Country: b.OriginCountry, Police: d.Police[b.OriginCountry], Submitted: now})
	}
	res := SubmitResult{Routed: map[string]int{}, Unrouted: map[string]int{}}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil { // one submission at a time: the limit below holds
			return err
		}
		held, err := tx.ActionDayBookings(id)
		if err != nil {
			return err
		}
		mine := map[string]string{}
		for _, r := range held {
			if r.Org == c.Org {
				mine[r.BookingID] = r.Booking
			}
		}
		var add []store.ActionDayBookingRow
		for i, r := range rows {
			prev, ok := mine[r.BookingID]
			switch {
			case ok && prev == r.Booking:
				res.Unchanged++
			case ok:
				return &screen.LineError{Line: i + 1, Field: "id", Value: r.BookingID, Reason: "submitted before with other fields: a submitted booking is not changed"}
			default:
				add = append(add, r)
			}
		}
		if len(held)+len(add) > MaxActionDayBookings {
			return &intel.FieldError{Field: "bookings", Value: strconv.Itoa(len(add)), Reason: fmt.Sprintf("the action day would hold more than %d bookings", MaxActionDayBookings)}
		}
		if err := tx.InsertActionDayBookings(add); err != nil {
			return err
		}
		day := evidence.Object{Kind: evidence.KindActionDay, ID: id, Owner: d.Coordinator}
		for chunk := range slices.Chunk(add, 256) {
			objs := []evidence.Object{day}
			for _, r := range chunk {
				objs = append(objs, evidence.ObjectOf(evidence.KindBooking, evidence.BookingID(id, r.Org, r.BookingID), r.Org, evidence.ActionDayBookingContent(r)))
			}
			leaf := actorOf(c).leaf(evidence.ActionDaySubmit, objs...)
			leaf.Time = now
			if err := h.ev.Append(tx, leaf); err != nil {
				return err
			}
		}
		for _, r := range add {
			res.Added++
			if r.Police != "" {
				res.Routed[r.Police]++
			} else {
				res.Unrouted[r.Country]++
			}
		}
		return nil
	})
	if err != nil {
		return SubmitResult{}, err
	}
	return res, nil
}

// RecordOutcome records what came of a booking routed to c's police
// organization: one of ActionDayOutcomes, with an optional note; a later
// outcome replaces it, and each is logged. Its airline sees it.
func (h *Hub) RecordOutcome(ctx context.Context, c *policy.Caller, id, airline, booking, outcome, note string) (Outcome, error) {
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		return Outcome{}, err
	}
	note = strings.TrimSpace(note)
	var out Outcome
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		r, err := tx.ActionDayBooking(id, airline, booking)
		if err != nil {
			return err
		}
		if err := policy.RecordOutcome(c, booking, d.bookingShared(&r), r.Police); err != nil {
			return err
		}
		if !slices.Contains(ActionDayOutcomes, outcome) {
			return &intel.FieldError{Field: "outcome", Value: outcome, Reason: "not an outcome (" + strings.Join(ActionDayOutcomes, ", ") + ")"}
		}
		if len(note) > maxOutcomeNote {
			return &intel.FieldError{Field: "note", Reason: fmt.Sprintf("longer than %d bytes", maxOutcomeNote)}
		}
		prev := evidence.ActionDayBookingContent(r)
		r.Outcome, r.OutcomeOrg, r.OutcomeNote, r.OutcomeAt = outcome, c.Org, note, h.now()
		if err := tx.UpdateActionDayBooking(r); err != nil {
			return err
		}
		after, err := tx.ActionDayBooking(id, airline, booking)
		if err != nil {
			return err
		}
		out = Outcome{Outcome: after.Outcome, Org: after.OutcomeOrg, Note: after.OutcomeNote, Recorded: after.OutcomeAt}
		return h.ev.Append(tx, actorOf(c).leaf(evidence.ActionDayOutcome,
			evidence.ChangeOf(evidence.KindBooking, evidence.BookingID(id, airline, booking), airline, prev, evidence.ActionDayBookingContent(after)),
			evidence.Object{Kind: evidence.KindActionDay, ID: id, Owner: d.Coordinator}))
	})
	return out, err
}
