package hub_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/transactions"
	"fusion/internal/screen"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// screenScenario generates a transactions scenario (seed 7, 3,000
// bookings) and returns its booking lines and its fraud-ring truth.
func screenScenario(t *testing.T) ([][]byte, map[string]bool) {
	t.Helper()
	dir := t.TempDir()
	p := scenario.Params{Kind: "transactions", Seed: 7, Count: 3000, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dir + "/bookings.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	truthData, err := os.ReadFile(dir + "/truth.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	truth, err := finding.Read(bytes.NewReader(truthData))
	if err != nil {
		t.Fatal(err)
	}
	ring := map[string]bool{}
	for _, f := range truth {
		if f.Kind == finding.FraudRing {
			ring[f.Entity] = true
		}
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n")), ring
}

// TestScreenInline: a generated scenario's bookings screened inline one by
// one as org-a's booking engine: the rings' bookings are flagged once
// their ring shows (at least half of them, each flagged one of a ring of
// two or more), and few others; org-b's sensor, sending org-a's last
// flagged booking, meets a state of its own (no ring); a reader or an
// analyst token is refused; each answer says how many of the
// organization's bookings, since when, its linking rests on; clear names
// are hashed under the hub's key and refused without one; a bad field is
// a LineError.
func TestScreenInline(t *testing.T) {
	lines, ring := screenScenario(t)
	if len(ring) == 0 {
		t.Fatal("scenario without fraud-ring truth")
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _ := withOrgs(t, st, "org-a", "org-b")
		a := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-a"}
		b := &policy.Caller{Org: "org-b", Role: intel.RoleSensor, TokenID: "tok-b"}
		var flaggedRing, flaggedOther, others int
		var last hub.ScreenResult
		var lastLine []byte
		var since time.Time
		for i, line := range lines {
			r, err := h.Screen(ctx, a, line)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				since = r.Basis.Since
			}
			if r.Basis.Bookings != i+1 || !r.Basis.Since.Equal(since) || since.IsZero() {
				t.Fatalf("booking %d's answer rests on %+v; want %d bookings since %s", i, r.Basis, i+1, since)
			}
			if r.Decision != hub.ScreenFlag {
				if !ring[r.Booking] {
					others++
				}
				continue
			}
			if !ring[r.Booking] {
				others++
				flaggedOther++
				continue
			}
			flaggedRing++
			if r.Ring == nil || r.Ring.Size < 2 || len(r.Reasons) == 0 || r.Package == "" {
				t.Fatalf("flagged ring booking %s without its ring or reasons: %+v", r.Booking, r)
			}
			last, lastLine = r, line
		}
		t.Logf("inline: %d of %d ring bookings flagged, %d of %d others", flaggedRing, len(ring), flaggedOther, others)
		if flaggedRing*2 < len(ring) || flaggedOther*100 > others {
			t.Fatalf("%d of %d ring bookings flagged, %d of %d others: want at least half, at most 1%%", flaggedRing, len(ring), flaggedOther, others)
		}

		// org-b's screener has seen none of org-a's bookings.
		r, err := h.Screen(ctx, b, lastLine)
		if err != nil || r.Ring != nil || r.Booking != last.Booking || r.Basis.Bookings != 1 {
			t.Fatalf("org-b screening org-a's booking %s: %+v %v", last.Booking, r, err)
		}
		for _, role := range []intel.Role{intel.RoleReader, intel.RoleAnalyst} {
			if _, err := h.Screen(ctx, &policy.Caller{Org: "org-a", Role: role, TokenID: "tok-r"}, lines[0]); !errors.Is(err, intel.ErrForbidden) {
				t.Fatalf("%s token: %v, want forbidden", role, err)
			}
		}

		// Clear values: refused before the hub has a key, hashed after.
		clear := regexp.MustCompile(`"traveller":"[0-9a-f]{64}"`).ReplaceAll(lines[0], []byte(`"traveller_name":"Smith/John"`))
		if !bytes.Contains(clear, []byte("Smith/John")) {
			t.Fatalf("no traveller in %s", lines[0])
		}
		var le *screen.LineError
		if _, err := h.Screen(ctx, a, clear); !errors.As(err, &le) || !strings.Contains(err.Error(), "hashing key") {
			t.Fatalf("clear name without a key: %v", err)
		}
		if err := h.EnableMatching(match.New(16), bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Screen(ctx, a, clear); err != nil {
			t.Fatalf("clear name with the hub's key: %v", err)
		}
		bad := bytes.Replace(clear, []byte("Smith/John"), []byte("Smith\x01"), 1)
		if _, err := h.Screen(ctx, a, bad); !errors.As(err, &le) || le.Field != "traveller_name" || strings.Contains(err.Error(), "Smith") {
			t.Fatalf("bad clear name: %v", err)
		}
	})
}

// TestScreenStateOutlivesRestart: org-a screens a scenario's bookings up
// to the middle flagged one inline in a hub that keeps the screeners'
// state, saved in two chunks; a new hub on the same store, as after a
// restart, screens the rest. Its answers are those of org-b's screener,
// which saw every booking in one hub: the same decisions, scores and
// rings, and a basis counting from the first booking, with the first
// hub's since. Only what a save took is restored: a booking screened after
// the last save is not.
func TestScreenStateOutlivesRestart(t *testing.T) {
	lines, _ := screenScenario(t)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h1, _ := withOrgs(t, st, "org-a", "org-b")
		h1.KeepScreenState()
		a := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-a"}
		b := &policy.Caller{Org: "org-b", Role: intel.RoleSensor, TokenID: "tok-b"}
		// org-b's answers, every booking in one hub; the restart falls
		// in the middle of the flagged bookings.
		want := make([]hub.ScreenResult, len(lines))
		var flaggedAt []int
		for i, line := range lines {
			r, err := h1.Screen(ctx, b, line)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = r
			if r.Decision == hub.ScreenFlag {
				flaggedAt = append(flaggedAt, i)
			}
		}
		if len(flaggedAt) < 10 {
			t.Fatalf("%d bookings flagged: the comparison would prove little", len(flaggedAt))
		}
		half := flaggedAt[len(flaggedAt)/2]
		var since time.Time
		for i, line := range lines[:half] {
			r, err := h1.Screen(ctx, a, line)
			if err != nil {
				t.Fatal(err)
			}
			since = r.Basis.Since
			if i == half/2 {
				if n, _, err := h1.SaveScreens(ctx); err != nil || n != 2 {
					t.Fatalf("the first save: %d screeners, %v", n, err)
				}
			}
		}
		if n, size, err := h1.SaveScreens(ctx); err != nil || n != 1 || size == 0 {
			t.Fatalf("the second save: %d screeners, %d bytes, %v", n, size, err)
		}
		if n, _, err := h1.SaveScreens(ctx); err != nil || n != 0 {
			t.Fatalf("a save with nothing new saved %d screeners (%v)", n, err)
		}
		// Not saved: the new hub does not know it.
		if _, err := h1.Screen(ctx, a, lines[half]); err != nil {
			t.Fatal(err)
		}

		h2 := hub.New(st, canonicalizer(t), h1.Evidence(), quietLog)
		h2.KeepScreenState()
		flagged := 0
		for i, line := range lines[half:] {
			r, err := h2.Screen(ctx, a, line)
			if err != nil {
				t.Fatal(err)
			}
			w := want[half+i]
			if r.Decision != w.Decision || r.Score != w.Score || (r.Ring == nil) != (w.Ring == nil) || r.Ring != nil && *r.Ring != *w.Ring {
				t.Fatalf("after the restart, booking %s: %+v; without a restart: %+v", r.Booking, r, w)
			}
			if r.Basis.Bookings != w.Basis.Bookings || !r.Basis.Since.Equal(since) {
				t.Fatalf("after the restart, booking %s rests on %+v; want %d bookings since %s", r.Booking, r.Basis, w.Basis.Bookings, since)
			}
			if r.Decision == hub.ScreenFlag {
				flagged++
			}
		}
		if flagged != len(flaggedAt)-len(flaggedAt)/2 {
			t.Fatalf("%d bookings flagged after the restart, %d without one", flagged, len(flaggedAt)-len(flaggedAt)/2)
		}
	})
}
