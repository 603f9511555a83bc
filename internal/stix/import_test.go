package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
)

// TestImportExamples imports every OASIS example bundle: each object is
// taken, used or skipped with a reason, none fails the call, and the
// outcome per object matches testdata/examples-import.golden (-update
// rewrites it).
func TestImportExamples(t *testing.T) {
	if _, err := os.Stat(examplesDir); err != nil {
		t.Skipf("STIX example bundles not found at %s: %v", examplesDir, err)
	}
	var golden strings.Builder
	counts := map[string]int{}
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(examplesDir, path)
		objs, err := ImportBundle(data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		var n struct {
			Type    string
			Objects []json.RawMessage
		}
		if err := json.Unmarshal(data, &n); err == nil && n.Type != "bundle" {
			n.Objects = []json.RawMessage{data} // a lone object
		}
		if err := json.Unmarshal(data, &n); err != nil || len(n.Objects) != len(objs) {
			t.Errorf("%s: %d outcomes for %d objects (%v)", rel, len(objs), len(n.Objects), err)
		}
		fmt.Fprintf(&golden, "%s\n", filepath.ToSlash(rel))
		for _, o := range objs {
			counts[o.Status]++
			switch o.Status {
			case ObjectSkipped:
				if o.Reason == "" {
					t.Errorf("%s %s: skipped without a reason", rel, o.ID)
				}
				fmt.Fprintf(&golden, "\t%s skipped: %s\n", o.ID, o.Reason)
			case ObjectUsed:
				fmt.Fprintf(&golden, "\t%s used\n", o.ID)
			case ObjectTaken:
				fmt.Fprintf(&golden, "\t%s taken\n", o.ID)
				for _, r := range o.Records {
					fmt.Fprintf(&golden, "\t\trecord %s %s tlp=%s labels=%v tags=%v ref=%s\n", r.Type, r.Value, r.TLP, r.Labels, r.Tags, r.Reference)
				}
				if r := o.Report; r != nil {
					fmt.Fprintf(&golden, "\t\treport %q tlp=%s refs=%v others=%d\n", r.Input.Title, r.Input.TLP, r.Refs, len(r.Others))
				}
			default:
				t.Errorf("%s %s: status %q", rel, o.ID, o.Status)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outcomes: %v", counts)
	if counts[ObjectTaken] == 0 || counts[ObjectSkipped] == 0 || counts[ObjectUsed] == 0 {
		t.Errorf("outcomes %v: expected some of each", counts)
	}
	compareGolden(t, "testdata/examples-import.golden", golden.String())
}

func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s", file, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d", file, len(gl), len(wl))
	}
}

// TestImportRoundTrip exports records of every type, TLP and handling,
// reports and organizations, imports the bundle, and checks that each
// record input makes the same record (value, labels, tags and every
// sharing condition) and the report the same report.
func TestImportRoundTrip(t *testing.T) {
	recs, reps := demoRecords(t), demoReports(demoRecords(t))
	b, _ := NewBundle(ExportInput{Records: recs, Reports: reps, Orgs: demoOrgs()})
	data := mustJSON(t, b)
	objs, err := ImportBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ImportedObject{}
	for _, o := range objs {
		byID[o.ID] = o
		if o.Type == "relationship" && o.Status != ObjectSkipped || o.Type == "identity" && o.Status != ObjectUsed {
			t.Errorf("%s: %s %s", o.ID, o.Status, o.Reason)
		}
		if slices.Contains(scoTypes, o.Type) && (o.Status != ObjectSkipped || !strings.Contains(o.Reason, "based-on")) {
			t.Errorf("observable %s: %s %s, want skipped as its indicator's value", o.ID, o.Status, o.Reason)
		}
	}
	c := canon(t)
	for _, want := range recs {
		o, ok := byID[IndicatorID(want.ID)]
		if !ok {
			t.Fatalf("record %s: no indicator imported", want.ID)
		}
		if want.Revoked != nil {
			if o.Status != ObjectSkipped || !strings.Contains(o.Reason, "revoked") {
				t.Errorf("revoked record %s: %s %s", want.ID, o.Status, o.Reason)
			}
			continue
		}
		if o.Status != ObjectTaken || len(o.Records) != 1 {
			t.Fatalf("record %s: %s %s, %d records", want.ID, o.Status, o.Reason, len(o.Records))
		}
		got, err := intel.NewRecord(c, o.Records[0])
		if err != nil {
			t.Fatalf("record %s: input %+v: %v", want.ID, o.Records[0], err)
		}
		wantRef := want.Reference
		if wantRef == "" {
			wantRef = "stix:" + IdentityID(want.Originator)
		}
		if o.Source != IdentityID(want.Originator) {
			t.Errorf("record %s: source %s", want.ID, o.Source)
		}
		type shape struct {
			Type, Value, Description, Reference string
			Labels, Tags                        []string
			Confidence                          int
			TLP                                 intel.TLP
			Audience                            intel.Audience
			Handling                            intel.Handling
			Evaluation                          intel.Evaluation
			Discoverable, Personal, Subdomains  bool
			LastSeen, ValidUntil                string
		}
		ts := func(p interface{ String() string }) string {
			if p == nil {
				return ""
			}
			return p.String()
		}
		sh := func(r intel.Record, ref string) string {
			s := shape{Type: string(r.Type), Value: r.Value, Description: r.Description, Reference: ref, Labels: r.Labels, Tags: r.Tags,
				Confidence: r.Confidence, TLP: r.TLP, Audience: r.Audience, Handling: r.Handling, Evaluation: r.Evaluation,
				Discoverable: r.Discoverable, Personal: r.Personal, Subdomains: r.Subdomains}
			if r.LastSeen != nil {
				s.LastSeen = ts(r.LastSeen.UTC())
			}
			if r.ValidUntil != nil {
				s.ValidUntil = ts(r.ValidUntil.UTC())
			}
			return fmt.Sprintf("%+v", s)
		}
		if g, w := sh(got, got.Reference), sh(want, wantRef); g != w {
			t.Errorf("record %s round trip:\n got %s\nwant %s", want.ID, g, w)
		}
	}
	o := byID[ReportID(reps[0].ID)]
	if o.Status != ObjectTaken || o.Report == nil {
		t.Fatalf("report: %s %s", o.Status, o.Reason)
	}
	rep, err := intel.NewReport(o.Report.Input)
	if err != nil {
		t.Fatal(err)
	}
	w := reps[0]
	if rep.Title != w.Title || rep.Description != w.Description || rep.TLP != w.TLP || fmt.Sprint(rep.Handling) != fmt.Sprint(w.Handling) ||
		!slices.Equal(rep.Labels, w.Labels) || !slices.Equal(rep.Tags, w.Tags) {
		t.Errorf("report round trip: got %+v\nwant %+v", rep, w)
	}
	wantRefs := []string{IndicatorID(recs[4].ID), IndicatorID(recs[6].ID)}
	if !slices.Equal(o.Report.Refs, wantRefs) || !slices.Equal(o.Report.Others, []string{IndicatorID(recs[2].ID)}) {
		t.Errorf("report refs %v others %v, want %v and the revoked record's", o.Report.Refs, o.Report.Others, wantRefs)
	}
}

// TestImportRules covers TLP markings, defaults, labels and tags, and
// malformed objects, on hand-written bundles.
func TestImportRules(t *testing.T) {
	const tlp1Red, tlp1White = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	bundle := `{"type":"bundle","id":"bundle--1","objects":[
{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2']","object_marking_refs":["` + tlp1White + `","` + tlp1Red + `"],"labels":["Phishing","APT 28"],"indicator_types":["malicious-activity"],"confidence":70,"valid_until":"2027-01-01T00:00:00Z","created_by_ref":"identity--9"},
{"type":"indicator","id":"indicator--2","pattern_type":"sigma","pattern":"x"},
{"type":"indicator","id":"indicator--3","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4'] AND [url:value = 'x']"},
{"type":"indicator","id":"indicator--4","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":"high"},
{"type":"url","id":"url--1","value":"http://a.example/"},
{"type":"file","id":"file--1","hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e","SHA-256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
{"type":"autonomous-system","id":"autonomous-system--1","number":-3},
{"type":"malware","id":"malware--1"},
{"id":"x--1"},
[1,2],
{"type":"marking-definition","id":"marking-definition--7","definition_type":"tlp","definition":{"tlp":"green"}},
{"type":"domain-name","id":"domain-name--1","value":"a.example","object_marking_refs":["marking-definition--7"]}
]}`
	objs, err := ImportBundle([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"taken [ipv4 198.51.100.1 red [phishing] [APT 28 malicious-activity] 70 stix:identity--9] [ipv4 198.51.100.2 red]",
		`skipped: pattern_type "sigma": only STIX patterns are read`,
		"skipped: pattern",
		`skipped: confidence "string": not a int`,
		"taken [url http://a.example/ amber",
		"taken [sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 amber",
		`skipped: number "-3": an autonomous system number is 1 to 4294967295`,
		"skipped: type malware is not taken as a record",
		`skipped: type "<nil>": required`,
		"skipped: not a JSON object",
		"used",
		"taken [domain a.example green",
	}
	if len(objs) != len(want) {
		t.Fatalf("%d outcomes, want %d", len(objs), len(want))
	}
	for i, o := range objs {
		s := o.Status
		if o.Reason != "" {
			s += ": " + o.Reason
		}
		for j, r := range o.Records {
			s += " "
			s += fmt.Sprintf("[%s %s %s", r.Type, r.Value, r.TLP)
			if i == 0 && j == 0 {
				s += fmt.Sprintf(" %v %v %d %s", r.Labels, r.Tags, *r.Confidence, r.Reference)
			}
			s += "]"
		}
		w := strings.TrimSuffix(want[i], "]")
		if !strings.HasPrefix(s, w) {
			t.Errorf("object %d (%s): %s\nwant prefix %s", i, o.ID, s, w)
		}
	}
	if v := objs[0].Records[0].ValidUntil; v == nil || v.Year() != 2027 {
		t.Errorf("valid_until %v", v)
	}
}

func TestImportRefusesNonBundles(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"type":"indicator"}`, `{"type":"bundle","objects":{}}`, `{"type":"bundle"} {}`, `nul`} {
		_, err := ImportBundle([]byte(body))
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Errorf("%q: %v, want an ImportError", body, err)
		}
	}
	big := `{"type":"bundle","objects":[` + strings.Repeat(`{},`, MaxImportObjects) + `{}]}`
	if _, err := ImportBundle([]byte(big)); err == nil || !strings.Contains(err.Error(), "more than the 100000") {
		t.Errorf("too many objects: %v", err)
	}
	if _, err := ImportBundle(make([]byte, MaxImportBytes+1)); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("too large: %v", err)
	}
	many := `{"type":"bundle","objects":[{"type":"url","id":"url--1","value":"http://a.example/","labels":[` +
		strings.Repeat(`"x",`, maxImportLabels) + `"y"]}]}`
	if objs, err := ImportBundle([]byte(many)); err != nil || len(objs) != 1 || !strings.Contains(objs[0].Reason, "more than the 256") {
		t.Errorf("too many labels: %+v %v", objs, err)
	}
	objs, err := ImportBundle([]byte(`{"type":"bundle","id":"bundle--1"}`))
	if err != nil || len(objs) != 0 {
		t.Errorf("empty bundle: %v %v", objs, err)
	}
}

// FuzzImportBundle feeds ImportBundle arbitrary bodies: it never panics,
// fails only with an *ImportError, gives one outcome per object, every
// skip has a reason, and a sighting or note taken is one of an indicator
// within the bounds the import promises.
func FuzzImportBundle(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[url:value = 'x']"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"report","id":"report--1","name":"r","object_refs":["indicator--1"]},{"type":"file","id":"file--1","hashes":{"md5":"x"}}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"identity","id":"identity--1","extensions":{"` + FusionExtensionID + `":{"fusion_id":"o"}}}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"sighting","id":"sighting--1","sighting_of_ref":"indicator--1","count":3,` +
		`"first_seen":"2026-01-01T00:00:00Z","last_seen":"2026-01-02T00:00:00Z","where_sighted_refs":["identity--1","location--2"]},` +
		`{"type":"identity","id":"identity--1","extensions":{"` + FusionExtensionID + `":{"fusion_id":"o"}}}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"note","id":"note--1","abstract":"seen","content":"seen\n\nat the edge","authors":["o"],` +
		`"created":"2026-01-01T00:00:00Z","object_refs":["indicator--1","malware--2"]}]}`))
	if entries, err := os.ReadDir(examplesDir); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(examplesDir, e.Name())); err == nil && strings.HasSuffix(e.Name(), ".json") {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"TYPE":"bundle","objects":null,"objects":[1,"x",{"type":"url","id":"url--1","value":"http://a.example/"}],"x":[{"]":"}"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"a":[}]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ImportBundle(data)
		// The envelope is split by hand: it must take exactly the bodies
		// encoding/json takes as a bundle, with as many objects.
		var ref struct {
			Type    string
			Objects []json.RawMessage
		}
		refErr := json.Unmarshal(data, &ref)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("%v is not an ImportError", err)
			}
			if refErr == nil && ref.Type == "bundle" && len(ref.Objects) <= MaxImportObjects && len(data) <= MaxImportBytes {
				t.Fatalf("refused a bundle encoding/json reads: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("took a body that is not JSON: %d objects", len(objs))
		}
		if refErr == nil && ref.Type == "bundle" && len(objs) != len(ref.Objects) {
			t.Fatalf("%d outcomes for %d objects", len(objs), len(ref.Objects))
		}
		for _, o := range objs {
			switch {
			case o.Status == ObjectSkipped && o.Reason == "":
				t.Fatalf("%s skipped without a reason", o.ID)
			case o.Status == ObjectTaken && len(o.Records) == 0 && o.Report == nil && o.Sighting == nil && o.Note == nil:
				t.Fatalf("%s taken with nothing", o.ID)
			case o.Status != ObjectTaken && (o.Records != nil || o.Report != nil || o.Sighting != nil || o.Note != nil):
				t.Fatalf("%s %s with something taken", o.ID, o.Status)
			case o.Status != ObjectSkipped && o.Status != ObjectTaken && o.Status != ObjectUsed:
				t.Fatalf("%s: status %q", o.ID, o.Status)
			}
			if s := o.Sighting; s != nil {
				switch {
				case o.Type != "sighting" || !strings.HasPrefix(s.Indicator, "indicator--"):
					t.Fatalf("%s %s: sighting of %q", o.Type, o.ID, s.Indicator)
				case s.Count != nil && (*s.Count < 0 || *s.Count > MaxSightingCount):
					t.Fatalf("%s: count %d", o.ID, *s.Count)
				case s.FirstSeen != nil && s.LastSeen != nil && s.LastSeen.Before(*s.FirstSeen):
					t.Fatalf("%s: last_seen %v before first_seen %v", o.ID, s.LastSeen, s.FirstSeen)
				case len(s.Observers) > len(s.WhereSighted):
					t.Fatalf("%s: observers %v beyond where_sighted %v", o.ID, s.Observers, s.WhereSighted)
				}
			}
			if n := o.Note; n != nil {
				if o.Type != "note" || len(n.Refs) == 0 || strings.TrimSpace(n.Content) == "" {
					t.Fatalf("%s %s: note %+v", o.Type, o.ID, n)
				}
				for _, r := range n.Refs {
					if !strings.HasPrefix(r, "indicator--") {
						t.Fatalf("%s: note ref %q", o.ID, r)
					}
				}
			}
		}
	})
}

// BenchmarkImportBundle imports a bundle of 10,000 indicators, each with
// its observable and based-on relationship as fusion's export writes them.
func BenchmarkImportBundle(b *testing.B) {
	var recs []intel.Record
	for i := range 10000 {
		recs = append(recs, intel.Record{ID: fmt.Sprintf("r%d", i), Type: "ipv4", Value: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255),
			TLP: intel.Green, Labels: []string{"scanning"}, Originator: "org", Version: 1, Created: t0, Updated: t1})
	}
	bundle, _ := NewBundle(ExportInput{Records: recs})
	data, err := json.Marshal(bundle)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ImportBundle(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "indicators/s")
}
