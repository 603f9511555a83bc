package authztest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/intel"
)

// smsWorld numbers the worlds checkSMSShared runs in: guards live in the
// hub's memory across worlds, so each world's range, app and time are its
// own.
var smsWorld atomic.Int64

// checkSMSShared: one organization shares a pumped range (SMSShare) at a
// drawn TLP and audience; then every organization's guard is asked about
// a number in the range, first for an app of its own that never saw it.
// It is blocked as shared intelligence exactly for the organizations the
// record is addressed to — the originator, the audience's organizations,
// members of its groups where the TLP lets groups count, every member for
// clear and green with no audience — and for no other, though clear and green make the record readable by all. After
// revocation no guard blocks it as shared.
func (s *worldState) checkSMSShared(t *rapid.T) {
	n := smsWorld.Add(1)
	org := rapid.SampledFrom(s.w.Orgs).Draw(t, "sharing org")
	sh := s.w.DrawShared(t, org, s.w.GroupsOf(org))
	if sh.TLP == "bogus" {
		sh.TLP = intel.Amber
	}
	prefix := fmt.Sprintf("+3712%04d", n%10000)
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
		rule, err := s.c.SMSCheck(o, app, fmt.Sprintf("%s%03d", prefix, i), at)
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
		rule, err := s.c.SMSCheck(o, app, fmt.Sprintf("%s%03d", prefix, 100+i), at.Add(time.Minute))
		must(t, err)
		if rule == "shared-intelligence" {
			t.Fatalf("%s's guard still blocks %s's revoked range %s", o, org, prefix)
		}
	}
}
