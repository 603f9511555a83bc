package demo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/transactions" // the transactions kind
	"fusion/internal/screen"
)

// The demo's action day: police-de coordinates an airline action day for
// the airline-action-day group. Two airlines, airline-azure and
// airline-boreal, each screen their own share of a transactions
// scenario's bookings (split by the booking's carrier) with the built-in
// rule package and submit what it flagged; the hub routes the bookings
// leaving the Netherlands to police-nl and those leaving Germany to
// police-de (the group's police), screened at the hub with the rule
// package police-de shared with the group (rules.go), and the rest wait
// for the coordinator to name a police organization for their country. The police record
// outcomes for most of their packages: the scenario's ring bookings as
// arrests, denied boardings and no-shows, the others as false positives.
// The scenario's names and cards are hashes already; nothing is in clear.
const (
	adDemoSeed  = 8
	adDemoCount = 20_000
)

// ActionDayDemo is what the demo's action day holds.
type ActionDayDemo struct {
	ID        string
	Submitted int            // bookings submitted by both airlines
	Routed    map[string]int // by police organization
	Outcomes  int            // outcomes recorded
}

// actionDay runs the demo's action day (see above) with the callers of
// the seeded organizations.
func actionDay(ctx context.Context, h *hub.Hub, callers map[string]*policy.Caller, rules string) (ActionDayDemo, error) {
	out := ActionDayDemo{Routed: map[string]int{}}
	day, err := h.CreateActionDay(ctx, callers["police-de"], hub.ActionDayInput{Name: "Global Airline Action Day", Day: "2026-11-24",
		Group: "airline-action-day", Rules: rules, Handling: &intel.Handling{Codes: []string{"H0"}, Purpose: "card-not-present fraud on flights: checks at departure"}})
	if err != nil {
		return out, fmt.Errorf("demo action day: %w", err)
	}
	out.ID = day.ID
	dir, err := os.MkdirTemp("", "fusion-demo-transactions-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	if err := scenario.Generate(ctx, scenario.Params{Kind: "transactions", Seed: adDemoSeed, Count: adDemoCount}, dir, nil); err != nil {
		return out, fmt.Errorf("demo transactions scenario: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bookings.jsonl"))
	if err != nil {
		return out, err
	}
	// Each airline's bookings: by carrier, the designator's last letter.
	lines := map[string][][]byte{}
	ids := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), screen.MaxLine+1)
	for sc.Scan() {
		b, err := screen.ParseBooking(sc.Bytes(), screen.ReaderOptions{})
		if err != nil {
			return out, fmt.Errorf("demo booking: %w", err)
		}
		org := "airline-azure"
		if b.Airline != "" && b.Airline[1]%2 == 1 {
			org = "airline-boreal"
		}
		lines[org] = append(lines[org], bytes.Clone(sc.Bytes()))
		ids[org] = append(ids[org], b.ID)
	}
	comp, err := screen.Compile(screen.Default())
	if err != nil {
		return out, err
	}
	for _, org := range []string{"airline-azure", "airline-boreal"} {
		s := screen.New(comp, screen.DefaultConfig())
		for _, l := range lines[org] {
			b, err := screen.ParseBooking(l, screen.ReaderOptions{})
			if err != nil {
				return out, err
			}
			if _, err := s.Add(&b); err != nil {
				return out, err
			}
		}
		flagged := map[string]bool{}
		for _, f := range s.Findings() {
			flagged[f.Entity] = true
		}
		var sub bytes.Buffer
		for i, l := range lines[org] {
			if flagged[ids[org][i]] {
				sub.Write(l)
				sub.WriteByte('\n')
			}
		}
		res, err := h.SubmitBookings(ctx, callers[org], day.ID, "jsonl", &sub)
		if err != nil {
			return out, fmt.Errorf("demo submission of %s: %w", org, err)
		}
		out.Submitted += res.Added
		for p, n := range res.Routed {
			out.Routed[p] += n
		}
	}
	truth, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return out, err
	}
	found, err := finding.Read(bytes.NewReader(truth))
	if err != nil {
		return out, err
	}
	ring := map[string]bool{}
	for _, f := range found {
		ring[f.Entity] = true
	}
	// The police record outcomes for all but every fifth of their bookings.
	ringOutcomes := []string{hub.OutcomeArrest, hub.OutcomeArrest, hub.OutcomeDeniedBoarding, hub.OutcomeArrest, hub.OutcomeNoShow}
	for _, police := range []string{"police-nl", "police-de"} {
		pkg, err := h.ActionDayBookings(ctx, callers[police], day.ID, "")
		if err != nil {
			return out, err
		}
		i := 0
		for _, b := range pkg.Bookings {
			if b.Police != police { // police-de coordinates, so it sees every booking
				continue
			}
			if i++; i%5 == 0 {
				continue
			}
			outcome, note := hub.OutcomeFalsePositive, "travel agency, confirmed with the airline"
			if ring[b.Booking] {
				outcome, note = ringOutcomes[i%len(ringOutcomes)], ""
			}
			if _, err := h.RecordOutcome(ctx, callers[police], day.ID, b.Airline, b.Booking, outcome, note); err != nil {
				return out, fmt.Errorf("demo outcome: %w", err)
			}
			out.Outcomes++
		}
	}
	return out, nil
}
