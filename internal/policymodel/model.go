// Package policymodel is an independent model of the visibility rules in
// docs/policy.md, for property tests only. It is written as sets of viewers
// per object — who may see it, who may see its value — rather than as the
// per-caller predicate the gate uses, so that a mistake in one is unlikely
// to be repeated in the other. Nothing outside tests may import it.
package policymodel

import (
	"fmt"
	"slices"

	"pgregory.net/rapid"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

// World is a random set of organizations and groups with shared objects.
type World struct {
	Orgs    []string
	Groups  []string
	Members map[string][]string // group -> member orgs
	Shared  []policy.Shared
	// Profiles gives each organization's country and sector, when drawn
	// (DrawProfiles): what action days route bookings by.
	Profiles map[string]Profile
}

// DrawWorld draws organizations and groups without objects.
func DrawWorld(t *rapid.T) *World {
	n := rapid.IntRange(2, 7).Draw(t, "orgs")
	w := &World{Members: map[string][]string{}}
	for i := range n {
		w.Orgs = append(w.Orgs, fmt.Sprintf("org-%d", i))
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "groups") {
		g := fmt.Sprintf("grp-%d", i)
		w.Groups = append(w.Groups, g)
		for _, o := range w.Orgs {
			if rapid.Bool().Draw(t, "member") {
				w.Members[g] = append(w.Members[g], o)
			}
		}
	}
	return w
}

// Draw draws a world with 1 to 120 shared objects whose audiences may name
// any organization or group (the gate must be right even for audiences the
// API would refuse).
func Draw(t *rapid.T) *World {
	w := DrawWorld(t)
	for range rapid.IntRange(1, 120).Draw(t, "objects") {
		w.Shared = append(w.Shared, w.DrawShared(t, rapid.SampledFrom(w.Orgs).Draw(t, "originator"), w.Groups))
	}
	return w
}

// TLPs are the labels drawn, including one the gate must refuse.
var TLPs = []intel.TLP{intel.Clear, intel.Green, intel.Amber, intel.AmberStrict, intel.Red, "bogus"}

// DrawShared draws handling for an object of originator whose audience
// groups come from groups.
func (w *World) DrawShared(t *rapid.T, originator string, groups []string) policy.Shared {
	s := policy.Shared{Originator: originator, TLP: rapid.SampledFrom(TLPs).Draw(t, "tlp"), Personal: rapid.Bool().Draw(t, "personal")}
	s.Audience = w.DrawAudience(t, groups)
	return s
}

// DrawAudience draws an audience of any organizations and some of groups.
func (w *World) DrawAudience(t *rapid.T, groups []string) intel.Audience {
	var a intel.Audience
	for _, o := range w.Orgs {
		if rapid.IntRange(0, 3).Draw(t, "aud-org") == 0 {
			a.Orgs = append(a.Orgs, o)
		}
	}
	for _, g := range groups {
		if rapid.IntRange(0, 2).Draw(t, "aud-group") == 0 {
			a.Groups = append(a.Groups, g)
		}
	}
	return a
}

// GroupsOf returns the groups org belongs to.
func (w *World) GroupsOf(org string) []string {
	var out []string
	for _, g := range w.Groups {
		if slices.Contains(w.Members[g], org) {
			out = append(out, g)
		}
	}
	return out
}

// Caller returns a reader caller for org.
func (w *World) Caller(org string) *policy.Caller {
	return &policy.Caller{Org: org, Role: intel.RoleReader, Groups: w.GroupsOf(org)}
}

// Viewers is the set of organizations that may see an object shared as s.
func (w *World) Viewers(s policy.Shared) map[string]bool {
	v := map[string]bool{s.Originator: true}
	switch s.TLP {
	case intel.Clear, intel.Green:
		for _, o := range w.Orgs {
			v[o] = true
		}
	case intel.Amber:
		w.addAudience(v, s.Audience, true)
	case intel.AmberStrict, intel.Red:
		w.addAudience(v, s.Audience, false)
	}
	return v
}

// ValueViewers is the set of organizations that may see a personal object's value.
func (w *World) ValueViewers(s policy.Shared) map[string]bool {
	v := map[string]bool{s.Originator: true}
	groupsCount := s.TLP == intel.Clear || s.TLP == intel.Green || s.TLP == intel.Amber
	w.addAudience(v, s.Audience, groupsCount)
	return v
}

func (w *World) addAudience(v map[string]bool, a intel.Audience, withGroups bool) {
	for _, o := range a.Orgs {
		v[o] = true
	}
	if withGroups {
		for _, g := range a.Groups {
			for _, m := range w.Members[g] {
				v[m] = true
			}
		}
	}
}

// Form is the model's answer for org and s.
func (w *World) Form(org string, s policy.Shared) policy.Form {
	switch {
	case !w.Viewers(s)[org]:
		return policy.Hidden
	case s.Personal && !w.ValueViewers(s)[org]:
		return policy.Redacted
	}
	return policy.Full
}

// Counters is the set of organizations whose figures may include an object
// shared as s: whoever may see it at all.
func (w *World) Counters(s policy.Shared) map[string]bool { return w.Viewers(s) }

// Recipients is the set of partners (organizations, here standing for hubs
// outside this one) a record may be forwarded to: none for a personal or
// revoked record or one marked H2; for clear and green every organization
// that may see it in full; for amber only the organizations the originator
// named itself; for amber+strict and red none.
func (w *World) Recipients(s policy.Shared, codes []string, active bool) map[string]bool {
	out := map[string]bool{}
	if s.Personal || !active || slices.Contains(codes, intel.H2) {
		return out
	}
	switch s.TLP {
	case intel.Clear, intel.Green:
		for o := range w.Viewers(s) {
			out[o] = true
		}
	case intel.Amber:
		for _, o := range s.Audience.Orgs {
			out[o] = true
		}
	}
	return out
}
