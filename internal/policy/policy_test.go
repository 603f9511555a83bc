package policy_test

import (
	"fmt"
	"slices"
	"testing"

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
