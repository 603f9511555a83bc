package hub_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestLookupsTakeTheLeastTime: with a least lookup time set, a search by
// value and a get by id take at least that long whether the record is
// hidden from the caller or does not exist, and a lookup beyond the limit
// is refused.
func TestLookupsTakeTheLeastTime(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, storetest.SQLite(t))
	for _, o := range []string{"org-a", "org-c"} {
		if _, err := h.OperatorCreateOrg(ctx, o, o, "NL", "bank", false); err != nil {
			t.Fatal(err)
		}
	}
	a := &policy.Caller{Org: "org-a", Role: intel.RoleAdmin, TokenID: "tok-a"}
	c := &policy.Caller{Org: "org-c", Role: intel.RoleAdmin, TokenID: "tok-c"}
	res, err := h.CreateRecords(ctx, a, []intel.RecordInput{{Value: "held.example.com", TLP: "red"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	const least = 25 * time.Millisecond
	h.SetLimits(hub.Limits{HitRequests: 1, HitValues: 1, Lookups: 4, LookupTime: least})
	for _, tt := range []struct {
		name   string
		lookup func() error
	}{
		{"search for a hidden value", func() error { _, err := h.ListRecords(ctx, c, hub.RecordFilter{Value: "held.example.com"}); return err }},
		{"search for an absent value", func() error {
			_, err := h.ListRecords(ctx, c, hub.RecordFilter{Value: "absent.example.com"})
			return err
		}},
		{"get a hidden record", func() error { _, err := h.GetRecord(ctx, c, res[0].Value.ID); return ignoreNotFound(err) }},
		{"get an absent record", func() error {
			_, err := h.GetRecord(ctx, c, "01a22c3a-1459-7673-89f6-c644c97970bc")
			return ignoreNotFound(err)
		}},
	} {
		start := time.Now()
		if err := tt.lookup(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if took := time.Since(start); took < least {
			t.Errorf("%s took %v, less than the least lookup time %v", tt.name, took, least)
		}
	}
	if _, err := h.ListRecords(ctx, c, hub.RecordFilter{Value: "absent.example.com"}); !errors.Is(err, hub.ErrRateLimited) {
		t.Errorf("a fifth lookup in the minute: %v, want rate limited", err)
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, intel.ErrNotFound) {
		return nil
	}
	return err
}

// TestWarningListsOnEveryStore: a forced value is stored with its lists
// and read back with them; an unforced one is refused; on both stores.
func TestWarningListsOnEveryStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a")
		a := callers["org-a"]
		res, err := h.CreateRecords(ctx, a, []intel.RecordInput{
			{Value: "192.168.7.7", TLP: "green"},
			{Value: "192.168.7.7", TLP: "green", Force: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		var we *hub.WarningListError
		if !errors.As(res[0].Err, &we) || we.Hits[0].List != "private" {
			t.Errorf("unforced: %v", res[0].Err)
		}
		got, err := h.GetRecord(ctx, a, res[1].Value.ID)
		if err != nil || len(got.Warnings) != 1 || got.Warnings[0] != "private" {
			t.Errorf("forced, read back: %+v %v", got.Warnings, err)
		}
	})
}
