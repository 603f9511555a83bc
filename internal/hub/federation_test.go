package hub_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestPartnerGetsWhatMayLeave: a partner hub's token reads, through TAXII,
// exactly what policy.Forward lets leave the hub.
func TestPartnerGetsWhatMayLeave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "bank-a", "hub-b")
		ins := []intel.RecordInput{
			{Value: "green.example.org", TLP: "green"},
			{Value: "named.example.org", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
			{Value: "unnamed.example.org", TLP: "amber"},
			{Value: "h2.example.org", TLP: "green", Handling: &intel.Handling{Codes: []string{"H2"}}},
			{Value: "strict.example.org", TLP: "amber+strict", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
			{Value: "red.example.org", TLP: "red", Audience: &intel.Audience{Orgs: []string{"hub-b"}}},
		}
		res, err := h.CreateRecords(ctx, callers["bank-a"], ins)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		partner := &policy.Caller{Org: "hub-b", Role: intel.RolePartner}
		page, err := h.Objects(ctx, partner, hub.CollectionVisible, hub.ObjectQuery{Types: []string{"indicator"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range page.Objects {
			got = append(got, o.Object.(*stix.Indicator).Name)
		}
		slices.Sort(got)
		if want := []string{"green.example.org", "named.example.org"}; !slices.Equal(got, want) {
			t.Errorf("partner got %v, want %v", got, want)
		}
	})
}

// TestCollectionIDs: the ids docs/taxii.md and the README give.
func TestCollectionIDs(t *testing.T) {
	for got, want := range map[string]string{
		hub.CollectionVisible: "3999d52b-d1af-5b59-b29e-7edf074d2743",
		hub.CollectionOwn:     "26c83177-69e9-56f0-a8aa-6399ceeaa52c",
		hub.CollectionInbox:   "7f41ffad-b023-54a0-b816-448ff0a0699e",
	} {
		if got != want {
			t.Errorf("collection id %s, documented %s", got, want)
		}
	}
}

// TestSightingsPostedToTheInbox: a STIX sighting of one of this hub's
// indicators, posted by an organization that may see the record, counts
// as its sightings (the count since its last sighting with that id); on a
// record it may not see, it is refused and nothing is counted.
func TestSightingsPostedToTheInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "bank-a", "bank-b", "bank-c")
		res, err := h.CreateRecords(ctx, callers["bank-a"], []intel.RecordInput{
			{Value: "seen.example.org", TLP: "green"},
			{Value: "secret.example.org", TLP: "red", Audience: &intel.Audience{Orgs: []string{"bank-b"}}},
		})
		if err != nil || res[0].Err != nil || res[1].Err != nil {
			t.Fatal(err, res)
		}
		green, red := res[0].Value.ID, res[1].Value.ID
		sighting := func(record string, count int) json.RawMessage {
			s, err := stix.ForSighting(&stix.SightingInput{Record: record, TLP: intel.Green, Observer: "x", Count: int64(count),
				First: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Last: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(s)
			return b
		}
		post := func(org string, objs ...json.RawMessage) hub.TAXIIStatus {
			t.Helper()
			s, err := h.AddObjects(ctx, callers[org], hub.CollectionInbox, objs)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		total := func() int {
			fb, err := h.Feedback(ctx, callers["bank-a"], 10, "")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range fb.Records {
				n += r.Sightings
			}
			return n
		}
		if s := post("bank-c", sighting(green, 3)); s.SuccessCount != 1 || total() != 3 {
			t.Fatalf("first sighting: %+v, total %d", s, total())
		}
		if s := post("bank-c", sighting(green, 5)); s.SuccessCount != 1 || total() != 5 {
			t.Fatalf("the same sighting with a higher count: %+v, total %d (want 5: the difference is added)", s, total())
		}
		if s := post("bank-c", sighting(green, 5)); s.SuccessCount != 1 || !strings.HasPrefix(s.Successes[0].Message, "unchanged") || total() != 5 {
			t.Fatalf("the same sighting again: %+v, total %d", s, total())
		}
		s := post("bank-c", sighting(red, 7))
		if s.FailureCount != 1 || !strings.Contains(s.Failures[0].Message, "not an indicator this hub shared with bank-c") || total() != 5 {
			t.Fatalf("a sighting of a record bank-c may not see: %+v, total %d", s, total())
		}
	})
}

// TestFederatedReports: a report a partner hub may forward arrives with
// its records: hub B creates it as the partner's organization, grouping
// the records it received, and a second pull leaves it unchanged.
func TestFederatedReports(t *testing.T) {
	ctx := context.Background()
	a, ca := withOrgs(t, storetest.SQLite(t), "bank-a", "hub-b")
	res, err := a.CreateRecords(ctx, ca["bank-a"], []intel.RecordInput{{Value: "kit-1.example.org", TLP: "green"}, {Value: "kit-2.example.org", TLP: "green"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.CreateReport(ctx, ca["bank-a"], intel.ReportInput{Title: "Phishing kit", TLP: "green", Records: []string{res[0].Value.ID, res[1].Value.ID}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.Objects(ctx, &policy.Caller{Org: "hub-b", Role: intel.RolePartner}, hub.CollectionVisible, hub.ObjectQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var objs []json.RawMessage
	for _, o := range page.Objects {
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, b)
	}
	b, cb := withOrgs(t, storetest.SQLite(t), "hub-a")
	p := hub.Partner{Name: "hub-a", URL: "https://hub-a.example.org/taxii2/", Collection: hub.CollectionVisible, Org: "hub-a"}
	for round := range 2 {
		imp, err := b.ImportFederated(ctx, p, objs)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Totals.Failed != 0 {
			t.Fatalf("round %d: %+v", round, imp.Objects)
		}
	}
	reports, err := b.ListReports(ctx, cb["hub-a"], hub.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports.Items) != 1 || reports.Items[0].Title != rep.Title || len(reports.Items[0].Records) != 2 || reports.Items[0].Originator != "hub-a" || reports.Items[0].Version != 1 {
		t.Fatalf("hub B's reports: %+v", reports.Items)
	}
}
