package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func seedDirectory(t *testing.T, st *store.Store) {
	t.Helper()
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		for _, id := range []string{"org-a", "org-b", "org-c"} {
			if err := tx.InsertOrg(intel.Org{ID: id, Name: id, Country: "NL", Sector: "bank", Created: t0}); err != nil {
				return err
			}
		}
		return tx.InsertGroup(intel.Group{ID: "grp", Name: "g", Owner: "org-a", Created: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func record(id, org string, tlp intel.TLP, aud intel.Audience) intel.Record {
	return intel.Record{ID: id, Type: "domain", Value: id + ".example.com", Labels: []string{"phishing"}, TLP: tlp, Audience: aud,
		Originator: org, Created: t0, Updated: t0, Version: 1, Confidence: 50, Handling: intel.Handling{Codes: []string{}}}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fusion.db")
	for range 3 {
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
}

func TestDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDirectory(t, st)
		err := st.Update(ctx, func(tx *store.Tx) error {
			return tx.InsertOrg(intel.Org{ID: "org-a", Name: "dup", Country: "NL", Sector: "bank", Created: t0})
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate org: %v", err)
		}
		if _, err := st.Org(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing org: %v", err)
		}
		orgs, err := st.Orgs(ctx)
		if err != nil || len(orgs) != 3 || orgs[0].ID != "org-a" || !orgs[0].Created.Equal(t0) {
			t.Fatalf("orgs = %v, %v", orgs, err)
		}
		must(t, st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.AddMember("grp", "org-b", t0); err != nil {
				return err
			}
			return tx.AddMember("grp", "org-b", t0) // twice is fine
		}))
		err = st.Update(ctx, func(tx *store.Tx) error { return tx.AddMember("grp", "nobody", t0) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("adding unknown org: %v", err)
		}
		g, err := st.Group(ctx, "grp")
		if err != nil || !slices.Equal(g.Members, []string{"org-a", "org-b"}) {
			t.Fatalf("group = %+v, %v", g, err)
		}
		if gs, _ := st.GroupsOf(ctx, "org-b"); !slices.Equal(gs, []string{"grp"}) {
			t.Errorf("GroupsOf = %v", gs)
		}
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.RemoveMember("grp", "org-b") }))
		if gs, _ := st.GroupsOf(ctx, "org-b"); len(gs) != 0 {
			t.Errorf("after removal GroupsOf = %v", gs)
		}

		hash := []byte("0123456789abcdef0123456789abcdef")
		must(t, st.Update(ctx, func(tx *store.Tx) error {
			return tx.InsertToken(intel.Token{ID: "tok-1", Org: "org-a", Role: intel.RoleReader, Created: t0}, hash)
		}))
		tok, err := st.TokenByHash(ctx, hash)
		if err != nil || tok.ID != "tok-1" || tok.Revoked != nil {
			t.Fatalf("token = %+v, %v", tok, err)
		}
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken("tok-1", t0.Add(time.Hour)) }))
		if tok, _ := st.TokenByHash(ctx, hash); tok.Revoked == nil || !tok.Revoked.Equal(t0.Add(time.Hour)) {
			t.Errorf("revoked token = %+v", tok)
		}
		err = st.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken("tok-1", t0) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
	})
}

func TestRecordsRoundTripAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDirectory(t, st)
		r := record("01a20a00-0000-7000-8000-000000000001", "org-a", intel.Amber, intel.Audience{Orgs: []string{"org-b"}, Groups: []string{"grp"}})
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, r)) }))
		got, err := st.Record(ctx, r.ID)
		if err != nil || got.Value != r.Value || !slices.Equal(got.Audience.Groups, []string{"grp"}) {
			t.Fatalf("record = %+v, %v", got, err)
		}
		err = st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, r)) })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate id: %v", err)
		}

		next := got
		next.TLP, next.Version, next.Audience = intel.Red, 2, intel.Audience{Orgs: []string{"org-c"}}
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.UpdateRecord(&got, encode(t, next)[0]) }))
		// A second writer holding the old version loses.
		stale := got
		stale.Version = 2
		err = st.Update(ctx, func(tx *store.Tx) error { return tx.UpdateRecord(&got, encode(t, stale)[0]) })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale update: %v", err)
		}
		vs, err := st.RecordVersions(ctx, r.ID)
		if err != nil || len(vs) != 1 || vs[0].TLP != intel.Amber {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		// The audience tables follow the update.
		rows, err := st.Records(ctx, store.RecordQuery{Limit: 10}, &store.Visibility{Org: "org-b", Groups: []string{"grp"}})
		if err != nil || len(rows) != 0 {
			t.Errorf("org-b still reaches the record after the update: %v %v", rows, err)
		}
		rows, _ = st.Records(ctx, store.RecordQuery{Limit: 10}, &store.Visibility{Org: "org-c"})
		if len(rows) != 1 {
			t.Errorf("org-c does not reach the record after the update")
		}
	})
}

// TestVisibilityIsSuperset: the prefilter keeps every row the gate could show.
func TestVisibilityIsSuperset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDirectory(t, st)
		id := func(i int) string { return "01a20a00-0000-7000-8000-00000000000" + string(rune('0'+i)) }
		recs := []intel.Record{
			record(id(1), "org-a", intel.Clear, intel.Audience{}),
			record(id(2), "org-a", intel.Green, intel.Audience{}),
			record(id(3), "org-a", intel.Amber, intel.Audience{Orgs: []string{"org-b"}}),
			record(id(4), "org-a", intel.Amber, intel.Audience{Groups: []string{"grp"}}),
			record(id(5), "org-a", intel.Red, intel.Audience{Orgs: []string{"org-c"}}),
			record(id(6), "org-b", intel.AmberStrict, intel.Audience{}),
		}
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRecords(encode(t, recs...)) }))
		tests := []struct {
			vis  store.Visibility
			want []int
		}{
			{store.Visibility{Org: "org-b"}, []int{1, 2, 3, 6}},
			{store.Visibility{Org: "org-b", Groups: []string{"grp"}}, []int{1, 2, 3, 4, 6}},
			{store.Visibility{Org: "org-c"}, []int{1, 2, 5}},
			{store.Visibility{Org: "org-a"}, []int{1, 2, 3, 4, 5}},
		}
		for _, tt := range tests {
			rows, err := st.Records(ctx, store.RecordQuery{Limit: 100}, &tt.vis)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range rows {
				got = append(got, int(r.ID[len(r.ID)-1]-'0'))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%+v reaches %v, want %v", tt.vis, got, tt.want)
			}
		}
	})
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/x": "postgres://u:***@db:5432/x",
		"postgres://u@db/x":             "postgres://u@db/x",
		"/var/lib/fusion/fusion.db":     "/var/lib/fusion/fusion.db",
		"postgresql://a:b:c@h/d?x=1":    "postgresql://a:***@h/d?x=1",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func encode(t *testing.T, recs ...intel.Record) []store.Encoded {
	t.Helper()
	out := make([]store.Encoded, len(recs))
	for i := range recs {
		var err error
		if out[i], err = store.Encode(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSightingsAggregate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h := t0.Unix() / 3600
		var after []store.Sighting
		add := func(n int64, first, last time.Time) {
			must(t, st.Update(ctx, func(tx *store.Tx) error {
				var err error
				_, after, err = tx.AddSightings([]store.Sighting{{RecordID: "r1", Org: "org-b", Hour: h, Count: n, First: first, Last: last}})
				return err
			}))
		}
		add(3, t0.Add(10*time.Minute), t0.Add(20*time.Minute))
		add(2, t0.Add(5*time.Minute), t0.Add(15*time.Minute))
		// The upsert returns the row as it is after the addition: what the evidence leaf hashes.
		if len(after) != 1 || after[0].Count != 5 || !after[0].First.Equal(t0.Add(5*time.Minute)) || !after[0].Last.Equal(t0.Add(20*time.Minute)) {
			t.Errorf("row after the addition %+v", after)
		}
		var got []store.Sighting
		err := st.ScanSightings(ctx, func(s store.Sighting) error { got = append(got, s); return nil })
		if err != nil || len(got) != 1 {
			t.Fatalf("sightings %v, %v", got, err)
		}
		s := got[0]
		if s.Count != 5 || !s.First.Equal(t0.Add(5*time.Minute)) || !s.Last.Equal(t0.Add(20*time.Minute)) {
			t.Errorf("aggregate %+v", s)
		}
	})
}

func TestAccessRequestDecidedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		must(t, st.Update(ctx, func(tx *store.Tx) error {
			return tx.InsertAccessRequest(store.AccessRequest{ID: "ar1", RecordID: "r1", Owner: "org-a", Requester: "org-b", Purpose: "p", Status: "pending", Created: t0})
		}))
		must(t, st.Update(ctx, func(tx *store.Tx) error { return tx.DecideAccessRequest("ar1", "approved", "ok", t0) }))
		err := st.Update(ctx, func(tx *store.Tx) error { return tx.DecideAccessRequest("ar1", "denied", "no", t0) })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("deciding twice: %v", err)
		}
		got, _ := st.AccessRequests(ctx, "org-b", true)
		if len(got) != 1 || got[0].Status != "approved" || got[0].Decided == nil {
			t.Errorf("requester sees %+v", got)
		}
	})
}

// TestPathsWithURICharacters: a data directory whose name holds '#', '?' or
// '%' gets its own database file there, not one at a truncated path.
func TestPathsWithURICharacters(t *testing.T) {
	base := t.TempDir()
	for _, dir := range []string{"case #1", "case #2", "what?", "100%"} {
		path := filepath.Join(base, dir, "fusion.db")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%q: the database is not where it was asked to be: %v", dir, err)
		}
	}
	if entries, _ := os.ReadDir(base); len(entries) != 4 {
		t.Errorf("files created beside the data directories: %v", entries)
	}
}
