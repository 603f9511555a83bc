package authztest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"pgregory.net/rapid"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// rulePackageJSON is the package every world publishes; only its sharing
// terms differ.
const rulePackageJSON = `{"name":"authztest","threshold":0.5,"rules":[{"id":"third-party","expr":"third_party","score":1,"reason":"cardholder is not the traveller"}]}`

// checkRulePackages: organizations publish rule packages with drawn TLPs
// and audiences, some revise theirs with other terms; every organization
// reads exactly the packages the model lets it see (policymodel.Viewers;
// a package is never personal) — by id, in the list, and an earlier
// version only when it may see both that version and the current one —
// and sees of the audience's groups only its own. A package with a TLP
// the gate does not know is refused. Another organization's revision or
// revocation is refused (forbidden to one that may see the package, not
// found to one that may not) and changes nothing; a package its originator
// revoked is still read by exactly the same organizations, marked revoked,
// and cannot be revised.
func (s *worldState) checkRulePackages(t *rapid.T) {
	type pkg struct {
		id       string
		versions []policy.Shared // oldest first
		revoked  bool
	}
	var pkgs []*pkg
	for range rapid.IntRange(1, 4).Draw(t, "rule packages") {
		org := rapid.SampledFrom(s.w.Orgs).Draw(t, "package originator")
		sh := s.w.DrawShared(t, org, s.w.GroupsOf(org))
		sh.Personal = false
		in := hub.RulePackageInput{Package: json.RawMessage(rulePackageJSON), TLP: string(sh.TLP), Audience: &sh.Audience}
		if sh.TLP == "bogus" {
			if _, err := s.c.CreateRulePackage(org, in); err == nil {
				t.Fatalf("%s published a rule package with TLP %q", org, sh.TLP)
			}
			sh.TLP, in.TLP = intel.Amber, string(intel.Amber)
		}
		p, err := s.c.CreateRulePackage(org, in)
		must(t, err)
		m := &pkg{id: p.ID, versions: []policy.Shared{sh}}
		if rapid.Bool().Draw(t, "revise") {
			sh2 := s.w.DrawShared(t, org, s.w.GroupsOf(org))
			sh2.Personal = false
			if sh2.TLP == "bogus" {
				sh2.TLP = intel.Red
			}
			_, err := s.c.ReviseRulePackage(org, p.ID, hub.RulePackageInput{TLP: string(sh2.TLP), Audience: &sh2.Audience})
			must(t, err)
			m.versions = append(m.versions, sh2)
		}
		cur := m.versions[len(m.versions)-1]
		if other := rapid.SampledFrom(s.w.Orgs).Draw(t, "package changer"); other != org {
			_, rerr := s.c.ReviseRulePackage(other, p.ID, hub.RulePackageInput{TLP: string(intel.Clear)})
			_, verr := s.c.RevokeRulePackage(other, p.ID, "not mine")
			sees := s.w.Viewers(cur)[other]
			for _, err := range []error{rerr, verr} {
				if err == nil || sees && !errors.Is(err, intel.ErrForbidden) || !sees && !hub.IsNotFoundErr(err) {
					t.Fatalf("%s changing %s's rule package %s (shared %+v, seen %v): %v", other, org, p.ID, cur, sees, err)
				}
			}
			s.cases += 2
		}
		if rapid.Bool().Draw(t, "revoke") {
			_, err := s.c.RevokeRulePackage(org, p.ID, "superseded")
			must(t, err)
			m.revoked = true
			if _, err := s.c.ReviseRulePackage(org, p.ID, hub.RulePackageInput{TLP: string(cur.TLP)}); !errors.Is(err, intel.ErrConflict) {
				t.Fatalf("%s revised its revoked rule package %s: %v", org, p.ID, err)
			}
		}
		pkgs = append(pkgs, m)
	}
	for _, o := range s.w.Orgs {
		list, err := s.c.ListRulePackages(o)
		must(t, err)
		listed := map[string]hub.SharedPackage{}
		for _, l := range list {
			listed[l.ID] = l
		}
		for _, m := range pkgs {
			cur := m.versions[len(m.versions)-1]
			want := s.w.Viewers(cur)[o]
			got, err := s.c.GetRulePackage(o, m.id, 0)
			_, inList := listed[m.id]
			switch {
			case !want && (err == nil || inList):
				t.Fatalf("LEAK: %s reads rule package %s shared %+v: by id %v (err %v), listed %v", o, m.id, cur, err == nil, err, inList)
			case want && (err != nil || !inList || got.Version != len(m.versions) || (got.Revoked != nil) != m.revoked):
				t.Fatalf("%s cannot read rule package %s shared %+v (revoked %v): %+v %v, listed %v", o, m.id, cur, m.revoked, got, err, inList)
			}
			if want && o != cur.Originator {
				for _, g := range got.Audience.Groups {
					if !slices.Contains(s.w.GroupsOf(o), g) {
						t.Fatalf("LEAK: %s sees group %s in the audience of rule package %s", o, g, m.id)
					}
				}
			}
			s.cases += 2
			if len(m.versions) == 2 {
				wantOld := want && s.w.Viewers(m.versions[0])[o]
				old, err := s.c.GetRulePackage(o, m.id, 1)
				switch {
				case !wantOld && err == nil:
					t.Fatalf("LEAK: %s reads version 1 of rule package %s (shared %+v, now %+v)", o, m.id, m.versions[0], cur)
				case wantOld && (err != nil || old.Version != 1):
					t.Fatalf("%s cannot read version 1 of rule package %s: %+v %v", o, m.id, old, err)
				}
				s.cases++
			}
		}
		if len(listed) > len(pkgs) {
			t.Fatalf("%s lists %d rule packages; this world has %d", o, len(listed), len(pkgs))
		}
	}
}

func (d Direct) CreateRulePackage(org string, in hub.RulePackageInput) (hub.SharedPackage, error) {
	return d.H.CreateRulePackage(context.Background(), d.Callers[org], in)
}
func (d Direct) ReviseRulePackage(org, id string, in hub.RulePackageInput) (hub.SharedPackage, error) {
	return d.H.ReviseRulePackage(context.Background(), d.Callers[org], id, in)
}
func (d Direct) RevokeRulePackage(org, id, reason string) (hub.SharedPackage, error) {
	return d.H.RevokeRulePackage(context.Background(), d.Callers[org], id, reason)
}
func (d Direct) GetRulePackage(org, id string, version int) (hub.SharedPackage, error) {
	return d.H.GetRulePackage(context.Background(), d.Callers[org], id, version)
}
func (d Direct) ListRulePackages(org string) ([]hub.SharedPackage, error) {
	return d.H.ListRulePackages(context.Background(), d.Callers[org])
}
