package authztest

import (
	"errors"
	"slices"

	"pgregory.net/rapid"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// checkDirectory holds the directory and its administration to the rules
// of docs/policy.md: every organization lists and gets every member
// organization, and reads only its own settings; a group's members change
// only by its owner's admins (any other member is refused, a
// non-member does not see the group at all), the owner cannot leave, and
// a change is seen at once by the organization added or removed; a group
// an organization creates is its own, with itself as the only member, and
// does not exist for anyone else until they are added.
//
// It runs last in a world: it leaves the world's groups as they were but
// adds groups of its own (the callers and the model follow).
func (s *worldState) checkDirectory(t *rapid.T) {
	orgs := sortedCopy(s.w.Orgs)
	for _, org := range s.w.Orgs {
		got, err := s.c.ListOrgs(org)
		must(t, err)
		var ids []string
		for _, o := range got {
			ids = append(ids, o.ID)
		}
		if !slices.Equal(sortedCopy(ids), orgs) {
			t.Fatalf("%s lists organizations %v, the world has %v", org, ids, orgs)
		}
		for _, id := range s.w.Orgs {
			o, err := s.c.GetOrg(org, id)
			if err != nil || o.ID != id {
				t.Fatalf("%s gets organization %s: %+v %v", org, id, o, err)
			}
			s.cases++
		}
		if _, err := s.c.GetOrg(org, "org-nowhere"); !hub.IsNotFoundErr(err) {
			t.Fatalf("%s gets an organization that does not exist: %v", org, err)
		}
		set, err := s.c.OwnOrgSettings(org)
		must(t, err)
		if set.AnonymousFeedback == nil || *set.AnonymousFeedback != s.rel.anonymous[org] {
			t.Fatalf("%s reads its anonymous_feedback as %v, it set %v", org, set.AnonymousFeedback, s.rel.anonymous[org])
		}
		s.cases++
	}

	for _, g := range slices.Clone(s.w.Groups) {
		owner := s.w.Members[g][0]
		outsider := ""
		for _, o := range s.w.Orgs {
			if !slices.Contains(s.w.Members[g], o) {
				outsider = o
				break
			}
		}
		for _, org := range s.w.Orgs {
			if org == owner {
				continue
			}
			member := slices.Contains(s.w.Members[g], org)
			target := outsider
			if target == "" {
				target = org
			}
			_, addErr := s.c.AddGroupMember(org, g, target)
			_, rmErr := s.c.RemoveGroupMember(org, g, owner)
			for _, err := range []error{addErr, rmErr} {
				if member && !errors.Is(err, intel.ErrForbidden) || !member && !hub.IsNotFoundErr(err) {
					t.Fatalf("%s (member: %v) changing the members of %s owned by %s: %v", org, member, g, owner, err)
				}
				s.cases++
			}
		}
		if _, err := s.c.RemoveGroupMember(owner, g, owner); err == nil {
			t.Fatalf("owner %s left its own group %s", owner, g)
		}
		s.checkMembers(t, owner, g)
		if outsider == "" {
			continue
		}
		grp, err := s.c.AddGroupMember(owner, g, outsider)
		must(t, err)
		s.join(outsider, g)
		if !slices.Equal(sortedCopy(grp.Members), sortedCopy(s.w.Members[g])) {
			t.Fatalf("%s added %s to %s: members %v, model %v", owner, outsider, g, grp.Members, s.w.Members[g])
		}
		s.checkMembers(t, outsider, g)
		_, err = s.c.RemoveGroupMember(owner, g, outsider)
		must(t, err)
		s.leave(outsider, g)
		if _, err := s.c.Group(outsider, g); !hub.IsNotFoundErr(err) {
			t.Fatalf("%s still gets group %s after its removal: %v", outsider, g, err)
		}
		s.checkMembers(t, owner, g)
		s.cases += 2
	}

	creator := rapid.SampledFrom(s.w.Orgs).Draw(t, "group creator")
	grp, err := s.c.CreateGroup(creator, "Made by "+creator)
	must(t, err)
	if grp.Owner != creator || !slices.Equal(grp.Members, []string{creator}) || grp.Name != "Made by "+creator {
		t.Fatalf("%s created group %+v", creator, grp)
	}
	s.w.Groups = append(s.w.Groups, grp.ID)
	s.w.Members[grp.ID] = nil
	s.join(creator, grp.ID)
	for _, org := range s.w.Orgs {
		if org == creator {
			s.checkMembers(t, org, grp.ID)
			continue
		}
		if _, err := s.c.Group(org, grp.ID); !hub.IsNotFoundErr(err) {
			t.Fatalf("LEAK: %s gets %s's new group %s: %v", org, creator, grp.ID, err)
		}
		if _, err := s.c.AddGroupMember(org, grp.ID, org); !hub.IsNotFoundErr(err) {
			t.Fatalf("%s joins %s's new group %s: %v", org, creator, grp.ID, err)
		}
		s.cases += 2
	}
	s.checkGroups(t, creator)
}

// checkMembers: org gets group g with exactly the model's members.
func (s *worldState) checkMembers(t *rapid.T, org, g string) {
	got, err := s.c.Group(org, g)
	if err != nil {
		t.Fatalf("%s gets group %s: %v", org, g, err)
	}
	if got.Owner != s.w.Members[g][0] || !slices.Equal(sortedCopy(got.Members), sortedCopy(s.w.Members[g])) {
		t.Fatalf("%s gets group %s owned by %s with members %v, model: owner %s, members %v", org, g, got.Owner, got.Members, s.w.Members[g][0], s.w.Members[g])
	}
	s.cases++
}

// join and leave follow a membership change in the model and in org's
// caller (the in-process client's callers hold their groups; the API's
// are read afresh on each request).
func (s *worldState) join(org, g string) {
	s.w.Members[g] = append(s.w.Members[g], org)
	s.callers[org].Groups = append(s.callers[org].Groups, g)
}

func (s *worldState) leave(org, g string) {
	s.w.Members[g] = slices.DeleteFunc(s.w.Members[g], func(o string) bool { return o == org })
	s.callers[org].Groups = slices.DeleteFunc(s.callers[org].Groups, func(x string) bool { return x == g })
}
