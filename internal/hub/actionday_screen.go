package hub

import (
	"context"
	"errors"
	"fmt"
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

// An action day's bookings as a caller sees them: screened with the
// day's rule package over the bookings the caller may see (actionday.go).

// BookingView is a submitted booking as a caller may see it: the flight,
// the payment's countries and BIN, the hub's screening of it over the
// bookings the caller may see, and its outcome. Names and card numbers
// are never shown: the hub holds only their keyed hashes, and does not
// show those either.
type BookingView struct {
	Airline     string    `json:"airline"` // the organization that submitted it
	Booking     string    `json:"booking"` // its booking reference
	Carrier     string    `json:"carrier,omitempty"`
	Booked      time.Time `json:"booked"`
	Departure   time.Time `json:"departure"`
	Origin      string    `json:"origin"`
	Destination string    `json:"destination"`
	Country     string    `json:"country"` // of departure
	Police      string    `json:"police,omitempty"`
	CardBIN     string    `json:"card_bin"`
	BINCountry  string    `json:"bin_country"`
	IPCountry   string    `json:"ip_country"`
	ClientIP    string    `json:"client_ip"`
	Amount      float64   `json:"amount"`
	Currency    string    `json:"currency"`
	Channel     string    `json:"channel"`
	Submitted   time.Time `json:"submitted"`

	Score   float64        `json:"score"`
	Flagged bool           `json:"flagged"` // the hub's screening reaches the package's threshold
	Reasons []ScreenReason `json:"reasons"`
	Ring    *BookingRing   `json:"ring,omitempty"` // when linked to other bookings the caller may see

	Outcome *Outcome `json:"outcome,omitempty"`
}

// BookingRing is the ring a booking is linked into, counted over the
// bookings the caller may see.
type BookingRing struct {
	ID        string  `json:"id"` // "ring-" and its first booking's airline/reference
	Size      int     `json:"size"`
	Airlines  int     `json:"airlines"`  // organizations that submitted its bookings
	Countries int     `json:"countries"` // departure countries
	Score     float64 `json:"score"`
}

// Outcome is what a police organization recorded of a booking.
type Outcome struct {
	Outcome  string    `json:"outcome"`
	Org      string    `json:"org"`
	Note     string    `json:"note,omitempty"`
	Recorded time.Time `json:"recorded"`
}

// ActionDayPackage is the bookings of an action day a caller may see, of
// one departure country or all, under the action day's handling.
type ActionDayPackage struct {
	ActionDay string         `json:"action_day"`
	Country   string         `json:"country,omitempty"`
	Police    string         `json:"police,omitempty"`
	TLP       intel.TLP      `json:"tlp"`
	Handling  intel.Handling `json:"handling"`
	Package   string         `json:"package"` // the rule package, id@version
	Bookings  []BookingView  `json:"bookings"`
}

// ActionDayBookings returns the bookings of action day id that c may see,
// of departure country (all when empty), screened over the bookings c may
// see: a police organization's package of its country, an airline's own
// submissions with their outcomes, everything to the coordinator. Showing
// a booking to another organization than its airline is logged as a
// disclosure before it is shown, with the hash of the booking's stored
// content (evidence.ActionDayBookingContent): the screening beside it is
// worked out afresh from the bookings the caller may see.
func (h *Hub) ActionDayBookings(ctx context.Context, c *policy.Caller, id, country string) (ActionDayPackage, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return ActionDayPackage{}, err
	}
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		return ActionDayPackage{}, err
	}
	if country != "" && !intel.IsCountry(country) {
		return ActionDayPackage{}, &intel.FieldError{Field: "country", Value: country, Reason: "not an ISO 3166-1 alpha-2 country code"}
	}
	rows, err := h.visibleBookings(ctx, c, &d)
	if err != nil {
		return ActionDayPackage{}, err
	}
	views, pkg, err := h.screenBookings(ctx, &d, rows)
	if err != nil {
		return ActionDayPackage{}, err
	}
	out := ActionDayPackage{ActionDay: id, Country: country, Police: d.Police[country], TLP: intel.Amber, Handling: d.Handling, Package: pkg, Bookings: []BookingView{}}
	byOwner := map[string][]evidence.Object{}
	for i, v := range views {
		if country != "" && v.Country != country {
			continue
		}
		out.Bookings = append(out.Bookings, v)
		if v.Airline != c.Org {
			// The booking as stored: what the view shows of it, and
			// what evidence verify checks the row against.
			byOwner[v.Airline] = append(byOwner[v.Airline], evidence.ObjectOf(evidence.KindBooking, evidence.BookingID(id, v.Airline, v.Booking), v.Airline,
				evidence.ActionDayBookingContent(rows[i])))
		}
	}
	if err := h.disclose(ctx, c, byOwner); err != nil {
		return ActionDayPackage{}, err
	}
	return out, nil
}

// screenBookings screens rows with d's rule package, in booking-time
// order, linking them into rings, and returns their views in the order
// of rows and the package's id@version.
func (h *Hub) screenBookings(ctx context.Context, d *ActionDay, rows []store.ActionDayBookingRow) ([]BookingView, string, error) {
	comp, err := h.dayPackage(ctx, d)
	if err != nil {
		return nil, "", err
	}
	bs := make([]screen.Booking, len(rows))
	for i, r := range rows {
		if bs[i], err = screen.ParseBooking([]byte(r.Booking), screen.ReaderOptions{}); err != nil {
			return nil, "", fmt.Errorf("hub: stored booking %s/%s: %w", r.Org, r.BookingID, err)
		}
		bs[i].ID = strconv.Itoa(i) // the screener's id: the row
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return bs[a].Booked.Compare(bs[b].Booked) })
	s := screen.New(comp, screen.DefaultConfig())
	for _, i := range order {
		if _, err := s.Add(&bs[i]); err != nil {
			return nil, "", err
		}
	}
	type spread struct{ airlines, countries map[string]bool }
	spreads := map[*screen.Ring]*spread{}
	verdicts := s.Verdicts()
	for k, v := range verdicts {
		r := rows[order[k]]
		sp := spreads[v.Ring]
		if sp == nil {
			sp = &spread{map[string]bool{}, map[string]bool{}}
			spreads[v.Ring] = sp
		}
		sp.airlines[r.Org] = true
		sp.countries[r.Country] = true
	}
	views := make([]BookingView, len(rows))
	for k, v := range verdicts {
		i := order[k]
		r, b := rows[i], &bs[i]
		view := BookingView{Airline: r.Org, Booking: r.BookingID, Carrier: b.Airline, Booked: b.Booked, Departure: b.Departure,
			Origin: b.Origin, Destination: b.Destination, Country: r.Country, Police: r.Police, CardBIN: b.CardBIN,
			BINCountry: b.BINCountry, IPCountry: b.IPCountry, ClientIP: b.ClientIP.String(), Amount: b.Amount, Currency: b.Currency,
			Channel: b.Channel, Submitted: r.Submitted, Score: v.Score, Flagged: v.Flagged, Reasons: []ScreenReason{}}
		for j := range comp.Package.Rules {
			if v.Fired&(1<<j) != 0 {
				rule := comp.Package.Rules[j]
				view.Reasons = append(view.Reasons, ScreenReason{Rule: rule.ID, Reason: rule.Reason, Score: rule.Score})
			}
		}
		if v.Ring.Size > 1 {
			first, _ := strconv.Atoi(strings.TrimPrefix(v.Ring.ID, "ring-"))
			sp := spreads[v.Ring]
			view.Ring = &BookingRing{ID: "ring-" + rows[first].Org + "/" + rows[first].BookingID, Size: v.Ring.Size,
				Airlines: len(sp.airlines), Countries: len(sp.countries), Score: v.Ring.Score}
		}
		if r.Outcome != "" {
			view.Outcome = &Outcome{Outcome: r.Outcome, Org: r.OutcomeOrg, Note: r.OutcomeNote, Recorded: r.OutcomeAt}
		}
		views[i] = view
	}
	p := comp.Package
	return views, p.ID + "@" + strconv.Itoa(p.Version), nil
}

// builtinPackage returns the built-in rule package, compiled once.
func (h *Hub) builtinPackage() (*screen.Compiled, error) {
	h.scr.mu.Lock()
	defer h.scr.mu.Unlock()
	if h.scr.c == nil {
		c, err := screen.Compile(screen.Default())
		if err != nil {
			return nil, err
		}
		h.scr.c = c
	}
	return h.scr.c, nil
}

// dayRules checks the shared rule package id that c chose for an action
// day of group with police: c may use it, and every organization that
// will see the day's screening (its reasons name the package's rules) may
// see it. It returns the package as "id@version" at its current version,
// or "" for the built-in package when id is empty.
func (h *Hub) dayRules(ctx context.Context, c *policy.Caller, id, group string, police map[string]string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", nil
	}
	row, _, err := h.usablePackage(ctx, c, id)
	if errors.Is(err, intel.ErrNotFound) {
		return "", &intel.FieldError{Field: "rules", Value: id, Reason: "no rule package of that id that your organization may use"}
	}
	if err != nil {
		return "", err
	}
	pinned := evidence.RulePackageID(row.ID, row.Version)
	return pinned, h.rulesSeenBy(ctx, pinned, group, police)
}

// rulesSeenBy checks that the members of group and the police
// organizations named may all see the rule package version pinned.
func (h *Hub) rulesSeenBy(ctx context.Context, pinned, group string, police map[string]string) error {
	row, err := h.pinnedPackage(ctx, pinned)
	if err != nil {
		return err
	}
	g, err := h.store.Group(ctx, group)
	if err != nil {
		return err
	}
	orgs := slices.Concat(g.Members, slices.Collect(maps.Values(police)))
	slices.Sort(orgs)
	for _, org := range slices.Compact(orgs) {
		groups, err := h.store.GroupsOf(ctx, org)
		if err != nil {
			return err
		}
		if _, ok, err := rowVisible(&policy.Caller{Org: org, Role: intel.RoleReader, Groups: groups}, row); err != nil || !ok {
			if err != nil {
				return err
			}
			return &intel.FieldError{Field: "rules", Value: row.ID, Reason: "the package is not shared with " + org + ", which would see its rules in the day's screening"}
		}
	}
	return nil
}

// pinnedPackage reads the rule package version an action day names.
func (h *Hub) pinnedPackage(ctx context.Context, pinned string) (store.RulePackageRow, error) {
	id, v, ok := strings.Cut(pinned, "@")
	version, err := strconv.Atoi(v)
	if !ok || err != nil {
		return store.RulePackageRow{}, fmt.Errorf("hub: action day rule package %q: not id@version", pinned)
	}
	return h.store.RulePackage(ctx, id, version)
}

// dayPackage returns the compiled rule package d screens with: its pinned
// shared version (even if revoked since: the day was screened with it),
// or the built-in package.
func (h *Hub) dayPackage(ctx context.Context, d *ActionDay) (*screen.Compiled, error) {
	if d.Rules == "" {
		return h.builtinPackage()
	}
	row, err := h.pinnedPackage(ctx, d.Rules)
	if err != nil {
		return nil, err
	}
	return h.compiledPackage(row)
}
