// Package storetest runs store-backed tests against every database fusion
// supports: SQLite always, PostgreSQL when FUSION_TEST_POSTGRES holds a DSN
// (CI sets it to the local server). Each PostgreSQL test gets a schema of
// its own, dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"fusion/internal/store"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "FUSION_TEST_POSTGRES"

// Each runs fn as subtests "sqlite" and "postgres", each with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh SQLite store in a temporary directory.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fusion.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// PostgresDSN returns a DSN for a fresh, empty schema, dropped when the test
// ends, or skips the test when FUSION_TEST_POSTGRES is not set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN (CI uses postgres://postgres@127.0.0.1:5432/test)", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema in %s: %v", store.Redact(dsn), err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a store in a fresh PostgreSQL schema, or skips.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Reset empties every table of st but the evidence log, for tests that
// reuse one store across many generated cases. The log only grows: a hub
// that saw it shrink would rightly take that for tampering.
func Reset(t testing.TB, st *store.Store) {
	t.Helper()
	search := []string{"record_search", "report_search"}
	if st.Dialect() == "sqlite" {
		search = append(search, "record_search_rows", "report_search_rows")
	}
	for _, table := range append(search, "screen_state", "action_day_bookings", "action_days", "rule_packages", "sms_apps", "sms_state", "record_keys", "idempotency_keys", "sighting_events", "tor_imports", "witness_logs", "hit_queries", "access_requests", "feedback", "sightings",
		"report_versions", "report_records", "report_terms", "reports",
		"record_versions", "record_terms", "records", "tokens", "group_members", "sharing_groups", "orgs") {
		if _, err := st.DB().Exec("DELETE FROM " + table); err != nil {
			t.Fatalf("reset %s: %v", table, err)
		}
	}
}
