package hub_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/warninglist"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHub(t testing.TB, st *store.Store) *hub.Hub {
	t.Helper()
	h := hub.New(st, canonicalizer(t), evidencetest.Log(t, st), quietLog)
	h.SetWarningLists(warninglist.Fictional()) // the tests' values are documentation addresses and example.com names
	return h
}

func canonicalizer(t testing.TB) *observable.Canonicalizer {
	t.Helper()
	canon, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return canon
}

// withOrgs returns a hub over st holding organizations orgs, and an admin
// caller of each.
func withOrgs(t testing.TB, st *store.Store, orgs ...string) (*hub.Hub, map[string]*policy.Caller) {
	t.Helper()
	h := newHub(t, st)
	callers := map[string]*policy.Caller{}
	for _, o := range orgs {
		if _, err := h.OperatorCreateOrg(context.Background(), o, o, "NL", "bank", false); err != nil {
			t.Fatal(err)
		}
		callers[o] = &policy.Caller{Org: o, Role: intel.RoleAdmin, TokenID: "tok-" + o}
	}
	return h, callers
}
