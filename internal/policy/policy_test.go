package policy_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/policymodel"
)

func TestDecideTable(t *testing.T) {
	groups := map[string][]string{"g1": {"a", "b"}, "g2": {"c"}}
	caller := func(org string) *policy.Caller {
		c := &policy.Caller{Org: org, Role: intel.RoleReader}
		for g, ms := range groups {
			if slices.Contains(ms, org) {
				c.Groups = append(c.Groups, g)
			}
		}
		return c
	}
	aud := intel.Audience{Orgs: []string{"d"}, Groups: []string{"g1"}}
	tests := []struct {
		tlp      intel.TLP
		personal bool
		org      string
		want     policy.Form
	}{
		{intel.Clear, false, "x", policy.Full},
		{intel.Green, false, "x", policy.Full},
		{intel.Green, true, "x", policy.Redacted},
		{intel.Green, true, "a", policy.Full}, // group member is audience for green
		{intel.Amber, false, "a", policy.Full},
		{intel.Amber, false, "d", policy.Full},
		{intel.Amber, false, "c", policy.Hidden},
		{intel.Amber, true, "b", policy.Full},
		{intel.AmberStrict, false, "a", policy.Hidden}, // groups do not count
		{intel.AmberStrict, false, "d", policy.Full},
		{intel.Red, false, "b", policy.Hidden},
		{intel.Red, true, "d", policy.Full},
		{intel.Red, false, "o", policy.Full}, // originator
		{intel.TLP("purple"), false, "d", policy.Hidden},
		{intel.TLP("purple"), false, "o", policy.Full},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/personal=%v/%s", tt.tlp, tt.personal, tt.org), func(t *testing.T) {
			got := policy.Decide(caller(tt.org), policy.Shared{Originator: "o", TLP: tt.tlp, Audience: aud, Personal: tt.personal})
			if got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
	if got := policy.Decide(nil, policy.Shared{Originator: "o", TLP: intel.Clear}); got != policy.Hidden {
		t.Errorf("nil caller sees %v", got)
	}
}

func TestRedactedCopyCarriesNoValue(t *testing.T) {
	r := intel.Record{ID: "r1", Type: "phone", Value: "+12025550123", Region: "US", NumberType: "fixed-line-or-mobile",
		Description: "victim's number", TLP: intel.Green, Personal: true, Originator: "o",
		Audience: intel.Audience{Groups: []string{"secret-group"}}}
	v, form := policy.RecordForm(&policy.Caller{Org: "x"}, &r)
	if form != policy.Redacted {
		t.Fatalf("form = %v", form)
	}
	if v.Value != "" || v.Region != "" || v.NumberType != "" || v.Description != "" || !v.Redacted {
		t.Errorf("redacted copy leaks: %+v", v)
	}
	if len(v.Audience.Groups) != 0 {
		t.Errorf("outsider sees audience groups it is not in: %v", v.Audience.Groups)
	}
	if r.Value == "" {
		t.Error("RecordForm changed the stored record")
	}
}

// TestDecideMatchesModel checks Decide against the set-based model on
// random organizations, groups and handling.
func TestDecideMatchesModel(t *testing.T) {
	cases := 0
	// Random worlds differ in size: check until enough cases were seen
	// (rapid runs fewer worlds a round with -short).
	for round := 0; cases < 10000 && round < 50 && !t.Failed(); round++ {
		rapid.Check(t, func(t *rapid.T) {
			w := policymodel.Draw(t)
			for _, s := range w.Shared {
				for _, org := range w.Orgs {
					got := policy.Decide(w.Caller(org), s)
					if want := w.Form(org, s); got != want {
						t.Fatalf("org %s, %+v: Decide = %v, model = %v (groups %v)", org, s, got, want, w.Members)
					}
					cases++
				}
			}
		})
	}
	t.Logf("%d (caller, object) cases", cases)
	if cases < 10000 {
		t.Errorf("only %d cases checked; want at least 10,000", cases)
	}
}

func TestEntry(t *testing.T) {
	tests := []struct {
		c      policy.Caller
		org    string
		action evidence.Action
		owners []string
		want   bool
	}{
		{policy.Caller{Org: "a", Role: intel.RoleReader}, "a", evidence.Disclose, nil, true},           // own action
		{policy.Caller{Org: "a", Role: intel.RoleReader}, "b", evidence.Disclose, []string{"a"}, true}, // about its objects
		{policy.Caller{Org: "a", Role: intel.RoleAdmin}, "b", evidence.Disclose, []string{"c"}, false}, // an admin of a member is not the operator
		{policy.Caller{Org: "op", Role: intel.RoleAdmin, Operator: true}, "b", evidence.Disclose, []string{"c"}, true},
		{policy.Caller{Org: "op", Role: intel.RoleAnalyst, Operator: true}, "b", evidence.Disclose, []string{"c"}, false},
		{policy.Caller{Org: "a", Role: intel.RoleReader}, "a", evidence.Hit, []string{"b"}, false}, // a hit on b's record: not for the asker
		{policy.Caller{Org: "b", Role: intel.RoleReader}, "a", evidence.Hit, []string{"b"}, true},  // but for its owner
		{policy.Caller{Org: "a", Role: intel.RoleReader}, "a", evidence.AccessRequest, []string{"b"}, false},
		{policy.Caller{Org: "a", Role: intel.RoleReader}, "a", evidence.AccessGrant, []string{"b"}, true}, // the owner's own action: visible to it only
		{policy.Caller{}, "", evidence.Disclose, nil, false},
	}
	for i, tt := range tests {
		l := evidence.Leaf{Org: tt.org, Action: tt.action}
		for _, o := range tt.owners {
			l.Objects = append(l.Objects, evidence.Object{Kind: evidence.KindRecord, ID: "r", Owner: o})
		}
		if got := policy.Entry(&tt.c, &l); got != tt.want {
			t.Errorf("case %d: Entry = %v, want %v", i, got, tt.want)
		}
	}
}

// TestCountAndForwardMatchModel checks the aggregate rule and onward
// sharing against the model on random worlds.
func TestCountAndForwardMatchModel(t *testing.T) {
	cases := 0
	for round := 0; cases < 10000 && round < 50 && !t.Failed(); round++ {
		rapid.Check(t, func(t *rapid.T) {
			w := policymodel.Draw(t)
			for _, s := range w.Shared {
				codes := rapid.SliceOfDistinct(rapid.SampledFrom([]string{intel.H0, intel.H1, intel.H2, intel.H3}), rapid.ID[string]).Draw(t, "codes")
				active := rapid.IntRange(0, 4).Draw(t, "revoked") != 0
				r := intel.Record{ID: "r", Value: "v", Originator: s.Originator, TLP: s.TLP, Audience: s.Audience, Personal: s.Personal, Handling: intel.Handling{Codes: codes}}
				if !active {
					at := time.Unix(1, 0)
					r.Revoked = &at
				}
				received := rapid.IntRange(0, 4).Draw(t, "received") == 0
				if received {
					r.Origin = &intel.Origin{Hub: "other-hub", Org: "o", ID: "indicator--x"}
				}
				counters, recipients := w.Counters(s), w.Recipients(s, codes, active)
				for _, org := range w.Orgs {
					if got := policy.Count(w.Caller(org), s); got != counters[org] {
						t.Fatalf("Count(%s, %+v) = %v, model %v", org, s, got, counters[org])
					}
					_, got := policy.Forward(w.Caller(org), &r)
					// A record received from a partner hub never leaves again.
					if want := recipients[org] && w.Form(org, s) == policy.Full && !received; got != want {
						t.Fatalf("Forward(to %s, %+v codes %v active %v received %v) = %v, model %v", org, s, codes, active, received, got, want)
					}
					cases++
				}
			}
		})
	}
	if cases < 10000 {
		t.Errorf("only %d cases", cases)
	}
}

func TestForwardTable(t *testing.T) {
	p := &policy.Caller{Org: "partner", Role: intel.RoleReader}
	aud := intel.Audience{Orgs: []string{"partner"}}
	for _, tt := range []struct {
		name string
		r    intel.Record
		want bool
	}{
		{"green", intel.Record{Originator: "o", TLP: intel.Green}, true},
		{"green, H2", intel.Record{Originator: "o", TLP: intel.Green, Handling: intel.Handling{Codes: []string{intel.H2}}}, false},
		{"green, personal", intel.Record{Originator: "o", TLP: intel.Green, Personal: true, Audience: aud}, false},
		{"amber to the partner", intel.Record{Originator: "o", TLP: intel.Amber, Audience: aud}, true},
		{"amber to a group the partner is in", intel.Record{Originator: "o", TLP: intel.Amber, Audience: intel.Audience{Groups: []string{"g"}}}, false},
		{"red to the partner", intel.Record{Originator: "o", TLP: intel.Red, Audience: aud}, false},
		{"amber+strict to the partner", intel.Record{Originator: "o", TLP: intel.AmberStrict, Audience: aud}, false},
		{"green, received from a partner hub", intel.Record{Originator: "o", TLP: intel.Green, Origin: &intel.Origin{Hub: "h", Org: "x", ID: "indicator--1"}}, false},
	} {
		if _, got := policy.Forward(p, &tt.r); got != tt.want {
			t.Errorf("%s: Forward = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestExport: a partner hub's token gets what Forward allows (and a
// revoked record it could have received, as a revocation); anyone else
// what it sees in full; a report goes to a partner under Forward's TLP rule.
func TestExport(t *testing.T) {
	partner := &policy.Caller{Org: "partner", Role: intel.RolePartner}
	member := &policy.Caller{Org: "partner", Role: intel.RoleReader, Groups: []string{"g"}}
	aud := intel.Audience{Orgs: []string{"partner"}}
	revoked := time.Unix(1, 0)
	for _, tt := range []struct {
		name            string
		r               intel.Record
		partnr, memberr bool
	}{
		{"green", intel.Record{Originator: "o", TLP: intel.Green}, true, true},
		{"green, revoked", intel.Record{Originator: "o", TLP: intel.Green, Revoked: &revoked}, true, true},
		{"green, H2, revoked", intel.Record{Originator: "o", TLP: intel.Green, Revoked: &revoked, Handling: intel.Handling{Codes: []string{intel.H2}}}, false, true},
		{"amber to a group", intel.Record{Originator: "o", TLP: intel.Amber, Audience: intel.Audience{Groups: []string{"g"}}}, false, true},
		{"red to the partner", intel.Record{Originator: "o", TLP: intel.Red, Audience: aud}, false, true},
		{"personal, named", intel.Record{Originator: "o", TLP: intel.Green, Personal: true, Audience: aud}, false, true},
		{"personal, not named", intel.Record{Originator: "o", TLP: intel.Green, Personal: true}, false, false},
	} {
		if _, got := policy.Export(partner, &tt.r); got != tt.partnr {
			t.Errorf("%s: Export to a partner = %v, want %v", tt.name, got, tt.partnr)
		}
		if _, got := policy.Export(member, &tt.r); got != tt.memberr {
			t.Errorf("%s: Export to a member = %v, want %v", tt.name, got, tt.memberr)
		}
	}
	for _, tt := range []struct {
		name string
		r    intel.Report
		want bool
	}{
		{"green", intel.Report{Originator: "o", TLP: intel.Green}, true},
		{"amber naming the partner", intel.Report{Originator: "o", TLP: intel.Amber, Audience: aud}, true},
		{"green, H2", intel.Report{Originator: "o", TLP: intel.Green, Handling: intel.Handling{Codes: []string{intel.H2}}}, false},
		{"amber naming the partner, H2", intel.Report{Originator: "o", TLP: intel.Amber, Audience: aud, Handling: intel.Handling{Codes: []string{intel.H2}}}, false},
		{"amber to a group", intel.Report{Originator: "o", TLP: intel.Amber, Audience: intel.Audience{Groups: []string{"g"}}}, false},
		{"red naming the partner", intel.Report{Originator: "o", TLP: intel.Red, Audience: aud}, false},
	} {
		p := *partner
		p.Groups = []string{"g"}
		if _, got := policy.ExportReport(&p, &tt.r); got != tt.want {
			t.Errorf("report %s: ExportReport to a partner = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestObserverAndAccessRequestViews(t *testing.T) {
	c := func(org string) *policy.Caller { return &policy.Caller{Org: org, Role: intel.RoleReader} }
	for _, tt := range []struct {
		viewer, originator, observer string
		anonymous                    bool
		want                         policy.Observation
	}{
		{"o", "o", "x", false, policy.Named},
		{"o", "o", "x", true, policy.Anonymous},
		{"x", "o", "x", true, policy.Named}, // its own report
		{"y", "o", "x", false, policy.Unseen},
		{"", "o", "x", false, policy.Unseen},
	} {
		if got := policy.Observer(c(tt.viewer), tt.originator, tt.observer, tt.anonymous); got != tt.want {
			t.Errorf("Observer(%s sees %s's report on %s's record, anonymous %v) = %v, want %v", tt.viewer, tt.observer, tt.originator, tt.anonymous, got, tt.want)
		}
	}
	for _, tt := range []struct {
		viewer, status      string
		visible, showRecord bool
	}{
		{"owner", "pending", true, true},
		{"requester", "pending", true, false},
		{"requester", "denied", true, false},
		{"requester", "approved", true, true},
		{"other", "approved", false, false},
		{"", "approved", false, false},
	} {
		v, r := policy.AccessRequest(c(tt.viewer), "owner", "requester", tt.status)
		if v != tt.visible || r != tt.showRecord {
			t.Errorf("AccessRequest(as %s, %s) = %v, %v; want %v, %v", tt.viewer, tt.status, v, r, tt.visible, tt.showRecord)
		}
	}
}
