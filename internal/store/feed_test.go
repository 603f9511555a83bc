package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// feedKeys is the feed as "kind:ref@version" in seq order.
func feedKeys(t *testing.T, st *store.Store, q store.FeedQuery, vis *store.Visibility) []string {
	t.Helper()
	items, err := st.Feed(context.Background(), q, vis)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, it := range items {
		if i > 0 && (it.Seq <= items[i-1].Seq || it.Added <= items[i-1].Added) {
			t.Errorf("feed out of order at %d: %+v after %+v", i, it, items[i-1])
		}
		switch it.Kind {
		case store.FeedRecord:
			out = append(out, fmt.Sprintf("record:%s@%d", it.Record.ID[len(it.Record.ID)-2:], it.Record.Version))
		case store.FeedReport:
			out = append(out, fmt.Sprintf("report:%s@%d/%d", it.Report.ID[len(it.Report.ID)-2:], it.Report.Version, len(it.Report.Records)))
		case store.FeedOrg:
			out = append(out, "org:"+it.Org.ID)
		}
	}
	return out
}

func TestFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDirectory(t, st)
		id := func(n int) string { return fmt.Sprintf("01a20a00-0000-7000-8000-0000000000%02d", n) }
		recs := []intel.Record{
			record(id(1), "org-a", intel.Green, intel.Audience{}),
			record(id(2), "org-a", intel.Amber, intel.Audience{Groups: []string{"grp"}}),
			record(id(3), "org-b", intel.Amber, intel.Audience{Orgs: []string{"org-c"}}),
		}
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, recs...)) }))
		_, mid, err := st.FeedHead(ctx)
		must(t, err)
		next := recs[0]
		next.Version, next.Updated, next.Description = 2, t0.Add(time.Hour), "second version"
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.UpdateRecord(&recs[0], encode(t, next)[0]) }))
		must(t, st.Update(ctx, func(tx *store.Tx) error {
			return tx.InsertReport(&intel.Report{ID: id(90), Title: "r", TLP: intel.Green, Originator: "org-a", Created: t0, Updated: t0, Version: 1, Records: []string{id(1), id(2)}})
		}))

		all := feedKeys(t, st, store.FeedQuery{Limit: 100}, &store.Visibility{Org: "org-a"})
		want := []string{"org:org-a", "org:org-b", "org:org-c", "record:02@1", "record:01@2", "report:90@1/2"}
		if !slices.Equal(all, want) {
			t.Errorf("org-a's feed = %v, want %v", all, want)
		}
		// org-c sees org-b's record named to it, not org-a's group record.
		if got := feedKeys(t, st, store.FeedQuery{Kinds: []string{store.FeedRecord}, Limit: 100}, &store.Visibility{Org: "org-c"}); !slices.Equal(got, []string{"record:03@1", "record:01@2"}) {
			t.Errorf("org-c's records = %v", got)
		}
		// No visibility: no records or reports.
		if got := feedKeys(t, st, store.FeedQuery{Kinds: []string{store.FeedRecord, store.FeedReport}, Limit: 100}, nil); len(got) != 0 {
			t.Errorf("feed without visibility = %v", got)
		}
		if got := feedKeys(t, st, store.FeedQuery{Group: "grp", Limit: 100}, &store.Visibility{Org: "org-b", Groups: []string{"grp"}}); !slices.Equal(got, []string{"record:02@1"}) {
			t.Errorf("group feed = %v", got)
		}
		if got := feedKeys(t, st, store.FeedQuery{Originator: "org-b", Limit: 100}, &store.Visibility{Org: "org-b"}); !slices.Equal(got, []string{"record:03@1"}) {
			t.Errorf("own feed = %v", got)
		}
		if got := feedKeys(t, st, store.FeedQuery{AddedAfter: mid, Limit: 100}, &store.Visibility{Org: "org-a"}); !slices.Equal(got, []string{"record:01@2", "report:90@1/2"}) {
			t.Errorf("added after %d = %v", mid, got)
		}
		// Paging by seq: every row once.
		var paged []string
		var after int64
		for {
			items, err := st.Feed(ctx, store.FeedQuery{After: after, Limit: 2}, &store.Visibility{Org: "org-a"})
			must(t, err)
			if len(items) == 0 {
				break
			}
			for _, it := range items {
				paged = append(paged, it.Kind)
			}
			after = items[len(items)-1].Seq
		}
		if len(paged) != len(want) {
			t.Errorf("paged %v, want %d rows", paged, len(want))
		}
		// Every version, in the order they were added; only first versions.
		if got := feedKeys(t, st, store.FeedQuery{AllVersions: true, Limit: 100}, &store.Visibility{Org: "org-a"}); !slices.Equal(got, []string{"org:org-a", "org:org-b", "org:org-c", "record:01@1", "record:02@1", "record:01@2", "report:90@1/2"}) {
			t.Errorf("all versions = %v", got)
		}
		items, err := st.Feed(ctx, store.FeedQuery{AllVersions: true, Ref: id(1), Limit: 100}, &store.Visibility{Org: "org-a"})
		if err != nil || len(items) != 2 || items[0].CurrentRecord == nil || items[0].CurrentRecord.Version != 2 || items[1].CurrentRecord != nil {
			t.Errorf("versions of record 1 with their current version: %+v, %v", items, err)
		}
		if got := feedKeys(t, st, store.FeedQuery{First: true, AllVersions: true, Kinds: []string{store.FeedRecord}, Limit: 100}, &store.Visibility{Org: "org-a"}); !slices.Equal(got, []string{"record:01@1", "record:02@1"}) {
			t.Errorf("first versions = %v", got)
		}
		vs, err := st.FeedVersions(ctx, store.FeedRecord, id(1))
		if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[1].Added <= vs[0].Added {
			t.Errorf("versions of record 1 = %+v, %v", vs, err)
		}
	})
}

// TestFeedFilledForEarlierData: what was stored before the feed existed is
// appended by its migration, every version, in update order.
func TestFeedFilledForEarlierData(t *testing.T) {
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
			a := record("01a20a00-0000-7000-8000-000000000001", "org-a", intel.Green, intel.Audience{})
			b := record("01a20a00-0000-7000-8000-000000000002", "org-a", intel.Green, intel.Audience{})
			b.Updated = t0.Add(time.Minute)
			must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, a, b)) }))
			a2 := a
			a2.Version, a2.Updated = 2, t0.Add(time.Hour)
			must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.UpdateRecord(&a, encode(t, a2)[0]) }))
			for _, q := range []string{"DROP TABLE screen_state", "DROP TABLE action_day_bookings", "DROP TABLE action_days", "DROP TABLE rule_packages", "DROP TABLE sms_apps", "DROP TABLE sms_state", "DROP TABLE sessions", "DROP TABLE users", "DROP TABLE stix_feed", "DROP TABLE taxii_status", "DROP TABLE federation_sent", "DROP TABLE received_objects", "DROP TABLE federation_partners", "DELETE FROM schema_version WHERE version >= 11"} {
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
			if got := feedKeys(t, st, store.FeedQuery{Limit: 100}, &store.Visibility{Org: "org-a"}); !slices.Equal(got, []string{"org:org-a", "org:org-b", "org:org-c", "record:02@1", "record:01@2"}) {
				t.Errorf("feed after the migration = %v", got)
			}
			vs, err := st.FeedVersions(ctx, store.FeedRecord, a.ID)
			if err != nil || len(vs) != 2 || vs[0].Added < t0.UnixMicro() || vs[0].Added > t0.UnixMicro()+10 {
				t.Errorf("versions after the migration = %+v, %v", vs, err)
			}
		})
	}
}
