package hub_test

import (
	"context"
	"errors"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestOwnOrgSettings: every member of an organization who may read intel
// reads its own settings back as its admins set them; no role reads
// another organization's; only its own admins change them.
func TestOwnOrgSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, admins := withOrgs(t, st, "org-a", "org-b")
		as := func(org string, role intel.Role) *policy.Caller {
			return &policy.Caller{Org: org, Role: role}
		}
		anonymous := func(c *policy.Caller) bool {
			t.Helper()
			s, err := h.OwnOrgSettings(ctx, c)
			if err != nil || s.AnonymousFeedback == nil {
				t.Fatalf("%s %s reads its settings: %+v %v", c.Org, c.Role, s, err)
			}
			return *s.AnonymousFeedback
		}
		if anonymous(admins["org-a"]) || anonymous(as("org-a", intel.RoleReader)) {
			t.Fatal("a new organization is anonymous")
		}
		yes := true
		if _, err := h.UpdateOrg(ctx, as("org-a", intel.RoleAnalyst), "org-a", hub.OrgSettings{AnonymousFeedback: &yes}); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("an analyst changes the settings: %v", err)
		}
		if _, err := h.UpdateOrg(ctx, admins["org-b"], "org-a", hub.OrgSettings{AnonymousFeedback: &yes}); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("another organization's admin changes the settings: %v", err)
		}
		if anonymous(admins["org-a"]) {
			t.Fatal("a refused change changed the settings")
		}
		if _, err := h.UpdateOrg(ctx, admins["org-a"], "org-a", hub.OrgSettings{AnonymousFeedback: &yes}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []intel.Role{intel.RoleAdmin, intel.RoleAnalyst, intel.RoleReader} {
			if !anonymous(as("org-a", r)) {
				t.Errorf("org-a's %s does not read the new setting", r)
			}
			if anonymous(as("org-b", r)) {
				t.Errorf("org-b's %s reads org-a's setting as its own", r)
			}
		}
		if _, err := h.OwnOrgSettings(ctx, as("org-a", intel.RoleSensor)); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("a sensor reads the settings: %v", err)
		}
	})
}
