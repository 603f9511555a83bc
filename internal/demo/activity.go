package demo

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
)

// seededRecord is a record Seed created, as stored.
type seededRecord struct {
	org string
	rec intel.Record
}

// activity makes the seeded hub look used, through the same hub calls the
// API makes: police-nl's sensor sights C2 addresses and phishing pages
// (which their originators see as feedback), members report what records
// led to, and bank-alpha's hit/no-hit query on a C2 address it may not see
// leaves an access request waiting for cert-fr; the sensor also posts a day
// of a small network's Zeek logs, whose beacons police-nl's detections show.
func activity(ctx context.Context, h *hub.Hub, callers map[string]*policy.Caller, recs []seededRecord, now time.Time, out *Seeded) error {
	if h.Index() == nil {
		return fmt.Errorf("the hub has no match index: the demo's sightings and hits need one")
	}
	pick := func(org, label string, typ string, n int) []intel.Record {
		var got []intel.Record
		for _, r := range recs {
			if r.org == org && string(r.rec.Type) == typ && slices.Contains(r.rec.Labels, label) && len(got) < n {
				got = append(got, r.rec)
			}
		}
		return got
	}
	c2 := pick("cert-fr", "botnet-c2", "ipv4", 6)
	phish := pick("bank-alpha", "phishing", "url", 3)
	kit := pick("vendor-sentinel", "phishing-kit", "domain", 4)
	if len(c2) < 6 || len(phish) < 3 || len(kit) < 4 {
		return fmt.Errorf("the demo world lacks the records its activity needs")
	}

	secret, tok, err := h.OperatorIssueToken(ctx, "police-nl", intel.RoleSensor, "demo sensor")
	if err != nil {
		return err
	}
	out.Sensor = secret
	sensor := &policy.Caller{Org: "police-nl", Role: intel.RoleSensor, TokenID: tok.ID, Groups: callers["police-nl"].Groups}

	// Three days of a police sensor's traffic: beacons to the C2 addresses,
	// fewer for each, and visits to the bank's phishing pages.
	var obs []match.Observation
	for i, r := range c2 {
		for k := range 20 - 3*i {
			at := now.Add(-time.Duration(72-i*7) * time.Hour).Add(time.Duration(k) * 37 * time.Minute)
			obs = append(obs, match.Observation{Time: at, Field: "id.resp_h", Kind: match.KindIP, Value: r.Value})
		}
	}
	for i, r := range phish {
		obs = append(obs, match.Observation{Time: now.Add(-time.Duration(5+i) * time.Hour), Field: "uri", Kind: match.KindURL, Value: r.Value})
	}
	res, err := h.RecordSightings(ctx, sensor, obs)
	if err != nil {
		return fmt.Errorf("demo sightings: %w", err)
	}
	if res.Matches != len(obs) {
		return fmt.Errorf("demo sightings: %d of %d observations matched", res.Matches, len(obs))
	}
	out.C2Value = c2[0].Value

	// What records led to, reported by their recipients.
	feedback := []struct {
		org, record, outcome, note string
	}{
		{"police-nl", c2[0].ID, "case-opened", "linked to an open investigation of the RAT operators"},
		{"police-de", c2[1].ID, "takedown", "server seized with the hoster's cooperation"},
		{"bank-alpha", kit[0].ID, "blocked", "blocked at the web proxy for all staff"},
		{"bank-alpha", kit[1].ID, "blocked", ""},
		{"bank-nord", kit[2].ID, "false-positive", "parked domain with no content"},
	}
	for _, f := range feedback {
		if _, err := h.AddFeedback(ctx, callers[f.org], f.record, f.outcome, f.note); err != nil {
			return fmt.Errorf("demo feedback by %s: %w", f.org, err)
		}
	}

	// bank-alpha may not see the C2 (shared with two police forces), but it
	// is discoverable: a hit names its owner, and the bank asks for it.
	ans, err := h.Hits(ctx, callers["bank-alpha"], []string{c2[2].Value})
	if err != nil {
		return fmt.Errorf("demo hit/no-hit: %w", err)
	}
	if len(ans) != 1 || len(ans[0].Hits) != 1 {
		return fmt.Errorf("demo hit/no-hit on %s: no hit", c2[2].Value)
	}
	if _, err := h.RequestAccess(ctx, callers["bank-alpha"], ans[0].Hits[0].Ref, "customer PCs beaconed to this address; fraud case GB-2026-311"); err != nil {
		return fmt.Errorf("demo access request: %w", err)
	}

	// A day of a small network's Zeek logs, posted by the same sensor:
	// police-nl's C2 detections.
	out.Detections, err = detections(ctx, h, sensor, now, netip.MustParseAddr(c2[0].Value))
	return err
}
