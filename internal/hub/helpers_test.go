package hub_test

import (
	"io"
	"log/slog"
	"testing"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/observable"
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
