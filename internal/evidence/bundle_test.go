package evidence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

func TestBundleExportAndCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		b, err := w.h.Evidence().Export(ctx, w.recs[0])
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.MarshalIndent(b, "", "  ")
		c, err := evidence.CheckBundle(data, w.notary.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		// Created, updated, disclosed to org-b (get and list), seen twice in
		// its traffic, feedback, disclosed twice more.
		var actions []string
		for _, l := range c.Leaves {
			actions = append(actions, string(l.Action))
		}
		if got := strings.Join(actions, " "); got != "record.create record.update disclose disclose sighting sighting feedback disclose disclose" {
			t.Errorf("custody actions: %s", got)
		}
		if c.Leaves[2].Org != "org-b" || c.Leaves[2].Purpose != "case 2026/117" {
			t.Errorf("disclosure leaf %+v", c.Leaves[2])
		}
		if c.Record.Confidence != 90 || c.Current != 1 {
			t.Errorf("record %+v, current %d", c.Record, c.Current)
		}
		var out bytes.Buffer
		c.Print(&out)
		for _, want := range []string{"submitted", "changed", "disclosed to", "sighted by", "feedback from", "org-b", "case 2026/117", "= bundled record"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("custody print lacks %q:\n%s", want, out.String())
			}
		}

		// Each alteration of the bundle is refused.
		alter := []struct {
			name, trusted string
			edit          func(b *evidence.Bundle)
			want          string
		}{
			{"record content", w.notary.VerifierKey(), func(b *evidence.Bundle) {
				b.Record = strings.Replace(b.Record, `"confidence":90`, `"confidence":99`, 1)
			}, "does not match its latest change"},
			{"leaf", w.notary.VerifierKey(), func(b *evidence.Bundle) {
				b.Entries[2].Leaf = strings.Replace(b.Entries[2].Leaf, `"org":"org-b"`, `"org":"org-c"`, 1)
			}, "not in the signed log"},
			{"dropped disclosure keeps proving", w.notary.VerifierKey(), func(b *evidence.Bundle) {
				b.Entries = b.Entries[:1] // leaves out later changes: the record no longer matches
			}, "does not match its latest change"},
			{"other key", otherKey(t), func(*evidence.Bundle) {}, "not by the trusted key"},
			{"checkpoint", w.notary.VerifierKey(), func(b *evidence.Bundle) {
				b.Entries[0].Proof = strings.Replace(b.Entries[0].Proof, "\n\nfusion.test/tamper\n", "\n\nfusion.test/tamper\n1", 1)
			}, "checkpoint"},
		}
		for _, a := range alter {
			var cp evidence.Bundle
			json.Unmarshal(data, &cp)
			a.edit(&cp)
			bad, _ := json.Marshal(&cp)
			if _, err := evidence.CheckBundle(bad, a.trusted); err == nil || !strings.Contains(err.Error(), a.want) {
				t.Errorf("%s: err = %v, want %q", a.name, err, a.want)
			}
		}
	})
}

func otherKey(t *testing.T) string {
	_, vkey, err := evidence.GenerateKey("fusion.test/tamper")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}
