package hub_test

import (
	"testing"

	"fusion/internal/authztest"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestAuthorizationProperty checks every read path of the hub against the
// model of docs/policy.md on random worlds, in SQLite and PostgreSQL.
func TestAuthorizationProperty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHub(t, st)
		authztest.Run(t, st, h, 10000, func(callers map[string]*policy.Caller) authztest.Client {
			return authztest.Direct{H: h, Callers: callers}
		})
	})
}
