package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/search"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestSearchIndexBuiltForEarlierData: records and reports stored before
// the search index existed are indexed by the migration that adds it.
func TestSearchIndexBuiltForEarlierData(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "fusion.db") }},
		{"postgres", func(t *testing.T) string { return storetest.PostgresDSN(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := tc.dsn(t)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			seedDirectory(t, st)
			var recs []intel.Record
			for _, id := range []string{"01a20a00-0000-7000-8000-000000000001", "01a20a00-0000-7000-8000-000000000002"} {
				r := record(id, "org-a", intel.Green, intel.Audience{})
				r.Description = "kit of the " + id[len(id)-1:] + "th campaign"
				recs = append(recs, r)
			}
			must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, recs...)) }))
			must(t, st.Update(ctx, func(tx *store.Tx) error {
				return tx.InsertReport(&intel.Report{ID: "01a20a00-0000-7000-8000-0000000000aa", Title: "Winter campaign", TLP: intel.Green, Originator: "org-a", Created: t0, Updated: t0, Version: 1})
			}))
			// Back to before the index: its tables gone, its migration not applied.
			drop := []string{"DROP TABLE record_search", "DROP TABLE report_search"}
			if st.Dialect() == "sqlite" {
				drop = append(drop, "DROP TABLE record_search_rows", "DROP TABLE report_search_rows")
			}
			// (and what came after it)
			for _, q := range append(drop, "DROP TABLE screen_state", "DROP TABLE action_day_bookings", "DROP TABLE action_days", "DROP TABLE rule_packages", "DROP TABLE sms_apps", "DROP TABLE sms_state", "DROP TABLE sessions", "DROP TABLE users", "DROP TABLE record_keys", "DROP TABLE idempotency_keys", "DROP TABLE sighting_events", "DROP TABLE stix_feed", "DROP TABLE taxii_status", "DROP TABLE federation_sent", "DROP TABLE received_objects", "DROP TABLE federation_partners", "DELETE FROM schema_version WHERE version >= 8") {
				if _, err := st.DB().Exec(q); err != nil {
					t.Fatal(q, err)
				}
			}
			st.Close()
			st, err = store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			vis := &store.Visibility{Org: "org-b"}
			q, _ := search.Parse("2th campaign")
			got, err := st.Records(ctx, store.RecordQuery{Search: q, Limit: 10}, vis)
			if err != nil || len(got) != 1 || got[0].ID != recs[1].ID {
				t.Errorf("search after the migration: %+v %v", got, err)
			}
			q, _ = search.Parse("winter")
			reps, err := st.Reports(ctx, store.ReportQuery{Search: q, Limit: 10}, vis)
			if err != nil || len(reps) != 1 {
				t.Errorf("report search after the migration: %+v %v", reps, err)
			}
		})
	}
}
