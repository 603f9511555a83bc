package authztest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/sms"
)

// smsWorld numbers the worlds checkSMS runs in: a hub keeps its SMS
// guards and series across worlds (in memory, not in the store), so each
// world's app has its own name.
var smsWorld atomic.Int64

// checkSMS: one organization's backend sends its app a pumping burst (POST
// /api/v1/sms/check) and the guard blocks the block; that organization's
// apps show the app with its traffic and block, and no other
// organization's do — not in the listing, not by name — nor can another
// release the block; the owner can.
func (s *worldState) checkSMS(t *rapid.T) {
	n := smsWorld.Add(1)
	org := rapid.SampledFrom(s.w.Orgs).Draw(t, "pumped org")
	app := fmt.Sprintf("shop-%d", n)
	start := time.Now().UTC().Add(-5 * time.Minute)
	// A 10,000-number block of this world's own: a guard's apps share
	// what they learn of a range, and an organization's name (and so its
	// guard) comes back in later worlds.
	block := fmt.Sprintf("+3712%03d1", 100+n%900)
	var d sms.Decision
	for i := range 30 {
		req := sms.Request{App: app, Number: fmt.Sprintf("%s%03d", block, 100+i), IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i%250 + 1)}),
			Time: start.Add(time.Duration(i) * 2 * time.Second)}
		var err error
		d, err = s.c.SMSCheck(org, req)
		must(t, err)
	}
	if d.Decision != sms.Block || d.Prefix != block {
		t.Fatalf("%s's app %s: the burst's last decision is %s of %s; want block of %s", org, app, d.Decision, d.Prefix, block)
	}
	for _, o := range s.w.Orgs {
		apps, err := s.c.SMSApps(o)
		must(t, err)
		var mine *hub.SMSApp
		for i := range apps {
			if apps[i].App == app {
				mine = &apps[i]
			}
		}
		one, oneErr := s.c.SMSApp(o, app)
		switch {
		case o != org && (mine != nil || !hub.IsNotFoundErr(oneErr)):
			t.Fatalf("LEAK: %s reads %s's SMS app %s: listed %v, by name %+v (err %v)", o, org, app, mine != nil, one, oneErr)
		case o == org && (mine == nil || mine.Total.Requests != 30 || len(mine.Blocks) != 1):
			t.Fatalf("%s's apps do not show its app %s with 30 requests and a block: %+v", o, app, mine)
		case o == org && (oneErr != nil || one.Total != mine.Total || len(one.Prefixes) == 0 || one.Prefixes[0].Key != d.Prefix):
			t.Fatalf("%s's app %s by name: %+v (err %v); want its block %s counted", o, app, one, oneErr, d.Prefix)
		}
		if o != org {
			if _, err := s.c.SMSRelease(o, app, d.Prefix); !hub.IsNotFoundErr(err) {
				t.Fatalf("LEAK: %s released %s's block %s of %s (err %v)", o, org, d.Prefix, app, err)
			}
		}
		s.cases += 2
	}
	rel, err := s.c.SMSRelease(org, app, d.Prefix)
	must(t, err)
	if rel.App != app || rel.Prefix != d.Prefix {
		t.Fatalf("%s released %+v; want %s %s", org, rel, app, d.Prefix)
	}
	one, err := s.c.SMSApp(org, app)
	must(t, err)
	if len(one.Blocks) != 0 {
		t.Fatalf("%s's app %s still blocks after the release: %+v", org, app, one.Blocks)
	}
}

func (d Direct) SMSCheck(org string, req sms.Request) (sms.Decision, error) {
	return d.H.SMSCheck(context.Background(), d.Callers[org], &req)
}
func (d Direct) SMSApps(org string) ([]hub.SMSApp, error) {
	return d.H.SMSApps(context.Background(), d.Callers[org])
}
func (d Direct) SMSApp(org, app string) (hub.SMSApp, error) {
	return d.H.SMSApp(context.Background(), d.Callers[org], app)
}
func (d Direct) SMSRelease(org, app, prefix string) (hub.SMSBlock, error) {
	return d.H.SMSRelease(context.Background(), d.Callers[org], app, prefix)
}

// smsSharedWorld numbers the worlds checkSMSShared runs in: guards live in the
// hub's memory across worlds, so each world's range, app and time are its
// own.
var smsSharedWorld atomic.Int64

// checkSMSShared: one organization shares a pumped range (SMSShare) at a
// drawn TLP and audience; then every organization's guard is asked about
// a number in the range, first for an app of its own that never saw it.
// It is blocked as shared intelligence exactly for the organizations the
// record is addressed to — the originator, the audience's organizations,
// members of its groups where the TLP lets groups count, every member for
// clear and green with no audience — and for no other, though clear and green make the record readable by all. After
// revocation no guard blocks it as shared.
func (s *worldState) checkSMSShared(t *rapid.T) {
	n := smsSharedWorld.Add(1)
	org := rapid.SampledFrom(s.w.Orgs).Draw(t, "sharing org")
	sh := s.w.DrawShared(t, org, s.w.GroupsOf(org))
	if sh.TLP == "bogus" {
		sh.TLP = intel.Amber
	}
	// Ending in 0: never a block checkSMS bursts into ("+3712ddd1").
	prefix := fmt.Sprintf("+3712%03d0", n%1000)
	app := fmt.Sprintf("app-%d", n)
	rec, err := s.c.SMSShare(org, app, prefix, string(sh.TLP), sh.Audience)
	must(t, err)
	if rec.Value != prefix || rec.Type != "phone-range" || rec.Originator != org {
		t.Fatalf("%s shared %s and got %+v", org, prefix, rec)
	}
	addressed := func(o string) bool {
		if o == org || slices.Contains(sh.Audience.Orgs, o) {
			return true
		}
		if sh.TLP == intel.AmberStrict || sh.TLP == intel.Red {
			return false
		}
		if (sh.TLP == intel.Clear || sh.TLP == intel.Green) && len(sh.Audience.Orgs) == 0 && len(sh.Audience.Groups) == 0 {
			return true // sent to every member
		}
		for _, g := range sh.Audience.Groups {
			if slices.Contains(s.w.Members[g], o) {
				return true
			}
		}
		return false
	}
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	for i, o := range s.w.Orgs {
		rule, err := s.smsRule(o, app, fmt.Sprintf("%s%03d", prefix, i), at)
		must(t, err)
		switch got := rule == "shared-intelligence"; {
		case got && !addressed(o):
			t.Fatalf("LEAK: %s's guard blocks %s's range %s (%s, audience %v), which is not addressed to it", o, org, prefix, sh.TLP, sh.Audience)
		case !got && addressed(o):
			t.Fatalf("%s's guard does not block %s's range %s (%s, audience %v) addressed to it: rule %q", o, org, prefix, sh.TLP, sh.Audience, rule)
		}
		s.cases++
	}
	must(t, s.c.RevokeRecord(org, rec.ID))
	for i, o := range s.w.Orgs {
		rule, err := s.smsRule(o, app, fmt.Sprintf("%s%03d", prefix, 100+i), at.Add(time.Minute))
		must(t, err)
		if rule == "shared-intelligence" {
			t.Fatalf("%s's guard still blocks %s's revoked range %s", o, org, prefix)
		}
	}
}

// smsRule asks org's guard about a request to number for app at and
// returns the rule of a block, "" when the answer is not a block.
func (s *worldState) smsRule(org, app, number string, at time.Time) (string, error) {
	d, err := s.c.SMSCheck(org, sms.Request{App: app, Number: number, IP: netip.MustParseAddr("192.0.2.77"), Time: at})
	if err != nil || d.Decision != sms.Block {
		return "", err
	}
	return d.Rule, nil
}
