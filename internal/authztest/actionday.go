package authztest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policymodel"
)

// ActionDayClient is the action-day surface (issue 18). A Client that
// implements it has action days in its worlds (checkActionDays).
type ActionDayClient interface {
	CreateActionDay(org string, in hub.ActionDayInput) (hub.ActionDay, error)
	ActionDays(org string) ([]hub.ActionDay, error)
	GetActionDay(org, id string) (hub.ActionDay, error)
	UpdateActionDay(org, id string, p hub.ActionDayPatch) (hub.ActionDay, error)
	// SubmitBookings posts bookings as JSON lines.
	SubmitBookings(org, id string, jsonl []byte) (hub.SubmitResult, error)
	ActionDayBookings(org, id, country string) (hub.ActionDayPackage, error)
	RecordOutcome(org, id, airline, booking, outcome string) (hub.Outcome, error)
	ActionDaySummary(org, id string) (hub.ActionDaySummary, error)
}

// modelDay is an action day as the test knows it.
type modelDay struct {
	id       string
	day      policymodel.ActionDay
	bookings []*policymodel.Booking
}

// airports gives a departure airport for each country drawn.
var airports = map[string]string{"FR": "CDG", "DE": "FRA", "ES": "MAD", "IT": "FCO"}

// cards are the cards bookings are paid with: few, so that bookings of
// different airlines and countries share one.
var cards = []string{"4970101234567890", "5500001111222233", "4111112222333344"}

// bookingLine is booking n of a world as a JSON line: paid with card, and
// with a cardholder, booker and client address of its own, so that
// bookings link into rings by their card only.
func bookingLine(b *policymodel.Booking, n int) string {
	booked := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC).Add(time.Duration(n) * 7 * time.Minute)
	return fmt.Sprintf(`{"id":%q,"booked":%q,"departure":%q,"origin":%q,"destination":"JFK","origin_country":%q,"destination_country":"US",`+
		`"bin_country":"FR","ip_country":"TH","client_ip":"198.51.%d.%d","cardholder_name":"Holder %d","traveller_name":"Traveller %d","booker":"%x",`+
		`"card_number":%q,"amount":"812.40","currency":"EUR","channel":"web","airline":"XX"}`,
		b.ID, booked.Format(time.RFC3339), booked.Add(20*time.Hour).Format(time.RFC3339), airports[b.Country], b.Country,
		100+n/250, 1+n%250, n, n, sha256.Sum256([]byte(b.ID)), b.Card)
}

// buildActionDays draws action days and what the world's organizations
// attempt on them: creations (some refused), submissions, changes of the
// police named, and outcomes, each held to the model's verdict.
func (s *worldState) buildActionDays(t *rapid.T, c ActionDayClient) []*modelDay {
	w := s.w
	var days []*modelDay
	for range rapid.IntRange(0, 4).Draw(t, "action days") {
		org := rapid.SampledFrom(w.Orgs).Draw(t, "coordinator")
		group := rapid.SampledFrom(append(slices.Clone(w.Groups), "grp-none")).Draw(t, "action-day group")
		if len(w.Members[group]) > 0 && rapid.IntRange(0, 3).Draw(t, "coordinator of the group") > 0 {
			org = rapid.SampledFrom(w.Members[group]).Draw(t, "coordinator member")
		}
		in := hub.ActionDayInput{Name: "day", Day: "2026-12-01", Group: group}
		want, ok := w.AutoPolice(group)
		if rapid.Bool().Draw(t, "police named") {
			want, ok, in.Police = map[string]string{}, true, map[string]string{}
			for _, cc := range policymodel.Countries {
				if rapid.IntRange(0, 2).Draw(t, "police for country") == 0 {
					continue
				}
				p := rapid.SampledFrom(w.Orgs).Draw(t, "police")
				if police := w.Police(cc); len(police) > 0 && rapid.IntRange(0, 5).Draw(t, "police of the country") > 0 {
					p = rapid.SampledFrom(police).Draw(t, "police of the country named")
				}
				in.Police[cc], want[cc] = p, p
				ok = ok && w.PoliceValid(cc, p)
			}
			if len(in.Police) == 0 {
				want, ok = w.AutoPolice(group)
			}
		}
		ok = ok && slices.Contains(w.Members[group], org)
		got, err := c.CreateActionDay(org, in)
		if !ok {
			if err == nil {
				t.Fatalf("%s opened an action day for group %s with police %v; the model refuses it", org, group, in.Police)
			}
			continue
		}
		must(t, err)
		if got.Coordinator != org || !maps.Equal(got.Police, want) {
			t.Fatalf("%s opened action day %+v; want coordinator %s, police %v", org, got, org, want)
		}
		days = append(days, &modelDay{id: got.ID, day: policymodel.ActionDay{Coordinator: org, Group: group, Police: want}})
	}
	if len(days) == 0 {
		return nil
	}
	n := 0
	for step := range rapid.IntRange(2, 16).Draw(t, "action-day steps") {
		d := rapid.SampledFrom(days).Draw(t, "action day")
		org := rapid.SampledFrom(w.Orgs).Draw(t, "actor")
		switch rapid.IntRange(0, 3).Draw(t, "action-day step") {
		case 0, 1: // a submission
			var lines []string
			var add []*policymodel.Booking
			for range rapid.IntRange(1, 4).Draw(t, "bookings") {
				b := &policymodel.Booking{Airline: org, ID: fmt.Sprintf("BK%d", n), Country: rapid.SampledFrom(policymodel.Countries).Draw(t, "departs"),
					Card: rapid.SampledFrom(cards).Draw(t, "card")}
				b.Police = d.day.Police[b.Country]
				lines = append(lines, bookingLine(b, n))
				add = append(add, b)
				n++
			}
			res, err := c.SubmitBookings(org, d.id, []byte(strings.Join(lines, "\n")))
			s.verdict(t, fmt.Sprintf("%s submits %d bookings to %s", org, len(add), d.id), w.MaySubmit(org, &d.day), err)
			if err != nil {
				continue
			}
			routed, unrouted := map[string]int{}, map[string]int{}
			for _, b := range add {
				if b.Police != "" {
					routed[b.Police]++
				} else {
					unrouted[b.Country]++
				}
			}
			if res.Added != len(add) || !maps.Equal(res.Routed, routed) || !maps.Equal(res.Unrouted, unrouted) {
				t.Fatalf("%s submits %d bookings to %s: %+v; want routed %v, unrouted %v", org, len(add), d.id, res, routed, unrouted)
			}
			d.bookings = append(d.bookings, add...)
		case 2: // a change of the police named
			// Mostly the coordinator naming a police organization of the
			// country, which is refused when another is named already.
			cc := rapid.SampledFrom(policymodel.Countries).Draw(t, "country named")
			if rapid.IntRange(0, 3).Draw(t, "a country with police") > 0 {
				cc = rapid.SampledFrom(policymodel.Countries[:2]).Draw(t, "country with police named")
			}
			p := rapid.SampledFrom(w.Orgs).Draw(t, "police named")
			police := slices.DeleteFunc(w.Police(cc), func(o string) bool { return o == d.day.Police[cc] })
			if len(police) > 0 && rapid.IntRange(0, 3).Draw(t, "police of the country") > 0 {
				p = rapid.SampledFrom(police).Draw(t, "police of the country named")
			}
			if rapid.IntRange(0, 3).Draw(t, "by the coordinator") > 0 {
				org = d.day.Coordinator
			}
			patch := map[string]string{cc: p}
			got, err := c.UpdateActionDay(org, d.id, hub.ActionDayPatch{Police: patch})
			what := fmt.Sprintf("%s names %s police of %s on %s", org, p, cc, d.id)
			if v := w.MayUpdate(org, &d.day); v != policymodel.Allowed || w.PoliceValid(cc, p) && !d.day.Replaces(cc, p) {
				s.verdict(t, what, v, err)
			} else if err == nil || hub.IsNotFoundErr(err) || errors.Is(err, intel.ErrForbidden) {
				// The coordinator is told what is wrong with the police
				// named: not a police organization of that country, or a
				// replacement of the one named.
				t.Fatalf("%s, not a police organization of that country or a replacement: %v", what, err)
			}
			if err != nil {
				continue
			}
			d.day.Route(patch, d.bookings)
			if !maps.Equal(got.Police, d.day.Police) || got.Bookings != len(w.Readable(org, &d.day, d.bookings)) {
				t.Fatalf("%s changes %s: %+v; want police %v", org, d.id, got, d.day.Police)
			}
		case 3: // an outcome
			var b *policymodel.Booking
			airline, id := org, fmt.Sprintf("BK-none-%d", step)
			if len(d.bookings) > 0 && rapid.IntRange(0, 5).Draw(t, "known booking") > 0 {
				b = rapid.SampledFrom(d.bookings).Draw(t, "booking")
				airline, id = b.Airline, b.ID
				if b.Police != "" && rapid.Bool().Draw(t, "by its police") {
					org = b.Police
				}
			}
			outcome := rapid.SampledFrom(hub.ActionDayOutcomes).Draw(t, "outcome")
			got, err := c.RecordOutcome(org, d.id, airline, id, outcome)
			s.verdict(t, fmt.Sprintf("%s records %s of %s/%s on %s", org, outcome, airline, id, d.id), w.MayRecordOutcome(org, &d.day, b), err)
			if err != nil {
				continue
			}
			if got.Outcome != outcome || got.Org != org {
				t.Fatalf("%s records %s of %s/%s: %+v", org, outcome, airline, id, got)
			}
			b.Outcome = outcome
		}
	}
	return days
}

// verdict holds err to the model's verdict on an attempt.
func (s *worldState) verdict(t *rapid.T, what string, want policymodel.Verdict, err error) {
	s.cases++
	var got policymodel.Verdict
	switch {
	case err == nil:
		got = policymodel.Allowed
	case hub.IsNotFoundErr(err):
		got = policymodel.NotFound
	case errors.Is(err, intel.ErrForbidden):
		got = policymodel.Forbidden
	default:
		t.Fatalf("%s: unexpected error %v; the model says %s", what, err, want)
	}
	if got != want {
		t.Fatalf("%s: %s (err %v); the model says %s", what, got, err, want)
	}
}

// checkActionDays builds action days when the client has them and holds
// every read of them, by every organization, to the model: which action
// days it lists and gets, with the count of the bookings it reads; which
// bookings it reads, all and per country, with their routing and outcome;
// the rings they link into and their scores; and the summary's counts.
// Then the evidence log must verify, in the first world of a run (later
// worlds start from a store emptied under a log that keeps growing).
func (s *worldState) checkActionDays(t *rapid.T) {
	c, ok := s.c.(ActionDayClient)
	if !ok {
		return
	}
	days := s.buildActionDays(t, c)
	for _, org := range s.w.Orgs {
		listed, err := c.ActionDays(org)
		must(t, err)
		var got, want []string
		for _, d := range listed {
			got = append(got, d.ID)
			if m := dayByID(days, d.ID); m != nil {
				s.checkDayView(t, org, m, d)
			}
		}
		for _, d := range days {
			if s.w.DayViewers(&d.day)[org] {
				want = append(want, d.id)
			}
		}
		if !slices.Equal(sortedAll(got), sortedAll(want)) {
			t.Fatalf("LEAK or miss: %s lists action days %v, the model says %v", org, got, want)
		}
		for _, d := range days {
			s.checkDay(t, c, org, d)
		}
	}
	s.checkScores(t, c, days)
	if s.verifyEvidence && len(days) > 0 {
		n := s.h.Evidence().Notary()
		rep, err := evidence.Verify(context.Background(), s.st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
		if err != nil || !rep.OK() {
			t.Fatalf("the evidence log does not verify after action days: %v %v", rep, err)
		}
	}
}

func dayByID(days []*modelDay, id string) *modelDay {
	for _, d := range days {
		if d.id == id {
			return d
		}
	}
	return nil
}

// checkDayView holds an action day as org got it to the model.
func (s *worldState) checkDayView(t *rapid.T, org string, m *modelDay, got hub.ActionDay) {
	want := len(s.w.Readable(org, &m.day, m.bookings))
	if got.Coordinator != m.day.Coordinator || got.Group != m.day.Group || !maps.Equal(got.Police, m.day.Police) || got.Bookings != want {
		t.Fatalf("%s sees action day %s as %+v; want coordinator %s, group %s, police %v, %d bookings",
			org, m.id, got, m.day.Coordinator, m.day.Group, m.day.Police, want)
	}
	s.cases++
}

// checkDay holds org's reads of action day d to the model.
func (s *worldState) checkDay(t *rapid.T, c ActionDayClient, org string, d *modelDay) {
	got, err := c.GetActionDay(org, d.id)
	if !s.w.DayViewers(&d.day)[org] {
		_, bErr := c.ActionDayBookings(org, d.id, "")
		_, sErr := c.ActionDaySummary(org, d.id)
		if !hub.IsNotFoundErr(err) || !hub.IsNotFoundErr(bErr) || !hub.IsNotFoundErr(sErr) {
			t.Fatalf("LEAK: %s reads action day %s it may not see: get %v, bookings %v, summary %v", org, d.id, err, bErr, sErr)
		}
		s.cases += 3
		return
	}
	must(t, err)
	s.checkDayView(t, org, d, got)
	readable := s.w.Readable(org, &d.day, d.bookings)
	for _, cc := range append([]string{""}, policymodel.Countries...) {
		pkg, err := c.ActionDayBookings(org, d.id, cc)
		must(t, err)
		var want []*policymodel.Booking
		for _, b := range readable {
			if cc == "" || b.Country == cc {
				want = append(want, b)
			}
		}
		if pkg.Police != d.day.Police[cc] {
			t.Fatalf("%s: the package of %s for %q names police %q, want %q", org, d.id, cc, pkg.Police, d.day.Police[cc])
		}
		s.checkBookings(t, org, d, cc, pkg.Bookings, want, readable)
	}
	s.checkSummary(t, c, org, d, readable)
}

// checkBookings holds the bookings org got of d for country (all when
// "") to want, and their rings to the readable bookings sharing a card.
func (s *worldState) checkBookings(t *rapid.T, org string, d *modelDay, country string, got []hub.BookingView, want, readable []*policymodel.Booking) {
	byKey := map[string]*policymodel.Booking{}
	for _, b := range want {
		byKey[b.Airline+"/"+b.ID] = b
	}
	seen := map[string]bool{}
	for _, v := range got {
		key := v.Airline + "/" + v.Booking
		b := byKey[key]
		if b == nil || seen[key] {
			t.Fatalf("LEAK: %s reads booking %s of %s (country %q) the model hides from it (or twice)", org, key, d.id, country)
		}
		seen[key] = true
		outcome := ""
		if v.Outcome != nil {
			outcome = v.Outcome.Outcome
		}
		if v.Country != b.Country || v.Police != b.Police || outcome != b.Outcome {
			t.Fatalf("%s reads booking %s of %s as %s routed to %q with outcome %q; want %s, %q, %q", org, key, d.id, v.Country, v.Police, outcome, b.Country, b.Police, b.Outcome)
		}
		// A ring is the bookings org reads paid with the card.
		var ring []*policymodel.Booking
		for _, o := range readable {
			if o.Card == b.Card {
				ring = append(ring, o)
			}
		}
		switch {
		case len(ring) == 1 && v.Ring != nil:
			t.Fatalf("LEAK: %s reads booking %s of %s in ring %+v; it reads no other booking of its card", org, key, d.id, v.Ring)
		case len(ring) > 1 && (v.Ring == nil || v.Ring.Size != len(ring) || v.Ring.Airlines != count(ring, func(b *policymodel.Booking) string { return b.Airline }) ||
			v.Ring.Countries != count(ring, func(b *policymodel.Booking) string { return b.Country })):
			t.Fatalf("LEAK or miss: %s reads booking %s of %s in ring %+v; it reads %d bookings of its card", org, key, d.id, v.Ring, len(ring))
		}
		s.cases++
	}
	if len(seen) != len(want) {
		t.Fatalf("%s reads %d bookings of %s (country %q), the model says %d", org, len(seen), d.id, country, len(want))
	}
	// One ring per card: the ring's id is the same for all of them.
	rings := map[string]string{}
	for _, v := range got {
		if v.Ring == nil {
			continue
		}
		card := byKey[v.Airline+"/"+v.Booking].Card
		if prev, ok := rings[card]; ok && prev != v.Ring.ID {
			t.Fatalf("%s reads bookings of one card in rings %s and %s", org, prev, v.Ring.ID)
		}
		rings[card] = v.Ring.ID
		if v.Ring.Size > len(readable) {
			t.Fatalf("LEAK: %s reads a ring of %d bookings, but only %d bookings of %s", org, v.Ring.Size, len(readable), d.id)
		}
	}
}

// count is the number of distinct keys of bs.
func count(bs []*policymodel.Booking, key func(*policymodel.Booking) string) int {
	set := map[string]bool{}
	for _, b := range bs {
		set[key(b)] = true
	}
	return len(set)
}

// checkSummary holds org's summary of d to the bookings it reads.
func (s *worldState) checkSummary(t *rapid.T, c ActionDayClient, org string, d *modelDay, readable []*policymodel.Booking) {
	sum, err := c.ActionDaySummary(org, d.id)
	must(t, err)
	type cell struct{ country, airline string }
	want := map[cell]map[string]int{}
	tally := func(k cell, b *policymodel.Booking) {
		if want[k] == nil {
			want[k] = map[string]int{}
		}
		want[k]["submitted"]++
		if b.Outcome == "" {
			want[k]["pending"]++
		} else {
			want[k][b.Outcome]++
		}
	}
	for _, b := range readable {
		for _, k := range []cell{{b.Country, b.Airline}, {b.Country, "*"}, {"*", b.Airline}, {"*", "*"}} {
			tally(k, b)
		}
	}
	got := map[cell]map[string]int{}
	put := func(k cell, r hub.SummaryRow) {
		if _, dup := got[k]; dup {
			t.Fatalf("%s: the summary of %s has row %v twice", org, d.id, k)
		}
		m := map[string]int{}
		counts := maps.Clone(r.Outcomes)
		counts["submitted"], counts["pending"] = r.Submitted, r.Pending
		for o, n := range counts {
			if n > 0 {
				m[o] = n
			}
		}
		got[k] = m
		if k.country != "*" && r.Police != d.day.Police[k.country] && k.airline == "*" {
			t.Fatalf("%s: the summary of %s names police %q for %s, want %q", org, d.id, r.Police, k.country, d.day.Police[k.country])
		}
	}
	for _, r := range sum.Rows {
		put(cell{r.Country, r.Airline}, r)
	}
	for _, r := range sum.Countries {
		put(cell{r.Country, "*"}, r)
	}
	for _, r := range sum.Airlines {
		put(cell{"*", r.Airline}, r)
	}
	if len(readable) > 0 || sum.Total.Submitted > 0 {
		put(cell{"*", "*"}, sum.Total)
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("LEAK or miss: %s's summary of %s counts %v; the model says %v", org, d.id, got, want)
	}
	if sum.ActionDay.Bookings != len(readable) {
		t.Fatalf("%s's summary of %s counts %d bookings, it reads %d", org, d.id, sum.ActionDay.Bookings, len(readable))
	}
	s.cases += len(want) + 1
}

// checkScores: a booking's score is worked out over the bookings the
// caller reads. Bookings here link by card only, so two organizations that
// read the same bookings of a booking's card must get the same score for
// it; a score that differs was moved by a booking one of them may not read.
func (s *worldState) checkScores(t *rapid.T, c ActionDayClient, days []*modelDay) {
	for _, d := range days {
		first := map[string]struct {
			org   string
			score float64
		}{}
		for _, org := range s.w.Orgs {
			if !s.w.DayViewers(&d.day)[org] {
				continue
			}
			readable := s.w.Readable(org, &d.day, d.bookings)
			pkg, err := c.ActionDayBookings(org, d.id, "")
			must(t, err)
			for _, v := range pkg.Bookings {
				var b *policymodel.Booking
				var ring []string
				for _, o := range readable {
					if o.Airline == v.Airline && o.ID == v.Booking {
						b = o
					}
				}
				if b == nil {
					continue // checkBookings has failed already
				}
				for _, o := range readable {
					if o.Card == b.Card {
						ring = append(ring, o.Airline+"/"+o.ID)
					}
				}
				key := v.Airline + "/" + v.Booking + " over " + strings.Join(ring, ",")
				prev, ok := first[key]
				if !ok {
					first[key] = struct {
						org   string
						score float64
					}{org, v.Score}
					continue
				}
				if prev.score != v.Score {
					t.Fatalf("LEAK: booking %s/%s scores %v for %s and %v for %s, who read the same bookings of its card", v.Airline, v.Booking, prev.score, prev.org, v.Score, org)
				}
				s.cases++
			}
		}
	}
}

func (d Direct) CreateActionDay(org string, in hub.ActionDayInput) (hub.ActionDay, error) {
	return d.H.CreateActionDay(context.Background(), d.Callers[org], in)
}
func (d Direct) ActionDays(org string) ([]hub.ActionDay, error) {
	return d.H.ActionDays(context.Background(), d.Callers[org])
}
func (d Direct) GetActionDay(org, id string) (hub.ActionDay, error) {
	return d.H.GetActionDay(context.Background(), d.Callers[org], id)
}
func (d Direct) UpdateActionDay(org, id string, p hub.ActionDayPatch) (hub.ActionDay, error) {
	return d.H.UpdateActionDay(context.Background(), d.Callers[org], id, p)
}
func (d Direct) SubmitBookings(org, id string, jsonl []byte) (hub.SubmitResult, error) {
	return d.H.SubmitBookings(context.Background(), d.Callers[org], id, "jsonl", strings.NewReader(string(jsonl)))
}
func (d Direct) ActionDayBookings(org, id, country string) (hub.ActionDayPackage, error) {
	return d.H.ActionDayBookings(context.Background(), d.Callers[org], id, country)
}
func (d Direct) RecordOutcome(org, id, airline, booking, outcome string) (hub.Outcome, error) {
	return d.H.RecordOutcome(context.Background(), d.Callers[org], id, airline, booking, outcome, "")
}
func (d Direct) ActionDaySummary(org, id string) (hub.ActionDaySummary, error) {
	return d.H.Summary(context.Background(), d.Callers[org], id)
}
