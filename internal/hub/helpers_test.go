package hub_test

import (
	"io"
	"log/slog"
	"testing"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/observable"
	"fusion/internal/store"
)

func newHub(t testing.TB, st *store.Store) *hub.Hub {
	t.Helper()
	canon, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return hub.New(st, canon, evidencetest.Log(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
}
