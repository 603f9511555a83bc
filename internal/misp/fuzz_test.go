package misp

import (
	"os"
	"path/filepath"
	"testing"
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
				if a.Record != nil && (a.Deleted || a.Record.Value == "") {
					t.Fatalf("record from deleted or empty attribute: %+v", a)
				}
			}
		}
	})
}
