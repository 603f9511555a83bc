package policy_test

import (
	"testing"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

func TestAddressed(t *testing.T) {
	aud := intel.Audience{Orgs: []string{"telco"}, Groups: []string{"g"}}
	member := &policy.Caller{Org: "member", Groups: []string{"g"}}
	for _, tc := range []struct {
		tlp                                      intel.TLP
		personal                                 bool
		origin, telco, member, outsider, bystand bool
	}{
		{intel.Clear, false, true, true, true, false, false},
		{intel.Green, false, true, true, true, false, false},
		{intel.Amber, false, true, true, true, false, false},
		{intel.AmberStrict, false, true, true, false, false, false},
		{intel.Red, false, true, true, false, false, false},
		{intel.Green, true, true, true, true, false, false},
		{"bogus", false, true, false, false, false, false},
	} {
		s := policy.Shared{Originator: "bank", TLP: tc.tlp, Audience: aud, Personal: tc.personal}
		for _, c := range []struct {
			caller *policy.Caller
			want   bool
		}{
			{&policy.Caller{Org: "bank"}, tc.origin},
			{&policy.Caller{Org: "telco"}, tc.telco},
			{member, tc.member},
			{&policy.Caller{Org: "airline"}, tc.outsider},
			{&policy.Caller{Org: "other", Groups: []string{"h"}}, tc.bystand},
			{nil, false},
		} {
			if got := policy.Addressed(c.caller, s); got != c.want {
				t.Errorf("%s (personal %v) to %+v: addressed %v, want %v", tc.tlp, tc.personal, c.caller, got, c.want)
			}
		}
	} // With no audience, clear and green are addressed to every member
	// (those who may see them in full); amber and red to the originator.
	for _, c := range []struct {
		tlp  intel.TLP
		want bool
	}{{intel.Clear, true}, {intel.Green, true}, {intel.Amber, false}, {intel.AmberStrict, false}, {intel.Red, false}} {
		s := policy.Shared{Originator: "bank", TLP: c.tlp}
		if got := policy.Addressed(&policy.Caller{Org: "airline"}, s); got != c.want {
			t.Errorf("%s with no audience to another member: %v, want %v", c.tlp, got, c.want)
		}
		if !policy.Addressed(&policy.Caller{Org: "bank"}, s) {
			t.Errorf("%s with no audience: not addressed to its originator", c.tlp)
		}
	}
}
