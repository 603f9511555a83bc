package hub_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// mispDir holds real MISP events and a feed (../shared/fixtures/README.md).
const mispDir = "../../../shared/fixtures/misp"

func mispFixtures(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(mispDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") && filepath.Base(path) != "manifest.json" && filepath.Base(path) != "tlp-machinetag.json" {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no MISP fixtures under %s: %v", mispDir, err)
	}
	return files
}

// accounted checks that every attribute of every event has one outcome.
func accounted(t *testing.T, name string, imp hub.MISPImport) {
	t.Helper()
	for _, e := range imp.Events {
		a := e.Attributes
		if got := a.Created + a.Updated + a.Unchanged + a.Refused + a.Context + a.Deleted + a.Dropped; got != a.Total {
			t.Errorf("%s: event %s: %d attributes, %d outcomes: %+v", name, e.UUID, a.Total, got, a)
		}
		if e.Status == hub.Failed {
			t.Errorf("%s: event %s failed: %s", name, e.UUID, e.Reason)
		}
	}
}

// mispCounts is what importing each fixture file gives: events created
// and skipped (not events), attributes that became records, context,
// deleted and refused, and sightings taken.
var mispCounts = map[string][7]int{
	"events/pymisp-attribute_del.json":                                     {1, 0, 0, 0, 1, 0, 0},
	"events/pymisp-circl-osint-57c4445b.json":                              {1, 0, 3, 6, 0, 0, 0},
	"events/pymisp-existing_event.json":                                    {1, 0, 68, 54, 0, 0, 0},
	"events/pymisp-japanese_test.json":                                     {1, 0, 0, 1, 0, 0, 0},
	"events/pymisp-malware_exist-restsearch-response.json":                 {1, 0, 3, 3, 0, 0, 0},
	"events/pymisp-search_index_result.json":                               {1, 0, 0, 0, 0, 0, 0},
	"events/pymisp-sharing_groups.json":                                    {0, 2, 0, 0, 0, 0, 0},
	"events/pymisp-sighting_1.json":                                        {1, 0, 5, 0, 0, 0, 6},
	"feeds/circl-misp-test-feed/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json": {1, 0, 0, 1, 0, 0, 0},
}

// TestImportMISPFixtures imports every real MISP file; each attribute is
// taken or has a reason, no event fails, the counts are the file's, and
// importing again changes nothing: the same reports, no new versions.
func TestImportMISPFixtures(t *testing.T) {
	ctx := context.Background()
	files := mispFixtures(t)
	if len(files) != len(mispCounts) {
		t.Errorf("%d fixture files, %d with counts", len(files), len(mispCounts))
	}
	for _, path := range files {
		name := strings.TrimPrefix(path, mispDir+"/")
		t.Run(name, func(t *testing.T) {
			h, cs := withOrgs(t, storetest.SQLite(t), "cert-a", "bank-b")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, err := h.ImportMISP(ctx, cs["cert-a"], data, hub.MISPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			accounted(t, name, first)
			a := first.Totals.Attributes
			if got := [7]int{first.Totals.Created, first.Totals.Skipped, a.Created, a.Context, a.Deleted, a.Refused, a.Sightings}; got != mispCounts[name] {
				t.Errorf("counts %v, want %v", got, mispCounts[name])
			}
			again, err := h.ImportMISP(ctx, cs["cert-a"], data, hub.MISPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			accounted(t, name, again)
			for i, e := range again.Events {
				want := hub.Unchanged
				if e.Status == hub.Skipped {
					want = hub.Skipped
				}
				if e.Status != want || e.Report != first.Events[i].Report {
					t.Errorf("re-import of event %s: %s report %s, want %s report %s (%s)", e.UUID, e.Status, e.Report, want, first.Events[i].Report, e.Reason)
				}
				if e.Attributes.Created+e.Attributes.Updated != 0 {
					t.Errorf("re-import of event %s changed records: %+v", e.UUID, e.Attributes)
				}
			}
			for _, e := range first.Events {
				if e.Report == "" {
					continue
				}
				r, err := h.GetReport(ctx, cs["cert-a"], e.Report)
				if err != nil {
					t.Fatal(err)
				}
				if r.Source == nil || r.Source.ID != e.UUID || r.Version != 1 {
					t.Errorf("report %s: source %+v version %d", r.ID, r.Source, r.Version)
				}
				if got := len(r.Source.Attributes); got != e.Attributes.Created+e.Attributes.Updated+e.Attributes.Unchanged+e.Attributes.Context {
					t.Errorf("report %s keeps %d attributes, want %+v", r.ID, got, e.Attributes)
				}
			}
		})
	}
}

const mispEvent = `{"Event":{"uuid":"5e3b2a1c-1111-4c3b-9f5e-0a0b0c0d0e0f","info":"Phishing kit","date":"2026-11-01",
 "threat_level_id":"2","analysis":"1","distribution":"%DIST%","Orgc":{"name":"CERT-X","uuid":"5e3b2a1c-2222-4c3b-9f5e-0a0b0c0d0e0f"},
 "Tag":[{"name":"tlp:green"}],
 "Attribute":[
  {"uuid":"5e3b2a1c-0001-4c3b-9f5e-0a0b0c0d0e0f","type":"domain","category":"Network activity","value":"login-bank.example.net","to_ids":true,"deleted":%DEL%},
  {"uuid":"5e3b2a1c-0002-4c3b-9f5e-0a0b0c0d0e0f","type":"ip-dst","category":"Network activity","value":"198.51.100.23","to_ids":true},
  {"uuid":"5e3b2a1c-0003-4c3b-9f5e-0a0b0c0d0e0f","type":"text","category":"Other","value":"kit sold on a forum","to_ids":false}
 ]}}`

func mispEventWith(dist string, deleted bool) []byte {
	del := "false"
	if deleted {
		del = "true"
	}
	return []byte(strings.NewReplacer("%DIST%", dist, "%DEL%", del).Replace(mispEvent))
}

// TestImportMISPDistribution: distribution 0 keeps a tlp:green event to the
// importer (raised to amber with the importer as audience); another
// organization sees neither the records nor the report, and distribution 3
// leaves the TLP to decide.
func TestImportMISPDistribution(t *testing.T) {
	ctx := context.Background()
	h, cs := withOrgs(t, storetest.SQLite(t), "cert-a", "bank-b")
	imp, err := h.ImportMISP(ctx, cs["cert-a"], mispEventWith("0", false), hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := imp.Events[0]
	if e.Status != hub.Created || e.Attributes.Created != 2 || e.Attributes.Context != 1 {
		t.Fatalf("import: %+v", e)
	}
	r, err := h.GetReport(ctx, cs["cert-a"], e.Report)
	if err != nil {
		t.Fatal(err)
	}
	if r.TLP != intel.Amber || !r.Audience.HasOrg("cert-a") || len(r.Records) != 2 {
		t.Fatalf("report: tlp %s audience %+v records %v", r.TLP, r.Audience, r.Records)
	}
	for _, id := range r.Records {
		rec, err := h.GetRecord(ctx, cs["cert-a"], id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.TLP != intel.Amber || !rec.Audience.HasOrg("cert-a") || rec.Reference != "misp:5e3b2a1c-2222-4c3b-9f5e-0a0b0c0d0e0f" {
			t.Errorf("record %s: tlp %s audience %+v reference %q", rec.Value, rec.TLP, rec.Audience, rec.Reference)
		}
		if _, err := h.GetRecord(ctx, cs["bank-b"], id); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("bank-b reads %s: %v", rec.Value, err)
		}
	}
	if _, err := h.GetReport(ctx, cs["bank-b"], e.Report); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("bank-b reads the report: %v", err)
	}

	// Distribution 3: the event's green holds, and bank-b sees it all.
	h2, cs2 := withOrgs(t, storetest.SQLite(t), "cert-a", "bank-b")
	imp, err = h2.ImportMISP(ctx, cs2["cert-a"], mispEventWith("3", false), hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err = h2.GetReport(ctx, cs2["bank-b"], imp.Events[0].Report)
	if err != nil {
		t.Fatal(err)
	}
	if r.TLP != intel.Green || len(r.Records) != 2 || len(r.Source.Attributes) != 3 {
		t.Fatalf("bank-b's view: tlp %s records %v source %+v", r.TLP, r.Records, r.Source)
	}
}

// TestImportMISPSourceHidesRecords: a report's source names only the
// records the reader may see.
func TestImportMISPSourceHidesRecords(t *testing.T) {
	ctx := context.Background()
	h, cs := withOrgs(t, storetest.SQLite(t), "cert-a", "bank-b")
	ev := strings.Replace(string(mispEventWith("3", false)), `"to_ids":true}`, `"to_ids":true,"Tag":[{"name":"tlp:red"}]}`, 1)
	imp, err := h.ImportMISP(ctx, cs["cert-a"], []byte(ev), hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := h.GetReport(ctx, cs["cert-a"], imp.Events[0].Report)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := h.GetReport(ctx, cs["bank-b"], imp.Events[0].Report)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Records) != 2 || len(theirs.Records) != 1 || len(mine.Source.Attributes) != 3 || len(theirs.Source.Attributes) != 2 {
		t.Fatalf("cert-a sees %v / %d source attributes; bank-b %v / %d", mine.Records, len(mine.Source.Attributes), theirs.Records, len(theirs.Source.Attributes))
	}
	for _, a := range theirs.Source.Attributes {
		if a.Record != "" && a.Record != theirs.Records[0] {
			t.Errorf("bank-b's source names record %s it may not see", a.Record)
		}
	}
	// The gate alone (without the hub's view) names none of them.
	stored := mine
	stored.Originator = "cert-a"
	if v, ok := policy.Report(cs["bank-b"], &stored); !ok || len(v.Source.Attributes) != 1 {
		t.Errorf("policy.Report leaves %d source attributes to bank-b, want the context one", len(v.Source.Attributes))
	}
}

// TestImportMISPDeleted: an attribute deleted in MISP revokes the record
// it gave before, and a re-import updates the same report.
func TestImportMISPDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { importMISPDeleted(t, st) })
}

func importMISPDeleted(t *testing.T, st *store.Store) {
	ctx := context.Background()
	h, cs := withOrgs(t, st, "cert-a")
	first, err := h.ImportMISP(ctx, cs["cert-a"], mispEventWith("3", false), hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.ImportMISP(ctx, cs["cert-a"], mispEventWith("3", true), hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := second.Events[0]
	if e.Status != hub.Updated || e.Attributes.Deleted != 1 || e.Attributes.Revoked != 1 || e.Report != first.Events[0].Report {
		t.Fatalf("second import: %+v", e)
	}
	r, err := h.GetReport(ctx, cs["cert-a"], e.Report)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Records) != 1 || r.Version != 2 {
		t.Fatalf("report after the delete: records %v version %d", r.Records, r.Version)
	}
	page, err := h.ListRecords(ctx, cs["cert-a"], hub.RecordFilter{IncludeRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range page.Items {
		if rec.Value == "login-bank.example.net" && rec.Revoked == nil {
			t.Errorf("the deleted attribute's record is active")
		}
	}
}

// benchFeed is a MISP feed of events × perEvent attributes as MISP
// writes them: four in five indicators (ip-dst, domain, url, sha256, md5,
// to_ids true), one in five context (text, filename, or an indicator type
// with to_ids false), each event tlp:green with distribution 3.
func benchFeed(events, perEvent int) []byte {
	var b strings.Builder
	b.WriteString("[")
	n := 0
	for e := range events {
		if e > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"Event":{"uuid":"%08x-0000-4000-8000-000000000000","info":"bench event %d","date":"2026-11-01","threat_level_id":"2","analysis":"2","distribution":"3","timestamp":"1764000000","Orgc":{"name":"CIRCL","uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"},"Tag":[{"name":"tlp:green"},{"name":"osint:source-type=\"blog-post\""}],"Attribute":[`, e, e)
		for a := range perEvent {
			if a > 0 {
				b.WriteString(",")
			}
			n++
			typ, val, ids := "ip-dst", fmt.Sprintf("11.%d.%d.%d", n>>16, (n>>8)&255, n&255), true
			switch a % 10 {
			case 1:
				typ, val = "domain", fmt.Sprintf("c2-%d.bench.example.net", n)
			case 2:
				typ, val = "url", fmt.Sprintf("http://dl-%d.bench.example.org/payload.bin", n)
			case 3:
				typ, val = "sha256", fmt.Sprintf("%064x", n)
			case 4, 6, 7:
				typ, val = "md5", fmt.Sprintf("%032x", n)
			case 5:
				typ, val, ids = "text", fmt.Sprintf("seen in campaign %d", n), false
			case 8:
				typ, val, ids = "filename", fmt.Sprintf("invoice-%d.pdf.exe", n), false
			}
			fmt.Fprintf(&b, `{"uuid":"%08x-%04x-4000-8000-000000000001","type":"%s","category":"Network activity","value":"%s","to_ids":%t,"distribution":"5","timestamp":"1764000000","comment":""}`, e, a, typ, val, ids)
		}
		b.WriteString("]}}")
	}
	b.WriteString("]")
	return []byte(b.String())
}

// BenchmarkImportMISP imports a feed of 100,000 attributes (1,000 events of
// 100) into a fresh hub on SQLite: parse, records through CreateRecords,
// one report per event.
func BenchmarkImportMISP(b *testing.B) {
	const events, per = 1000, 100
	data := benchFeed(events, per)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		h, cs := withOrgs(b, storetest.SQLite(b), "org-a")
		b.StartTimer()
		res, err := h.ImportMISP(ctx, cs["org-a"], data, hub.MISPOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Totals.Created != events || res.Totals.Attributes.Total != events*per || res.Totals.Attributes.Refused != 0 {
			b.Fatalf("%+v", res.Totals)
		}
	}
	b.ReportMetric(float64(b.N*events*per)/b.Elapsed().Seconds(), "attributes/s")
}

// BenchmarkImportMISPRecordsOnly submits the record inputs the feed of
// BenchmarkImportMISP gives straight to CreateRecords: the floor, in the
// same run (attributes/s counts all 100,000 attributes, as above).
func BenchmarkImportMISPRecordsOnly(b *testing.B) {
	const events, per = 1000, 100
	parsed, err := misp.ParseEvents(benchFeed(events, per))
	if err != nil {
		b.Fatal(err)
	}
	var ins []intel.RecordInput
	for _, e := range parsed {
		for _, a := range e.Attributes {
			if a.Record != nil {
				ins = append(ins, *a.Record)
			}
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		h, cs := withOrgs(b, storetest.SQLite(b), "org-a")
		b.StartTimer()
		for start := 0; start < len(ins); start += hub.MaxBatch {
			if _, err := h.CreateRecords(ctx, cs["org-a"], ins[start:min(len(ins), start+hub.MaxBatch)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*events*per)/b.Elapsed().Seconds(), "attributes/s")
}

// TestImportMISPSightings: the real sighting fixture's sightings become a
// sighting row (type 0), false-positive feedback (type 1) and the
// record's valid_until (type 2), and a re-import adds none of them again.
func TestImportMISPSightings(t *testing.T) {
	ctx := context.Background()
	h, cs := withOrgs(t, storetest.SQLite(t), "cert-a")
	data, err := os.ReadFile(mispDir + "/events/pymisp-sighting_1.json")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := h.ImportMISP(ctx, cs["cert-a"], data, hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := imp.Events[0]
	if e.Attributes.Sightings != 6 || e.Attributes.Refused != 0 {
		t.Fatalf("sightings taken: %+v", e.Attributes)
	}
	fb, err := h.Feedback(ctx, cs["cert-a"], 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if fb.Totals["false-positive"] != 3 || !strings.Contains(fb.Records[0].By[0].Note, "MISP sighting (false positive) by ORGNAME") {
		t.Errorf("false positives as feedback: %+v", fb)
	}
	own, err := h.OwnSightings(ctx, cs["cert-a"], 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(own.Items) != 2 || own.Items[0].Count != 1 || own.Items[0].Last.Year() != 2019 {
		t.Errorf("seen as sightings: %+v", own)
	}
	expired := 0
	recs, err := h.ListRecords(ctx, cs["cert-a"], hub.RecordFilter{IncludeRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs.Items {
		if r.ValidUntil != nil && r.ValidUntil.Year() == 2019 {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d records expired by an expiration sighting, want 1", expired)
	}
	again, err := h.ImportMISP(ctx, cs["cert-a"], data, hub.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Events[0].Status != hub.Unchanged {
		t.Errorf("re-import: %+v", again.Events[0])
	}
	fb2, _ := h.Feedback(ctx, cs["cert-a"], 100, "")
	own2, _ := h.OwnSightings(ctx, cs["cert-a"], 100, "")
	if len(fb2.Records) != len(fb.Records) || len(own2.Items) != len(own.Items) {
		t.Errorf("re-import added sightings or feedback: %+v %+v", fb2, own2)
	}
}

// TestMISPRoundTripFixtures: every real MISP event, imported and exported
// again by the hub, keeps its uuid, and each attribute its uuid, value,
// to_ids, tags and TLP; types come back as docs/misp.md's export table
// normalizes them (ip-src → ip-dst, hostname → domain, ...).
func TestMISPRoundTripFixtures(t *testing.T) {
	ctx := context.Background()
	for _, path := range mispFixtures(t) {
		name := strings.TrimPrefix(path, mispDir+"/")
		t.Run(name, func(t *testing.T) {
			h, cs := withOrgs(t, storetest.SQLite(t), "cert-a")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			in, err := misp.ParseEvents(data)
			if err != nil {
				t.Fatal(err)
			}
			imp, err := h.ImportMISP(ctx, cs["cert-a"], data, hub.MISPOptions{Community: ""})
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range imp.Events {
				if e.Report == "" {
					continue
				}
				out, err := h.MISPEvent(ctx, cs["cert-a"], e.UUID)
				if err != nil {
					t.Fatal(err)
				}
				back, err := misp.ParseEvents(out)
				if err != nil || len(back) != 1 {
					t.Fatalf("the export does not read back: %v", err)
				}
				want, got := in[i], back[0]
				if got.UUID != e.UUID || got.Info != want.Info {
					t.Errorf("event %s %q came back as %s %q", e.UUID, want.Info, got.UUID, got.Info)
				}
				byUUID := map[string]misp.Attribute{}
				for _, a := range got.Attributes {
					byUUID[a.UUID] = a
				}
				for _, a := range want.Attributes {
					if a.Deleted || a.UUID == "" {
						continue
					}
					b, ok := byUUID[a.UUID]
					if !ok {
						t.Errorf("attribute %s (%s %q) did not come back", a.UUID, a.Type, a.Value)
						continue
					}
					if b.ToIDs != a.ToIDs || b.TLP != a.TLP {
						t.Errorf("attribute %s: to_ids %v tlp %s came back as %v %s", a.UUID, a.ToIDs, a.TLP, b.ToIDs, b.TLP)
					}
					if a.Record == nil && (b.Value != a.Value || b.Type != a.Type || !slices.Equal(b.Tags, a.Tags)) {
						t.Errorf("context attribute %s: %s %q %v came back as %s %q %v", a.UUID, a.Type, a.Value, a.Tags, b.Type, b.Value, b.Tags)
					}
					if a.Record != nil && (b.Record == nil || b.Record.Value != a.Record.Value && !strings.EqualFold(b.Record.Value, a.Record.Value)) {
						t.Errorf("attribute %s: record %+v came back as %+v", a.UUID, a.Record, b.Record)
					}
					if a.Record != nil {
						for _, tag := range a.Record.Tags {
							if !slices.Contains(b.Record.Tags, tag) {
								t.Errorf("attribute %s: tag %s lost (%v)", a.UUID, tag, b.Record.Tags)
							}
						}
					}
				}
			}
		})
	}
}

// TestFusionMISPFusion: every demo report, exported as a MISP event by its
// originator and imported back by it, gives back the same records: each
// is unchanged (same value, TLP, audience, handling, labels, tags, ...).
func TestFusionMISPFusion(t *testing.T) {
	ctx := context.Background()
	h, _, cs := demoHub(t)
	var reports []intel.Report
	for _, c := range cs {
		page, err := h.ListReports(ctx, c, hub.ReportFilter{Originator: c.Org})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, page.Items...)
	}
	if len(reports) == 0 {
		t.Fatal("the demo has no reports")
	}
	for _, rep := range reports {
		c := cs[rep.Originator]
		data, err := h.MISPEvent(ctx, c, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		imp, err := h.ImportMISP(ctx, c, data, hub.MISPOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a := imp.Totals.Attributes
		if a.Created+a.Updated+a.Refused != 0 || a.Unchanged != len(rep.Records) {
			t.Errorf("report %s (%d records) back from MISP: %+v %+v", rep.ID, len(rep.Records), a, imp.Events[0].Refused)
		}
	}
}

// feedBench is a hub where org-a made 100 reports of 100 green records
// each (10,000 records), imported from a MISP feed, and org-b reads them.
func feedBench(b *testing.B) (*hub.Hub, *policy.Caller) {
	b.Helper()
	h, cs := withOrgs(b, storetest.SQLite(b), "org-a", "org-b")
	res, err := h.ImportMISP(context.Background(), cs["org-a"], benchFeed(100, 100), hub.MISPOptions{})
	if err != nil || res.Totals.Created != 100 {
		b.Fatalf("%v %+v", err, res.Totals)
	}
	return h, cs["org-b"]
}

// BenchmarkMISPFeed serves org-b the whole MISP feed of feedBench's hub:
// manifest.json, every event and hashes.csv (which builds every event
// again), as a MISP instance pulling it reads them; disclosures logged.
func BenchmarkMISPFeed(b *testing.B) {
	h, c := feedBench(b)
	ctx := context.Background()
	attrs := 0
	b.ResetTimer()
	for range b.N {
		manifest, err := h.MISPManifest(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		entries, err := misp.ParseManifest(manifest)
		if err != nil || len(entries) != 100 {
			b.Fatalf("%v: %d entries", err, len(entries))
		}
		for _, e := range entries {
			data, err := h.MISPEvent(ctx, c, e.UUID)
			if err != nil {
				b.Fatal(err)
			}
			attrs += strings.Count(string(data), `"to_ids"`)
		}
		if _, err := h.MISPHashes(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(attrs)/b.Elapsed().Seconds(), "attributes/s")
}

// BenchmarkMISPFeedSTIXBaseline exports the same records to org-b as STIX
// (hub.ExportSTIX, every page): the baseline for the feed in one run.
func BenchmarkMISPFeedSTIXBaseline(b *testing.B) {
	h, c := feedBench(b)
	ctx := context.Background()
	n := 0
	b.ResetTimer()
	for range b.N {
		f := hub.RecordFilter{}
		for {
			exp, err := h.ExportSTIX(ctx, c, f)
			if err != nil {
				b.Fatal(err)
			}
			n += len(exp.Bundle.Objects)
			if exp.Next == "" {
				break
			}
			f.Cursor = exp.Next
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
