package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestRulePackages stores two versions of a package and one of another,
// reads the current and a given version, lists the current ones, refuses a
// version written twice and revokes one version once.
func TestRulePackages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDirectory(t, st)
		row := func(id string, v int, at time.Time) store.RulePackageRow {
			return store.RulePackageRow{ID: id, Version: v, Originator: "org-a", TLP: "amber",
				Audience: `{"groups":["grp"],"orgs":[]}`, Handling: `{"codes":["H2"]}`, Body: `{"id":"` + id + `"}`, Created: at}
		}
		err := st.Update(ctx, func(tx *store.Tx) error {
			for _, r := range []store.RulePackageRow{row("p1", 1, t0), row("p2", 1, t0.Add(time.Minute)), row("p1", 2, t0.Add(2*time.Minute))} {
				if err := tx.InsertRulePackage(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Update(ctx, func(tx *store.Tx) error { return tx.InsertRulePackage(row("p1", 2, t0)) })
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a version written twice: %v", err)
		}
		cur, err := st.RulePackage(ctx, "p1", 0)
		if err != nil || cur.Version != 2 || !cur.Created.Equal(t0.Add(2*time.Minute)) || cur.Revoked != nil || cur.Audience != `{"groups":["grp"],"orgs":[]}` {
			t.Fatalf("current: %+v %v", cur, err)
		}
		if v1, err := st.RulePackage(ctx, "p1", 1); err != nil || v1.Version != 1 {
			t.Fatalf("version 1: %+v %v", v1, err)
		}
		if _, err := st.RulePackage(ctx, "p1", 3); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("version 3: %v", err)
		}
		if _, err := st.RulePackage(ctx, "nope", 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no such package: %v", err)
		}
		list, err := st.RulePackages(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "p1" || list[0].Version != 2 || list[1].ID != "p2" {
			t.Fatalf("list: %+v %v", list, err)
		}
		if vs, err := st.RulePackageVersions(ctx, "p1"); err != nil || len(vs) != 2 || vs[0].Version != 1 {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		revoke := func() error {
			return st.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.RulePackageRow("p1", 0); err != nil {
					return err
				}
				return tx.RevokeRulePackage("p1", 2, t0.Add(time.Hour), "superseded by the spring criteria")
			})
		}
		if err := revoke(); err != nil {
			t.Fatal(err)
		}
		if err := revoke(); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("revoked twice: %v", err)
		}
		cur, _ = st.RulePackage(ctx, "p1", 0)
		if cur.Revoked == nil || !cur.Revoked.Equal(t0.Add(time.Hour)) || cur.RevokedReason != "superseded by the spring criteria" {
			t.Fatalf("revoked: %+v", cur)
		}
		n := 0
		if err := st.ScanRulePackageRows(ctx, func(store.RulePackageRow) error { n++; return nil }); err != nil || n != 3 {
			t.Fatalf("scan: %d %v", n, err)
		}
	})
}
