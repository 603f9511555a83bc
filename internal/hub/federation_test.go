package hub_test

import (
	"context"
	"slices"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestPartnerGetsWhatMayLeave: a partner hub's token reads, through TAXII,
// exactly what policy.Forward lets leave the hub.
func TestPartnerGetsWhatMayLeave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "bank-a", "hub-b")
		ins := []intel.RecordInput{
			{Value: "green.example.org", TLP: "green"},
			{Value: "named.example.org", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
			{Value: "unnamed.example.org", TLP: "amber"},
			{Value: "h2.example.org", TLP: "green", Handling: &intel.Handling{Codes: []string{"H2"}}},
			{Value: "strict.example.org", TLP: "amber+strict", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
			{Value: "red.example.org", TLP: "red", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
		}
		res, err := h.CreateRecords(ctx, callers["bank-a"], ins)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		partner := &policy.Caller{Org: "hub-b", Role: intel.RolePartner}
		page, err := h.Objects(ctx, partner, hub.CollectionVisible, hub.ObjectQuery{Types: []string{"indicator"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range page.Objects {
			got = append(got, o.Object.(*stix.Indicator).Name)
		}
		slices.Sort(got)
		if want := []string{"green.example.org", "named.example.org"}; !slices.Equal(got, want) {
			t.Errorf("partner got %v, want %v", got, want)
		}
	})
}
