package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// actionDayWorld is a coordinator, two airlines and two police
// organizations in group g-ad, a third police organization and a bank
// outside it, on a hub with matching enabled (its key hashes clear names
// and card numbers).
func actionDayWorld(t testing.TB, st *store.Store) (*hub.Hub, map[string]*policy.Caller) {
	t.Helper()
	ctx := context.Background()
	h := newHub(t, st)
	if err := h.EnableMatching(match.New(16), bytes.Repeat([]byte{7}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
		t.Fatal(err)
	}
	orgs := []struct{ id, country, sector string }{
		{"coord", "NL", "other"}, {"air-fr", "FR", "airline"}, {"air-de", "DE", "airline"},
		{"police-fr", "FR", "police"}, {"police-de", "DE", "police"}, {"police-es", "ES", "police"}, {"bank-x", "FR", "bank"},
	}
	callers := map[string]*policy.Caller{}
	for _, o := range orgs {
		if _, err := h.OperatorCreateOrg(ctx, o.id, o.id, o.country, o.sector, false); err != nil {
			t.Fatal(err)
		}
		callers[o.id] = &policy.Caller{Org: o.id, Role: intel.RoleAnalyst, TokenID: "tok-" + o.id}
	}
	if _, err := h.OperatorCreateGroup(ctx, "g-ad", "action day", "coord"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"air-fr", "air-de", "police-fr", "police-de"} {
		if _, err := h.OperatorAddMember(ctx, "g-ad", m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{"coord", "air-fr", "air-de", "police-fr", "police-de"} {
		callers[m].Groups = []string{"g-ad"}
	}
	callers["sensor-de"] = &policy.Caller{Org: "air-de", Role: intel.RoleSensor, TokenID: "tok-sensor", Groups: []string{"g-ad"}}
	return h, callers
}

// Clear values the test's bookings carry; none may reach the store.
const (
	adCard   = "4970101234567890"
	adHolder = "Dupont / Marie-Claire"
)

// adBooking is a booking line with clear names and card number: bought
// hours before departure from an address in Thailand, far from the card's
// country and both airports, by someone other than the traveller.
func adBooking(id, origin, originCountry, carrier string, booked time.Time, traveller, card string) string {
	return fmt.Sprintf(`{"id":%q,"booked":%q,"departure":%q,"origin":%q,"destination":"JFK","origin_country":%q,"destination_country":"US",`+
		`"bin_country":"FR","ip_country":"TH","client_ip":"203.0.113.7","cardholder_name":%q,"traveller_name":%q,"booker":"%s","card_number":%q,`+
		`"amount":"812.40","currency":"EUR","channel":"web","airline":%q}`,
		id, booked.Format(time.RFC3339), booked.Add(20*time.Hour).Format(time.RFC3339), origin, originCountry, adHolder, traveller,
		strings.Repeat("ab", 32), card, carrier)
}

// TestActionDay walks an action day: two airlines submit bookings of one
// ring (one card, many travellers) separately; each police organization
// sees its own country's package only, with the ring counted over what
// it sees; the coordinator sees the ring across both airlines; outcomes
// reach the airline; the summary counts only what the caller may see; a
// booking of a country without police waits until the coordinator names
// one; everything is in the evidence log and an edit is caught; and no
// clear name or card number is in the store.
func TestActionDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, cs := actionDayWorld(t, st)
		day, err := h.CreateActionDay(ctx, cs["coord"], hub.ActionDayInput{Name: "Global Airline Action Day", Day: "2026-12-01", Group: "g-ad",
			Handling: &intel.Handling{Codes: []string{"H1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if day.Police["FR"] != "police-fr" || day.Police["DE"] != "police-de" || len(day.Police) != 2 {
			t.Fatalf("police taken from the group: %v", day.Police)
		}
		t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		var fr, de []string
		for i := range 3 {
			fr = append(fr, adBooking(fmt.Sprintf("AF%d", i), "CDG", "FR", "AF", t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("MULE/%d", i), adCard))
		}
		fr = append(fr, adBooking("AF9", "MAD", "ES", "AF", t0.Add(5*time.Hour), "MULE/9", "4970109999999999"))
		for i := range 2 {
			de = append(de, adBooking(fmt.Sprintf("LH%d", i), "FRA", "DE", "LH", t0.Add(time.Duration(i)*time.Hour+30*time.Minute), fmt.Sprintf("MULE/%d", 10+i), adCard))
		}
		res, err := h.SubmitBookings(ctx, cs["air-fr"], day.ID, "jsonl", strings.NewReader(strings.Join(fr, "\n")))
		if err != nil || res.Added != 4 || res.Routed["police-fr"] != 3 || res.Unrouted["ES"] != 1 {
			t.Fatalf("air-fr submits: %+v %v", res, err)
		}
		if res, err = h.SubmitBookings(ctx, cs["sensor-de"], day.ID, "jsonl", strings.NewReader(strings.Join(de, "\n"))); err != nil || res.Added != 2 {
			t.Fatalf("air-de's booking engine submits: %+v %v", res, err)
		}
		// Again: unchanged; changed: refused, nothing stored.
		if res, err = h.SubmitBookings(ctx, cs["air-fr"], day.ID, "jsonl", strings.NewReader(fr[0])); err != nil || res.Unchanged != 1 || res.Added != 0 {
			t.Fatalf("resubmitted: %+v %v", res, err)
		}
		changed := strings.Replace(fr[0], "812.40", "9.99", 1) + "\n" + adBooking("AF5", "CDG", "FR", "AF", t0, "X/Y", adCard)
		if _, err = h.SubmitBookings(ctx, cs["air-fr"], day.ID, "jsonl", strings.NewReader(changed)); err == nil || !strings.Contains(err.Error(), "submitted before with other fields") {
			t.Fatalf("a changed booking: %v", err)
		}
		// Outsiders and police cannot submit.
		for _, who := range []string{"bank-x", "police-es"} {
			if _, err := h.SubmitBookings(ctx, cs[who], day.ID, "jsonl", strings.NewReader(fr[0])); !errors.Is(err, intel.ErrNotFound) {
				t.Errorf("%s submits: %v", who, err)
			}
		}
		if _, err := h.SubmitBookings(ctx, cs["police-fr"], day.ID, "jsonl", strings.NewReader(fr[0])); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("police-fr submits: %v", err)
		}

		// Who sees what.
		seen := func(who, country string) hub.ActionDayPackage {
			t.Helper()
			p, err := h.ActionDayBookings(ctx, cs[who], day.ID, country)
			if err != nil {
				t.Fatalf("%s reads: %v", who, err)
			}
			return p
		}
		ids := func(p hub.ActionDayPackage) string {
			var s []string
			for _, b := range p.Bookings {
				s = append(s, b.Airline+"/"+b.Booking)
			}
			return strings.Join(s, " ")
		}
		for who, want := range map[string]string{
			"coord":     "air-de/LH0 air-de/LH1 air-fr/AF0 air-fr/AF1 air-fr/AF2 air-fr/AF9",
			"air-fr":    "air-fr/AF0 air-fr/AF1 air-fr/AF2 air-fr/AF9",
			"air-de":    "air-de/LH0 air-de/LH1",
			"police-fr": "air-fr/AF0 air-fr/AF1 air-fr/AF2",
			"police-de": "air-de/LH0 air-de/LH1",
		} {
			if got := ids(seen(who, "")); got != want {
				t.Errorf("%s sees %q, want %q", who, got, want)
			}
		}
		for _, who := range []string{"bank-x", "police-es"} {
			if _, err := h.ActionDayBookings(ctx, cs[who], day.ID, ""); !errors.Is(err, intel.ErrNotFound) {
				t.Errorf("%s reads the day: %v", who, err)
			}
			if _, err := h.GetActionDay(ctx, cs[who], day.ID); !errors.Is(err, intel.ErrNotFound) {
				t.Errorf("%s gets the day: %v", who, err)
			}
			if ds, _ := h.ActionDays(ctx, cs[who]); len(ds) != 0 {
				t.Errorf("%s lists %d days", who, len(ds))
			}
		}
		// The ring: across both airlines for the coordinator, each
		// police's own share of it for the police.
		coord := seen("coord", "FR")
		if len(coord.Bookings) != 3 || coord.Police != "police-fr" || coord.Handling.Codes[0] != "H1" || coord.TLP != intel.Amber {
			t.Fatalf("coordinator's FR package: %+v", coord)
		}
		g := coord.Bookings[0].Ring
		if g == nil || g.Size != 6 || g.Airlines != 2 || g.Countries != 3 || g.ID != "ring-air-fr/AF0" || !coord.Bookings[0].Flagged {
			t.Fatalf("coordinator's ring: %+v (%+v)", g, coord.Bookings[0])
		}
		if g := seen("police-de", "DE").Bookings[0].Ring; g == nil || g.Size != 2 || g.Airlines != 1 || g.ID != "ring-air-de/LH0" {
			t.Fatalf("police-de's ring: %+v", g)
		}
		if p := seen("police-fr", "DE"); len(p.Bookings) != 0 {
			t.Fatalf("police-fr sees DE bookings: %s", ids(p))
		}

		// Outcomes: police-fr records; others may not; the airline sees it.
		if _, err := h.RecordOutcome(ctx, cs["police-fr"], day.ID, "air-fr", "AF0", "arrest", "arrested at the gate"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.RecordOutcome(ctx, cs["police-fr"], day.ID, "air-fr", "AF1", "jailed", ""); err == nil || !strings.Contains(err.Error(), `"jailed"`) {
			t.Errorf("a bad outcome: %v", err)
		}
		for who, want := range map[string]error{"police-de": intel.ErrNotFound, "air-de": intel.ErrNotFound, "air-fr": intel.ErrForbidden, "coord": intel.ErrForbidden, "bank-x": intel.ErrNotFound} {
			if _, err := h.RecordOutcome(ctx, cs[who], day.ID, "air-fr", "AF1", "no-show", ""); !errors.Is(err, want) {
				t.Errorf("%s records an outcome: %v, want %v", who, err, want)
			}
		}
		if o := seen("air-fr", "FR").Bookings[0].Outcome; o == nil || o.Outcome != "arrest" || o.Org != "police-fr" || o.Note != "arrested at the gate" {
			t.Fatalf("air-fr's view of the outcome: %+v", o)
		}

		// The summary: the coordinator's is the day's; police-fr's its own.
		sum, err := h.Summary(ctx, cs["coord"], day.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total.Submitted != 6 || sum.Total.Outcomes["arrest"] != 1 || sum.Total.Pending != 5 || len(sum.Countries) != 3 || len(sum.Airlines) != 2 || len(sum.Rows) != 3 {
			t.Fatalf("coordinator's summary: %+v", sum)
		}
		if sum, err = h.Summary(ctx, cs["police-fr"], day.ID); err != nil || sum.Total.Submitted != 3 || len(sum.Airlines) != 1 || sum.Countries[0].Country != "FR" {
			t.Fatalf("police-fr's summary: %+v %v", sum, err)
		}
		if sum, err = h.Summary(ctx, cs["air-de"], day.ID); err != nil || sum.Total.Submitted != 2 || sum.Total.Outcomes["arrest"] != 0 {
			t.Fatalf("air-de's summary: %+v %v", sum, err)
		}

		// ES has no police in the group: the coordinator names one, and
		// the waiting booking is routed to it.
		if _, err := h.UpdateActionDay(ctx, cs["air-fr"], day.ID, hub.ActionDayPatch{Police: map[string]string{"ES": "police-es"}}); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("an airline changes the day: %v", err)
		}
		if _, err := h.UpdateActionDay(ctx, cs["coord"], day.ID, hub.ActionDayPatch{Police: map[string]string{"ES": "bank-x"}}); err == nil || !strings.Contains(err.Error(), "not a police organization") {
			t.Fatalf("a bank as police: %v", err)
		}
		if _, err := h.UpdateActionDay(ctx, cs["coord"], day.ID, hub.ActionDayPatch{Police: map[string]string{"ES": "police-es"}}); err != nil {
			t.Fatal(err)
		}
		// Named police are not replaced: police-es keeps what it was shown.
		if _, err := h.OperatorCreateOrg(ctx, "police-es2", "police-es2", "ES", "police", false); err != nil {
			t.Fatal(err)
		}
		if _, err := h.UpdateActionDay(ctx, cs["coord"], day.ID, hub.ActionDayPatch{Police: map[string]string{"ES": "police-es2"}}); err == nil || !strings.Contains(err.Error(), "not replaced") {
			t.Fatalf("replacing police-es: %v", err)
		}
		if got := ids(seen("police-es", "")); got != "air-fr/AF9" {
			t.Fatalf("police-es sees %q", got)
		}

		verifyClean(t, h, st)
		// Disclosures: police-fr's reads of air-fr's bookings are logged.
		n := h.Evidence().Notary()
		disclosed := 0
		size, err := h.Evidence().Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h.Evidence().Leaves(ctx, 0, size, func(_ int64, data []byte) error {
			l, err := evidence.ParseLeaf(data)
			if err != nil {
				return err
			}
			if l.Action == evidence.Disclose && l.Org == "police-fr" {
				for _, o := range l.Objects {
					if o.Kind == evidence.KindBooking && o.Owner == "air-fr" {
						disclosed++
					}
				}
			}
			return nil
		})
		if disclosed == 0 {
			t.Error("no disclosure of air-fr's bookings to police-fr logged")
		}

		// No clear name or card number anywhere in the rows.
		rows, err := st.ActionDayBookings(ctx, day.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if strings.Contains(r.Booking, "4970101234") || strings.Contains(strings.ToUpper(r.Booking), "DUPONT") || strings.Contains(r.Booking, "MULE") {
				t.Fatalf("clear data stored: %s", r.Booking)
			}
		}

		// An outcome changed outside fusion is caught.
		if _, err := st.DB().Exec(`UPDATE action_day_bookings SET outcome = 'false-positive' WHERE booking_id = 'AF0'`); err != nil {
			t.Fatal(err)
		}
		rep, err := evidence.Verify(ctx, st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
		if err != nil || rep.OK() {
			t.Fatalf("evidence verify after an edit of an outcome: %v %v", rep, err)
		}
	})
}

// TestActionDayWithSharedRules: the coordinator screens the day with a
// rule package it shared with the group: the bookings carry its rules'
// reasons, pinned to the version chosen; a package the group's members
// or the day's police cannot all see is refused, naming who.
func TestActionDayWithSharedRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, cs := actionDayWorld(t, st)
		pkg := func(extra string) json.RawMessage {
			return json.RawMessage(`{"name":"coordinator's criteria","threshold":0.95,"rules":[` +
				`{"id":"last-minute","expr":"lead_hours >= 0 && lead_hours < 48","score":0.35,"reason":"bought less than 48 hours before departure"},` +
				`{"id":"ip-far","expr":"ip_foreign && ip_far_km >= 2500","score":0.35,"reason":"far"},` +
				`{"id":"to-jfk","expr":"destination == \"JFK\"","score":0.3,"reason":"` + extra + `"}]}`)
		}
		shared, err := h.CreateRulePackage(ctx, cs["coord"], hub.RulePackageInput{Package: pkg("flies to New York"), TLP: "amber", Audience: &intel.Audience{Groups: []string{"g-ad"}}})
		if err != nil {
			t.Fatal(err)
		}
		narrow, err := h.CreateRulePackage(ctx, cs["coord"], hub.RulePackageInput{Package: pkg("x"), TLP: "amber", Audience: &intel.Audience{Orgs: []string{"air-fr"}}})
		if err != nil {
			t.Fatal(err)
		}
		in := hub.ActionDayInput{Name: "rules day", Day: "2026-12-01", Group: "g-ad", Rules: narrow.ID}
		if _, err := h.CreateActionDay(ctx, cs["coord"], in); err == nil || !strings.Contains(err.Error(), "not shared with air-de") {
			t.Fatalf("a package only air-fr sees: %v", err)
		}
		in.Rules = "no-such-package"
		if _, err := h.CreateActionDay(ctx, cs["coord"], in); err == nil || !strings.Contains(err.Error(), `field "rules"`) && !strings.Contains(err.Error(), "rules") {
			t.Fatalf("an unknown package: %v", err)
		}
		in.Rules = shared.ID
		day, err := h.CreateActionDay(ctx, cs["coord"], in)
		if err != nil || day.Rules != shared.ID+"@1" {
			t.Fatalf("create with the shared package: %+v %v", day, err)
		}
		t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		if _, err := h.SubmitBookings(ctx, cs["air-fr"], day.ID, "jsonl", strings.NewReader(adBooking("AF1", "CDG", "FR", "AF", t0, "MULE/1", adCard))); err != nil {
			t.Fatal(err)
		}
		// A revision does not change the day's screening: it is pinned.
		if _, err := h.ReviseRulePackage(ctx, cs["coord"], shared.ID, hub.RulePackageInput{Package: pkg("revised")}); err != nil {
			t.Fatal(err)
		}
		p, err := h.ActionDayBookings(ctx, cs["police-fr"], day.ID, "FR")
		if err != nil || len(p.Bookings) != 1 {
			t.Fatalf("police-fr's package: %+v %v", p, err)
		}
		var reasons []string
		for _, r := range p.Bookings[0].Reasons {
			reasons = append(reasons, r.Reason)
		}
		if !slices.Contains(reasons, "flies to New York") || !p.Bookings[0].Flagged || p.Package != shared.ID+"@1" {
			t.Fatalf("screened with %s: %v flagged %v", p.Package, reasons, p.Bookings[0].Flagged)
		}
		// Naming police that cannot see the package is refused.
		if _, err := h.UpdateActionDay(ctx, cs["coord"], day.ID, hub.ActionDayPatch{Police: map[string]string{"ES": "police-es"}}); err == nil || !strings.Contains(err.Error(), "not shared with police-es") {
			t.Fatalf("police outside the package's audience: %v", err)
		}
		verifyClean(t, h, st)
	})
}
