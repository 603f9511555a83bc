package misp

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
)

// FuzzParseEvents: the parser never panics, and every attribute it
// returns has exactly one of a record and a reason.
func FuzzParseEvents(f *testing.F) {
	for _, s := range []string{
		`{"Event":{"info":"x","Tag":[{"name":"tlp:green"}],"Attribute":[{"type":"ip-dst|port","value":"192.0.2.1|80","to_ids":"1"}]}}`,
		`{"response":[{"Event":{"Object":[{"name":"file","Attribute":[{"type":"filename|md5","value":"a|0749bae92ca336a02c83d126e04ec628"}]}]}}]}`,
		`[{"uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866","SharingGroup":[],"distribution":4,"EventTag":[{"Tag":{"name":"TLP:AMBER"}}]}]`,
		`{"info":"x","Galaxy":[{"type":"tool","GalaxyCluster":[{"value":"X-Agent"}]}],"Attribute":[{"type":"domain","value":"x.onion","deleted":"0","first_seen":"1465681801"}]}`,
		`[1,"a",null,{}]`,
		`{"Event":{"timestamp":1551253950,"Tag":[{"name":"fusion:handling=\"H2\""},{"name":"fusion:audience-org=\"bank-1\""},{"name":"PAP:RED"}],"Attribute":[{"type":"domain","value":"example.org","to_ids":1,"distribution":"0",
			"Sighting":[{"type":"1","date_sighting":"1551253950","source":"honeyp","Organisation":{"name":"O","uuid":"5c6983c8-3af8-4304-869c-4800d6c1883c"}},{"type":"7"}],
			"Tag":[{"name":"fusion:handling=\"H3\""},{"name":"fusion:audience=\"none\""},{"name":"fusion:label=\"phishing\""},{"name":"fusion:confidence=\"101\""},
			{"name":"admiralty-scale:source-reliability=\"b\""},{"name":"admiralty-scale:information-credibility=\"9\""},{"name":"fusion:subdomains=\"true\""},{"name":"fusion:valid-until=\"2027-01-01T00:00:00Z\""}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join(fixtures, "events", "*.json"))
	feed, _ := filepath.Glob(filepath.Join(fixtures, "feeds", "*", "*.json"))
	for _, name := range append(files, feed...) {
		if b, err := os.ReadFile(name); err == nil && len(b) < 4<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := ParseEvents(data)
		if err != nil {
			if evs != nil {
				t.Fatalf("events %v with error %v", evs, err)
			}
			return
		}
		checkInvariants(t, evs)
		for _, e := range evs {
			if e.Refused == "" && e.TLP == "" {
				t.Fatalf("event without TLP: %+v", e)
			}
			for _, a := range e.Attributes {
				if a.Record != nil && (a.Deleted || !a.ToIDs || a.Record.Value == "") {
					t.Fatalf("record from a deleted, to_ids false or empty attribute: %+v", a)
				}
				checkMapped(t, a)
			}
		}
	})
}

// checkMapped: no mapped tag is left among the tags, and the handling
// given to a record is never H3 without conditions.
func checkMapped(t *testing.T, a Attribute) {
	t.Helper()
	tags := a.Tags
	if a.Record != nil {
		tags = append(slices.Clone(tags), a.Record.Tags...)
		if h := a.Record.Handling; h != nil && h.Has(intel.H3) && h.Conditions == "" {
			t.Fatalf("H3 without conditions: %+v", h)
		}
	}
	for _, tag := range tags {
		pred, _, _ := strings.Cut(tag, "=")
		if strings.HasPrefix(tag, NSFusion+":") || pred == NSAdmiralty+":source-reliability" || pred == NSAdmiralty+":information-credibility" {
			t.Fatalf("mapped tag kept: %q", tag)
		}
	}
}

// FuzzParseManifest: never panics, and what is written parses back to the
// same entries.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		`{"56bf399d-c46c-4fdb-a9cf-d9bb02de0b81":{"Orgc":{"name":"CIRCL","uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"},"Tag":[{"name":"tlp:white","colour":"#ffffff"}],"info":"x","date":"2015-12-18","analysis":2,"threat_level_id":"3","timestamp":"1455373240"}}`,
		`{"x":1,"56bf399d-c46c-4fdb-a9cf-d9bb02de0b81":{"date":"bad"}}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join(fixtures, "feeds", "circl-misp-test-feed", "manifest.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseManifest(data)
		if err != nil {
			return
		}
		var ok []ManifestEntry
		for _, e := range es {
			if e.Refused == "" {
				ok = append(ok, e)
			}
		}
		b, err := WriteManifest(ok)
		if err != nil {
			t.Fatalf("WriteManifest: %v", err)
		}
		back, err := ParseManifest(b)
		if err != nil {
			t.Fatalf("ParseManifest(WriteManifest): %v\n%s", err, b)
		}
		if len(ok) == 0 && len(back) == 0 {
			return
		}
		if !reflect.DeepEqual(back, ok) {
			t.Fatalf("back %+v\nwant %+v", back, ok)
		}
	})
}

// FuzzParseHashes: never panics, and what is written parses back the same.
func FuzzParseHashes(f *testing.F) {
	f.Add([]byte("0749bae92ca336a02c83d126e04ec628,56bf399d-c46c-4fdb-a9cf-d9bb02de0b81\n"))
	f.Add([]byte("\r\n0749BAE92CA336A02C83D126E04EC628 , 56bf399d-c46c-4fdb-a9cf-d9bb02de0b81\r\nx,y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := ParseHashes(data)
		if err != nil {
			return
		}
		b, err := WriteHashes(hs)
		if err != nil {
			t.Fatalf("WriteHashes: %v", err)
		}
		back, err := ParseHashes(b)
		if err != nil || !slices.Equal(back, hs) {
			t.Fatalf("back %+v, %v; want %+v", back, err, hs)
		}
	})
}
