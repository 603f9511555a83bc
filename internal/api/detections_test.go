package api_test

import (
	"context"
	"testing"
	"time"

	"fusion/internal/authztest"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
)

// TestDetections: a Zeek conn log posted to /api/v1/events feeds the
// posting organization's C2 detector, whose findings GET /api/v1/detections
// lists to that organization alone (a sensor token too, a partner token
// not); a body that is not a conn, http, ssl or dns log feeds nothing; a
// new detection's destination is a sighting of a record the poster may
// use, in the same request's aftermath.
func TestDetections(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.DefaultLimits)
	ctx := context.Background()
	for _, role := range []intel.Role{intel.RoleSensor, intel.RolePartner} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, "org-b", role, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens["org-b-"+string(role)] = secret
	}
	rec := create(t, f, "org-a", `{"value":"198.51.100.77","tlp":"amber","labels":["botnet-c2"],"audience":{"orgs":["org-b"]}}`)[0]

	type answer struct {
		Detections []finding.Finding `json:"detections"`
	}
	var got answer
	if status, b := f.do("GET", "/api/v1/detections", "org-b", nil, &got); status != 200 || got.Detections == nil || len(got.Detections) != 0 {
		t.Fatalf("org-b before any log: %d %v %+v", status, b, got)
	}
	if status, b := f.do("POST", "/api/v1/events", "org-b", `{"time":"2026-11-30T10:00:00Z","value":"198.51.100.77"}`+"\n", nil); status != 200 {
		t.Fatalf("generic events: %d %v", status, b)
	}
	log := authztest.BeaconLog("10.0.0.5", "198.51.100.77", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), 288, 5*time.Minute)
	if status, b := f.do("POST", "/api/v1/events", "org-b-sensor", log, nil); status != 200 {
		t.Fatalf("the sensor's conn log: %d %v", status, b)
	}
	for _, org := range []string{"org-b", "org-b-sensor"} {
		if status, b := f.do("GET", "/api/v1/detections", org, nil, &got); status != 200 || len(got.Detections) != 1 {
			t.Fatalf("%s: %d %v %+v", org, status, b, got)
		}
		d := got.Detections[0]
		if d.Kind != finding.C2Beacon || d.Src != "10.0.0.5" || d.Dst != "198.51.100.77" || d.Score < 0.8 || len(d.Intervals) == 0 || d.Explanation == "" {
			t.Errorf("%s's detection: %+v", org, d)
		}
	}
	for _, org := range []string{"org-a", "org-c"} {
		if status, _ := f.do("GET", "/api/v1/detections", org, nil, &got); status != 200 || len(got.Detections) != 0 {
			t.Errorf("LEAK: %s sees %d detections of org-b's traffic", org, len(got.Detections))
		}
	}
	if status, _ := f.do("GET", "/api/v1/detections", "org-b-partner", nil, nil); status != 403 {
		t.Errorf("a partner token reading detections: %d, want 403", status)
	}
	// org-a, the record's owner, sees org-b's sightings of it: the
	// connections in the log, and the detection (counted once).
	var fb hub.FeedbackSummary
	if status, b := f.do("GET", "/api/v1/feedback", "org-a", nil, &fb); status != 200 || fb.Totals["seen"] != 290 {
		t.Errorf("org-a's feedback on %s: %d %v %+v; want the 288 connections, the generic event and the detection", rec, status, b, fb.Totals)
	}
}
