package match

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/intelgen"
)

// entrySet lists what a lookup of every indexed value finds, in full:
// value, id, type, labels, originator, TLP, audience, flags.
func entrySet(t *testing.T, ix *Index, values []observable.Observable) []string {
	t.Helper()
	var out []string
	for _, o := range values {
		ix.Lookup(o, func(e Entry) bool {
			s := e.Shared()
			out = append(out, fmt.Sprintf("%s %s %s %s %v %s %s %v %v %v %v", o.Value, e.ID(), e.Type(), e.Value(), e.Labels(),
				s.Originator, s.TLP, s.Audience, s.Personal, e.Discoverable(), e.e.flags&flagSubdomains != 0))
			return true
		})
	}
	slices.Sort(out)
	return out
}

// TestSlimLoaderMatchesFullRecords loads an intel scenario's records with
// LoadJSONL (which decodes only what matching uses) and, record by record,
// through intel.NewRecord and Put (the whole record, as before): every
// value must find the same entries with the same facts.
func TestSlimLoaderMatchesFullRecords(t *testing.T) {
	dir := t.TempDir()
	params := scenario.Params{Kind: "intel", Seed: 3, Count: 3000, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	if err := scenario.Generate(context.Background(), params, dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Some lines as a hub exports them, with an id; one defanged.
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lines = append(lines,
		`{"id":"01a22c3a-1459-7673-89f6-c644c97970bc","type":"ipv4","value":"198.51.100.7","labels":["Botnet-C2 "],"tlp":"TLP:RED","discoverable":true}`,
		`{"value":"hxxps://kit[.]example[.]org/a","tlp":"green","subdomains":false,"personal":true}`,
		`{"type":"domain","value":"Example.ORG","tlp":"amber","subdomains":true,"labels":["phishing","phishing"]}`)
	canon := testCanon(t)

	slim := New(0)
	f, err := os.CreateTemp(t.TempDir(), "records")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(lines, "\n"))
	f.Seek(0, io.SeekStart)
	if n, err := LoadJSONL(f, canon, slim, nil); err != nil || n != len(lines) {
		t.Fatalf("LoadJSONL = %d, %v; want %d lines", n, err, len(lines))
	}
	f.Close()

	full := New(0)
	var values []observable.Observable
	for i, line := range lines {
		var in struct {
			intel.RecordInput
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.Fatal(err)
		}
		r, err := intel.NewRecord(canon, in.RecordInput)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		r.ID = in.ID
		if r.ID == "" {
			r.ID = uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "line %d", i+1)).String()
		}
		r.Originator, r.Version = LocalOrg, 1
		if err := full.Put(&r); err != nil {
			t.Fatal(err)
		}
		values = append(values, observable.Observable{Type: r.Type, Value: r.Value})
	}
	if slim.Len() != full.Len() {
		t.Fatalf("slim loader indexed %d records, full records %d", slim.Len(), full.Len())
	}
	got, want := entrySet(t, slim, values), entrySet(t, full, values)
	if len(want) < len(lines) {
		t.Fatalf("only %d entries found for %d records", len(want), len(lines))
	}
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("entry %d:\nslim %s\nfull %s", i, got[i], want[i])
			}
		}
		t.Fatalf("slim loader: %d entries, full records: %d", len(got), len(want))
	}
}

// TestStoredRecordDecode: the feed's slim decoding of a stored record's
// body gives the item that Put makes of the whole record.
func TestStoredRecordDecode(t *testing.T) {
	now := time.Now().UTC()
	ix := New(4)
	for i, r := range []*intel.Record{
		rec(observable.Domain, "c2.example.com", func(r *intel.Record) {
			r.Subdomains, r.Discoverable, r.TLP = true, true, intel.AmberStrict
			r.Audience = intel.Audience{Orgs: []string{"org-b", "org-c"}, Groups: []string{"grp-1"}}
			r.Description, r.Version = "described", 7
		}),
		rec(observable.CIDR, "192.0.2.0/24", func(r *intel.Record) { r.Personal, r.Labels = true, []string{"scanning", "ddos"} }),
		rec(observable.URL, "http://kit.example.org/", func(r *intel.Record) { r.Revoked, r.Version = &now, 3 }),
		rec(observable.Email, "mule@example.net", func(r *intel.Record) { r.TLP = intel.Red }),
	} {
		body, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var s storedRecord
		got, err := s.decode(ix, body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ix.itemOf(r)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("record %d: decoded\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

// TestMatcherMisses: a Matcher remembers values that found nothing, and
// forgets them as soon as the index changes; records the caller may not
// see stay unmatched whether or not a value is remembered.
func TestMatcherMisses(t *testing.T) {
	ix := New(16)
	m := &Matcher{Observer: Observer{Index: ix, Canon: testCanon(t)}, Caller: &policy.Caller{Org: "org-b"}}
	event := func(vals ...string) int {
		n := 0
		for range 3 { // the same event again, remembered the second time
			found := m.Event(func(emit func(Observation)) {
				for _, v := range vals {
					emit(Observation{Field: "id.resp_h", Kind: KindIP, Value: v})
				}
			})
			n = len(found)
		}
		return n
	}
	// Enough distinct values that the Matcher starts remembering.
	for i := range missesAfter + 10 {
		event(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if m.misses == nil {
		t.Fatal("the Matcher does not remember misses after many observations")
	}
	if n := event("192.0.2.1", "198.51.100.9"); n != 0 {
		t.Fatalf("%d findings in an empty index", n)
	}
	ix.Put(rec(observable.IPv4, "192.0.2.1"))
	if n := event("192.0.2.1", "198.51.100.9"); n != 1 {
		t.Fatalf("a value remembered as a miss before its record was put: %d findings, want 1", n)
	}
	ix.Put(rec(observable.IPv4, "198.51.100.9", func(r *intel.Record) { r.TLP, r.Audience = intel.Amber, intel.Audience{Orgs: []string{"org-c"}} }))
	if n := event("192.0.2.1", "198.51.100.9"); n != 1 {
		t.Fatalf("a record outside the caller's audience matched: %d findings, want 1", n)
	}
	if allocs := testing.AllocsPerRun(100, func() { event("10.0.0.1", "10.0.0.2") }); allocs != 0 {
		t.Errorf("%v allocations per event that matches nothing", allocs)
	}
}
