package hub_test

import (
	"io"
	"log/slog"
	"testing"

	"fusion/internal/evidence"
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
	return hub.New(st, canon, testLog(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func testLog(t testing.TB, st *store.Store) *evidence.Log {
	l := evidence.New(st, testNotary(t), evidence.Config{})
	t.Cleanup(l.Close)
	return l
}

func testNotary(t testing.TB) *evidence.Notary {
	skey, _, err := evidence.GenerateKey("fusion.test/hub")
	if err != nil {
		t.Fatal(err)
	}
	n, err := evidence.NewNotary(skey)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
