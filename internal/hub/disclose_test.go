package hub_test

import (
	"context"
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestDisclosureHashesTheShownRecord: a record exported in full to another
// organization is logged as disclosed with the hash of the record as shown,
// which for a record shown whole is the hash its creation logged.
func TestDisclosureHashesTheShownRecord(t *testing.T) {
	ctx := context.Background()
	h, callers := withOrgs(t, storetest.SQLite(t), "org-a", "org-b")
	res, err := h.CreateRecords(ctx, callers["org-a"], []intel.RecordInput{
		{Value: "login-disclosed.example.com", TLP: "amber", Labels: []string{"phishing"}, Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		{Value: "198.51.100.77", TLP: "green", Labels: []string{"botnet-c2"}},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("create: %v %+v", err, res)
	}
	var shown []intel.Record
	if err := h.ExportRecords(ctx, callers["org-b"], func(b []intel.Record) error { shown = append(shown, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(shown) != 2 {
		t.Fatalf("org-b got %d records, want 2", len(shown))
	}
	want := map[string]string{}
	for i := range shown {
		enc, err := store.Encode(&shown[i])
		if err != nil {
			t.Fatal(err)
		}
		want[shown[i].ID] = evidence.Sum(enc.Body)
	}
	size, err := h.EvidenceSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := h.EvidenceEntries(ctx, callers["org-a"], 0, size)
	if err != nil {
		t.Fatal(err)
	}
	created, disclosed := map[string]string{}, map[string]string{}
	for _, e := range entries {
		for _, o := range e.Leaf.Objects {
			switch e.Leaf.Action {
			case evidence.RecordCreate:
				created[o.ID] = o.SHA256
			case evidence.Disclose:
				disclosed[o.ID] = o.SHA256
			}
		}
	}
	if len(disclosed) != 2 {
		t.Fatalf("disclosures %v, want both records", disclosed)
	}
	for id, sum := range disclosed {
		if sum != want[id] || sum != created[id] {
			t.Errorf("record %s disclosed with hash %s, shown %s, created %s", id, sum, want[id], created[id])
		}
	}
}
