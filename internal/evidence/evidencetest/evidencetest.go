// Package evidencetest gives tests an evidence log with a fresh signing
// key, as every hub needs one to append.
package evidencetest

import (
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/store"
)

// Notary returns a notary with a fresh key for the log "fusion.test/hub".
func Notary(tb testing.TB) *evidence.Notary {
	tb.Helper()
	skey, _, err := evidence.GenerateKey("fusion.test/hub")
	if err != nil {
		tb.Fatal(err)
	}
	n, err := evidence.NewNotary(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Log returns the evidence log in st under a fresh key, closed when the
// test ends.
func Log(tb testing.TB, st *store.Store) *evidence.Log {
	tb.Helper()
	l := evidence.New(st, Notary(tb), evidence.Config{})
	tb.Cleanup(l.Close)
	return l
}
