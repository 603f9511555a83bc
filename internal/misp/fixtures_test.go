package misp

import (
	"os"
	"path/filepath"
	"testing"
)

const fixtures = "../../../shared/fixtures/misp"

// counts is what each real file yields: events, attributes taken as
// records, attributes with a reason (not records), other refusals
// (Skipped), and list items that are not events.
type counts struct{ events, records, reasons, skipped, refused int }

func tally(evs []Event) counts {
	c := counts{events: len(evs)}
	for _, e := range evs {
		if e.Refused != "" {
			c.refused++
		}
		c.skipped += len(e.Skipped)
		for _, a := range e.Attributes {
			if a.Record != nil {
				c.records++
			} else {
				c.reasons++
			}
		}
	}
	return c
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if os.IsNotExist(err) {
		t.Skipf("../shared fixtures absent (%v); CI always has them", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFixtureCounts(t *testing.T) {
	for name, want := range map[string]counts{
		"events/pymisp-attribute_del.json":                                     {events: 1, reasons: 1},
		"events/pymisp-circl-osint-57c4445b.json":                              {events: 1, records: 3, reasons: 6},
		"events/pymisp-existing_event.json":                                    {events: 1, records: 68, reasons: 54},
		"events/pymisp-japanese_test.json":                                     {events: 1, reasons: 1, skipped: 1},
		"events/pymisp-malware_exist-restsearch-response.json":                 {events: 1, records: 3, reasons: 3},
		"events/pymisp-search_index_result.json":                               {events: 1},
		"events/pymisp-sharing_groups.json":                                    {events: 2, refused: 2},
		"events/pymisp-sighting_1.json":                                        {events: 1, records: 5},
		"feeds/circl-misp-test-feed/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json": {events: 1, reasons: 1},
	} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			evs, err := ParseEvents(fixture(t, name))
			if err != nil {
				t.Fatalf("ParseEvents: %v", err)
			}
			checkInvariants(t, evs)
			if got := tally(evs); got != want {
				for _, e := range evs {
					t.Logf("event %s %q tlp=%s tags=%q refused=%q", e.UUID, e.Info, e.TLP, e.Tags, e.Refused)
					for _, s := range e.Skipped {
						t.Logf("  skipped %s: %s", s.Where, s.Reason)
					}
					for _, a := range e.Attributes {
						if a.Record != nil {
							t.Logf("  record %s %s -> %s %q tlp=%s", a.Type, clip(a.Value), a.Record.Type, clip(a.Record.Value), a.Record.TLP)
						} else {
							t.Logf("  reason %s %q: %s", a.Type, clip(a.Value), a.Reason)
						}
					}
				}
				t.Errorf("counts = %+v, want %+v", got, want)
			}
		})
	}
}

// checkInvariants holds for every parse: each attribute has exactly one of
// a record and a reason, and every record carries a TLP.
func checkInvariants(t testing.TB, evs []Event) {
	t.Helper()
	for i, e := range evs {
		for j, a := range e.Attributes {
			if (a.Record == nil) == (a.Reason == "") {
				t.Fatalf("event %d attribute %d: record %v and reason %q: want exactly one", i, j, a.Record, a.Reason)
			}
			if a.Record != nil && a.Record.TLP == "" {
				t.Fatalf("event %d attribute %d: record without TLP", i, j)
			}
		}
	}
}
