package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/authztest"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/zeek"
)

// TestDetect: each organization's logs feed its own detector; a beacon
// shows in its detections and no other's; a detection that appears for the
// first time is a sighting on the records the organization may use in full
// whose value is its destination, and only the first time.
func TestDetect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b", "org-c")
		if err := h.EnableMatching(match.New(16), bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
			t.Fatal(err)
		}
		res, err := h.CreateRecords(ctx, callers["org-a"], []intel.RecordInput{
			{Value: "203.0.113.66", TLP: "amber", Labels: []string{"botnet-c2"}, Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		rec := res[0].Value.ID
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		feed := func(org string, log []byte) hub.DetectResult {
			t.Helper()
			zr, err := zeek.NewReader(bytes.NewReader(log))
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.Detect(ctx, callers[org], zr)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		detections := func(org string) []finding.Finding {
			t.Helper()
			fs, err := h.Detections(ctx, callers[org])
			if err != nil {
				t.Fatal(err)
			}
			if fs == nil {
				t.Fatalf("%s's detections are nil, not empty", org)
			}
			return fs
		}

		if fs := detections("org-b"); len(fs) != 0 {
			t.Fatalf("org-b has detections before posting any log: %+v", fs)
		}
		r := feed("org-b", authztest.BeaconLog("10.0.0.5", "203.0.113.66", day, 288, 5*time.Minute))
		if !r.Fed || r.New != 1 || r.Detections != 1 {
			t.Fatalf("org-b's first day of beacons: %+v; want fed, one new detection", r)
		}
		if r.Sightings.Matches != 1 || len(r.Sightings.Records) != 1 || r.Sightings.Records[0].Record != rec {
			t.Fatalf("org-b's new detection to 203.0.113.66 should be one sighting of %s: %+v", rec, r.Sightings)
		}
		fs := detections("org-b")
		if len(fs) != 1 || fs[0].Kind != finding.C2Beacon || fs[0].Src != "10.0.0.5" || fs[0].Dst != "203.0.113.66" || len(fs[0].Intervals) == 0 {
			t.Fatalf("org-b's detections: %+v", fs)
		}
		own, err := h.OwnSightings(ctx, callers["org-b"], 10, "")
		if err != nil || len(own.Items) != 1 || own.Items[0].Record != rec {
			t.Fatalf("org-b's own sightings after its detection: %+v %v", own, err)
		}

		// The next day: the same detection, reported before, is no new sighting.
		r = feed("org-b", authztest.BeaconLog("10.0.0.5", "203.0.113.66", day.Add(24*time.Hour), 288, 5*time.Minute))
		if r.New != 0 || r.Sightings.Matches != 0 {
			t.Fatalf("org-b's second day: %+v; want nothing new", r)
		}

		// org-c beacons to the same address: its own detection, but no
		// sighting of a record it may not see.
		r = feed("org-c", authztest.BeaconLog("10.0.0.9", "203.0.113.66", day, 288, 5*time.Minute))
		if r.New != 1 || r.Sightings.Matches != 0 {
			t.Fatalf("org-c's beacon: %+v; want a detection and no sighting", r)
		}
		for _, f := range detections("org-c") {
			if f.Src == "10.0.0.5" {
				t.Fatalf("LEAK: org-c sees org-b's detection %+v", f)
			}
		}
		if fs := detections("org-a"); len(fs) != 0 {
			t.Fatalf("LEAK: org-a, which posted nothing, has detections %+v", fs)
		}

		// A log of another kind is not fed.
		zr, err := zeek.NewReader(strings.NewReader("#separator \\x09\n#path\tweird\n#fields\tts\tname\n1700000000\tx\n"))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := h.Detect(ctx, callers["org-a"], zr); err != nil || r.Fed {
			t.Fatalf("a weird.log: %+v %v; want not fed, no error", r, err)
		}

		// Sensors read their organization's detections; partner hubs do not.
		if fs, err := h.Detections(ctx, &policy.Caller{Org: "org-b", Role: intel.RoleSensor}); err != nil || len(fs) != 1 {
			t.Fatalf("org-b's sensor: %d detections, %v", len(fs), err)
		}
		if _, err := h.Detections(ctx, &policy.Caller{Org: "org-b", Role: intel.RolePartner}); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("a partner token reading detections: %v; want forbidden", err)
		}
		if _, err := h.Detect(ctx, &policy.Caller{Org: "org-b", Role: intel.RoleReader}, zr); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("a reader posting a log: %v; want forbidden", err)
		}
	})
}

// TestDetectConcurrent: logs of one organization fed from several
// goroutines while others read its detections (run with -race): every
// beacon is found, and a read never sees a half-fed state's error.
func TestDetectConcurrent(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	h, callers := withOrgs(t, st, "org-a")
	if err := h.EnableMatching(match.New(16), bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	const feeders = 4
	done := make(chan error, 2*feeders)
	for i := range feeders {
		go func() {
			log := authztest.BeaconLog(fmt.Sprintf("10.0.0.%d", 10+i), fmt.Sprintf("198.18.0.%d", 10+i), day, 288, 5*time.Minute)
			zr, err := zeek.NewReader(bytes.NewReader(log))
			if err == nil {
				_, err = h.Detect(ctx, callers["org-a"], zr)
			}
			done <- err
		}()
		go func() {
			var err error
			for range 20 {
				if _, err = h.Detections(ctx, callers["org-a"]); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 2 * feeders {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	fs, err := h.Detections(ctx, callers["org-a"])
	if err != nil || len(fs) != feeders {
		t.Fatalf("%d detections after %d beacons fed at once: %v", len(fs), feeders, err)
	}
}
