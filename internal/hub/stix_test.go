package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/demo"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// demoHub seeds the demo on a fresh SQLite store and returns the hub, the
// seed and a caller per organization, as its token authenticates.
func demoHub(t *testing.T) (*hub.Hub, demo.Seeded, map[string]*policy.Caller) {
	t.Helper()
	ctx := context.Background()
	h := newHub(t, storetest.SQLite(t))
	if err := h.EnableMatching(match.New(0), bytes.Repeat([]byte{2}, 32), hub.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	seeded, err := demo.Seed(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	callers := map[string]*policy.Caller{}
	for _, o := range seeded.Orgs {
		c, err := h.Authenticate(ctx, o.Token)
		if err != nil {
			t.Fatal(err)
		}
		callers[o.ID] = c
	}
	return h, seeded, callers
}

func exportJSON(t *testing.T, h *hub.Hub, c *policy.Caller, f hub.RecordFilter) (hub.STIXExport, []byte) {
	t.Helper()
	exp, err := h.ExportSTIX(context.Background(), c, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Bundle.Check(); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(exp.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	return exp, data
}

// allRecords lists every record c may see, revoked ones included, by id.
func allRecords(t *testing.T, h *hub.Hub, c *policy.Caller) map[string]intel.Record {
	t.Helper()
	out := map[string]intel.Record{}
	for cursor := ""; ; {
		page, err := h.ListRecords(context.Background(), c, hub.RecordFilter{IncludeRevoked: true, Limit: hub.MaxPage, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			out[r.ID] = r
		}
		if cursor = page.Next; cursor == "" {
			return out
		}
	}
}

// TestSTIXRoundTrip exports what police-nl sees of the demo hub as one
// bundle and imports it into a fresh hub, as another organization: every
// exported record comes back with its value, type, TLP, handling, audience,
// evaluation, confidence and valid_until, every report with its records;
// importing the bundle again changes nothing. Without the organizations
// its audiences name, the records that name them fail with the reason.
func TestSTIXRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo hub")
	}
	ctx := context.Background()
	src, seeded, callers := demoHub(t)
	exp, data := exportJSON(t, src, callers["police-nl"], hub.RecordFilter{})
	if exp.Next != "" {
		t.Fatalf("the demo fits one bundle, got a cursor")
	}
	var exported []intel.Record // the records the bundle holds, as police-nl sees them
	seen := allRecords(t, src, callers["police-nl"])
	ids := map[string]bool{}
	for _, o := range exp.Bundle.Objects {
		if ind, ok := o.(*stix.Indicator); ok {
			ext := ind.Extensions[stix.FusionExtensionID].(map[string]any)
			r := seen[ext["fusion_id"].(string)]
			exported = append(exported, r)
			ids[r.ID] = true
		}
	}
	if len(exported) < 50 {
		t.Fatalf("only %d records exported", len(exported))
	}
	if !ids[seeded.RedRecord] {
		t.Errorf("police-nl's export lacks the red record it is the audience of")
	}
	// The gate: bank-nord is not in the red record's audience.
	other, _ := exportJSON(t, src, callers["bank-nord"], hub.RecordFilter{})
	for _, o := range other.Bundle.Objects {
		if o.ObjectID() == stix.IndicatorID(seeded.RedRecord) {
			t.Errorf("bank-nord's export holds the red record of police-nl's audience")
		}
	}
	values := map[string]int{}
	for _, r := range exported {
		values[string(r.Type)+"|"+r.Value]++
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dst := newHub(t, st)
		for _, o := range seeded.Orgs {
			if _, err := dst.OperatorCreateOrg(ctx, o.ID, o.Name, o.Country, string(o.Sector), false); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := dst.OperatorCreateOrg(ctx, "importer", "Importer", "NL", "cert", false); err != nil {
			t.Fatal(err)
		}
		imp := &policy.Caller{Org: "importer", Role: intel.RoleAnalyst}
		for _, g := range seeded.Groups {
			if _, err := dst.OperatorCreateGroup(ctx, g.ID, g.Name, g.Owner); err != nil {
				t.Fatal(err)
			}
			if _, err := dst.OperatorAddMember(ctx, g.ID, "importer"); err != nil {
				t.Fatal(err)
			}
			imp.Groups = append(imp.Groups, g.ID)
		}
		res, err := dst.ImportSTIX(ctx, imp, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != len(exp.Bundle.Objects) {
			t.Fatalf("%d outcomes for %d objects", len(res.Objects), len(exp.Bundle.Objects))
		}
		if res.Totals.Failed != 0 || res.Totals.Records.Refused != 0 {
			for _, o := range res.Objects {
				if o.Status == hub.Failed {
					t.Errorf("%s: failed: %s", o.ID, o.Reason)
				}
			}
		}
		byID := map[string]hub.STIXObject{}
		for _, o := range res.Objects {
			byID[o.ID] = o
			if o.Status == hub.Skipped && o.Reason == "" {
				t.Errorf("%s skipped without a reason", o.ID)
			}
		}
		got := allRecords(t, dst, imp)
		for _, want := range exported {
			o := byID[stix.IndicatorID(want.ID)]
			if want.Revoked != nil {
				continue
			}
			if len(o.Records) != 1 {
				t.Errorf("record %s (%s): %s %q, records %v", want.ID, want.Value, o.Status, o.Reason, o.Records)
				continue
			}
			if values[string(want.Type)+"|"+want.Value] > 1 {
				continue // several originators' records of one value merge into one
			}
			if o.Status != hub.Created {
				t.Errorf("record %s: %s", want.ID, o.Status)
			}
			r := got[o.Records[0]]
			type shape struct {
				Type, Value, Description           string
				TLP                                intel.TLP
				Labels, Tags                       []string
				Handling                           intel.Handling
				Audience                           intel.Audience
				Evaluation                         intel.Evaluation
				Confidence                         int
				Personal, Discoverable, Subdomains bool
				ValidUntil                         string
			}
			sh := func(r intel.Record) string {
				s := shape{Type: string(r.Type), Value: r.Value, Description: r.Description, TLP: r.TLP, Labels: r.Labels, Tags: r.Tags,
					Handling: r.Handling, Audience: r.Audience, Evaluation: r.Evaluation, Confidence: r.Confidence,
					Personal: r.Personal, Discoverable: r.Discoverable, Subdomains: r.Subdomains}
				if r.ValidUntil != nil {
					s.ValidUntil = r.ValidUntil.UTC().Format(time.RFC3339Nano)
				}
				return fmt.Sprintf("%+v", s)
			}
			if g, w := sh(r), sh(want); g != w {
				t.Errorf("record %s round trip:\n got %s\nwant %s", want.ID, g, w)
			}
			if r.Originator != "importer" {
				t.Errorf("record %s: originator %s", r.ID, r.Originator)
			}
		}
		reports := 0
		for _, ob := range exp.Bundle.Objects {
			rep, ok := ob.(*stix.Report)
			if !ok {
				continue
			}
			reports++
			o := byID[rep.ID]
			if o.Status != hub.Created || o.Report == "" {
				t.Errorf("report %s: %s %s", rep.ID, o.Status, o.Reason)
				continue
			}
			r, err := dst.GetReport(ctx, imp, o.Report)
			if err != nil {
				t.Fatal(err)
			}
			if r.Title != rep.Name || len(r.Records) != len(rep.ObjectRefs) {
				t.Errorf("report %s: %q with %d records, want %q with %d", rep.ID, r.Title, len(r.Records), rep.Name, len(rep.ObjectRefs))
			}
		}
		if reports == 0 {
			t.Error("no report exported")
		}

		// Again: nothing changes.
		again, err := dst.ImportSTIX(ctx, imp, data)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range again.Objects {
			first := res.Objects[i]
			want := first.Status
			if want == hub.Created || want == hub.Updated {
				want = hub.Unchanged
			}
			if o.Status != want || !slices.Equal(o.Records, first.Records) || o.Report != first.Report {
				t.Errorf("again %s: %s %v %s, want %s %v %s", o.ID, o.Status, o.Records, o.Report, want, first.Records, first.Report)
			}
		}
		if again.Totals.Created+again.Totals.Updated+again.Totals.Records.Created+again.Totals.Records.Updated != 0 {
			t.Errorf("again: %+v", again.Totals)
		}
	})

	t.Run("audience orgs missing", func(t *testing.T) {
		dst := newHub(t, storetest.SQLite(t))
		if _, err := dst.OperatorCreateOrg(ctx, "importer", "Importer", "NL", "cert", false); err != nil {
			t.Fatal(err)
		}
		res, err := dst.ImportSTIX(ctx, &policy.Caller{Org: "importer", Role: intel.RoleAnalyst}, data)
		if err != nil {
			t.Fatal(err)
		}
		var failed, created int
		for _, want := range exported {
			o := res.Objects[slices.IndexFunc(res.Objects, func(o hub.STIXObject) bool { return o.ID == stix.IndicatorID(want.ID) })]
			switch {
			case want.Revoked != nil:
			case len(want.Audience.Orgs) > 0:
				if o.Status != hub.Failed || !strings.Contains(o.Reason, "no such organization") {
					t.Errorf("record %s with audience %v: %s %s", want.ID, want.Audience.Orgs, o.Status, o.Reason)
				}
				failed++
			case len(want.Audience.Groups) > 0:
				if o.Status != hub.Failed || !strings.Contains(o.Reason, "audience.groups") {
					t.Errorf("record %s with groups %v: %s %s", want.ID, want.Audience.Groups, o.Status, o.Reason)
				}
				failed++
			case o.Status == hub.Created || o.Status == hub.Updated:
				created++
			}
		}
		if failed == 0 || created == 0 {
			t.Errorf("%d failed for their audience, %d created", failed, created)
		}
	})

	t.Run("pages", func(t *testing.T) {
		c := callers["police-nl"]
		all := map[string]bool{}
		for _, o := range exp.Bundle.Objects {
			if o.ObjectType() == "indicator" {
				all[o.ObjectID()] = true
			}
		}
		paged := map[string]bool{}
		f := hub.RecordFilter{Limit: 7}
		for n := 0; ; n++ {
			page, _ := exportJSON(t, src, c, f)
			for _, o := range page.Bundle.Objects {
				if o.ObjectType() != "indicator" {
					continue
				}
				if paged[o.ObjectID()] {
					t.Errorf("page %d repeats %s", n, o.ObjectID())
				}
				paged[o.ObjectID()] = true
			}
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
		if len(paged) != len(all) {
			t.Errorf("pages of 7 gave %d indicators, one bundle %d", len(paged), len(all))
		}
		_, err := src.ExportSTIX(ctx, c, hub.RecordFilter{Limit: hub.MaxSTIXExport + 1})
		var fe *intel.FieldError
		if !errors.As(err, &fe) || fe.Field != "limit" {
			t.Errorf("limit %d: %v", hub.MaxSTIXExport+1, err)
		}
	})
}

// TestSTIXImport covers what the record submission refuses (a warning
// list), reports whose refs gave no record, a body that is not a bundle,
// and a caller who may not write.
func TestSTIXImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, cs := withOrgs(t, st, "org-a")
		c := cs["org-a"]
		bundle := `{"type":"bundle","id":"bundle--0b9a6f1c-1a43-4a44-9c49-5a1e0a2f0001","objects":[
		{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.1.2.3']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
		{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '203.0.113.5' OR ipv4-addr:value = '8.8.8.8']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80},
		{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000003","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[file:name = 'x.exe']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
		{"type":"report","spec_version":"2.1","id":"report--00000000-0000-4000-8000-000000000004","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"Scanners","published":"2026-01-01T00:00:00Z","object_refs":["indicator--00000000-0000-4000-8000-000000000001","indicator--00000000-0000-4000-8000-000000000002","indicator--00000000-0000-4000-8000-000000000003"]}]}`
		res, err := h.ImportSTIX(ctx, c, []byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		o := res.Objects
		if o[0].Status != hub.Failed || !strings.Contains(o[0].Reason, `value: "10.1.2.3": on the warning list "private"`) || strings.Contains(o[0].Reason, "force") {
			t.Errorf("warning-listed indicator: %+v", o[0])
		}
		if o[1].Status != hub.Created || len(o[1].Records) != 1 || !strings.Contains(o[1].Reason, `1 of 2 values refused: value: "8.8.8.8": on the warning list "public-resolvers"`) {
			t.Errorf("indicator with one refused value: %+v", o[1])
		}
		if o[2].Status != hub.Skipped || !strings.Contains(o[2].Reason, "file:name") {
			t.Errorf("indicator fusion cannot hold: %+v", o[2])
		}
		if o[3].Status != hub.Created || o[3].Report == "" || !strings.Contains(o[3].Reason, "indicator--00000000-0000-4000-8000-000000000001") || !strings.Contains(o[3].Reason, "gave no record: indicator--00000000-0000-4000-8000-000000000003") {
			t.Errorf("report: %+v", o[3])
		}
		rep, err := h.GetReport(ctx, c, o[3].Report)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Records, o[1].Records) {
			t.Errorf("report records %v, want %v", rep.Records, o[1].Records)
		}
		rec, err := h.GetRecord(ctx, c, o[1].Records[0])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Value != "203.0.113.5" || rec.Confidence != 80 || rec.TLP != stix.DefaultImportTLP {
			t.Errorf("record %+v", rec)
		}
		want := hub.STIXTotals{Objects: 4, Created: 2, Skipped: 1, Failed: 1, Records: hub.RecordTotals{Submitted: 3, Created: 1, Refused: 2}}
		if res.Totals != want {
			t.Errorf("totals %+v, want %+v", res.Totals, want)
		}

		for _, bad := range []string{`not json`, `[]`, `{"type":"bundle","objects":{}}`, `{"type":"indicator"}`, `{"type":"bundle","objects":[]} {}`} {
			_, err := h.ImportSTIX(ctx, c, []byte(bad))
			var ie *stix.ImportError
			if !errors.As(err, &ie) {
				t.Errorf("%s: %v, want a stix.ImportError", bad, err)
			}
		}
		// A bundle that parses, then a malformed one with a new value: the
		// malformed one stores nothing.
		_, err = h.ImportSTIX(ctx, c, []byte(`{"type":"bundle","objects":[{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000009","value":"203.0.113.9"}],"x":`))
		if err == nil {
			t.Error("a truncated bundle was taken")
		}
		page, err := h.ListRecords(ctx, c, hub.RecordFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 {
			t.Errorf("%d records after the malformed bundles, want the one imported before", len(page.Items))
		}

		reader := &policy.Caller{Org: "org-a", Role: intel.RoleReader}
		if _, err := h.ImportSTIX(ctx, reader, []byte(bundle)); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("reader: %v, want forbidden", err)
		}
		sensor := &policy.Caller{Org: "org-a", Role: intel.RoleSensor}
		res, err = h.ImportSTIX(ctx, sensor, []byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		if o := res.Objects[3]; o.Status != hub.Failed || !strings.Contains(o.Reason, "forbidden") {
			t.Errorf("report imported by a sensor, which may submit records but not write reports: %+v", o)
		}
	})
}

// BenchmarkImportSTIX imports a bundle of 10,000 indicators, each with its
// observable and based-on relationship as fusion's export writes them, into
// a fresh hub on SQLite.
func BenchmarkImportSTIX(b *testing.B) {
	const n = 10000
	data := benchBundle(b, n)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		h, cs := withOrgs(b, storetest.SQLite(b), "org-a")
		b.StartTimer()
		res, err := h.ImportSTIX(ctx, cs["org-a"], data)
		if err != nil {
			b.Fatal(err)
		}
		if res.Totals.Records.Created != n {
			b.Fatalf("%+v", res.Totals)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "indicators/s")
}

// BenchmarkImportSTIXRecordsOnly submits the record inputs the bundle of
// BenchmarkImportSTIX gives straight to CreateRecords: the floor of the
// import on this machine at this moment, to compare with in one run.
func BenchmarkImportSTIXRecordsOnly(b *testing.B) {
	const n = 10000
	objs, err := stix.ImportBundle(benchBundle(b, n))
	if err != nil {
		b.Fatal(err)
	}
	var ins []intel.RecordInput
	for _, o := range objs {
		ins = append(ins, o.Records...)
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		h, cs := withOrgs(b, storetest.SQLite(b), "org-a")
		b.StartTimer()
		if _, err := h.CreateRecords(ctx, cs["org-a"], ins); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "indicators/s")
}

// benchBundle is fusion's export of n green ipv4 records.
func benchBundle(b testing.TB, n int) []byte {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]intel.Record, n)
	for i := range recs {
		recs[i] = intel.Record{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Type: "ipv4", Value: fmt.Sprintf("11.%d.%d.%d", i>>16, (i>>8)&255, i&255),
			TLP: intel.Green, Labels: []string{"scanning"}, Originator: "org", Version: 1, Created: t0, Updated: t0}
	}
	bundle, _ := stix.NewBundle(stix.ExportInput{Records: recs})
	data, err := json.Marshal(bundle)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// TestSTIXImportBatches imports a bundle of more records than one
// CreateRecords call takes: they go in batches, and every object still
// gets its own record.
func TestSTIXImportBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 10,050 records")
	}
	const n = hub.MaxBatch + 50
	data := benchBundle(t, n)
	h, cs := withOrgs(t, storetest.SQLite(t), "org-a")
	res, err := h.ImportSTIX(context.Background(), cs["org-a"], data)
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals.Records.Created != n || res.Totals.Created != n {
		t.Fatalf("%+v", res.Totals)
	}
	seen := map[string]bool{}
	for _, o := range res.Objects {
		if o.Type != "indicator" {
			continue
		}
		if len(o.Records) != 1 || seen[o.Records[0]] {
			t.Fatalf("%s: records %v", o.ID, o.Records)
		}
		seen[o.Records[0]] = true
	}
}
