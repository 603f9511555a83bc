package hub

import (
	"testing"
)

// FuzzTAXIIParams: a TAXII next cursor and match[version] values from a
// client are refused with an error, never a panic, and a cursor the hub
// gave reads back as itself.
func FuzzTAXIIParams(f *testing.F) {
	f.Add(cursor{12, 2, 99}.encode(), "last")
	f.Add("MC4wLjA", "first")
	f.Add("", "2026-11-30T12:00:00.123Z")
	f.Add("%%%", "all,bogus")
	f.Fuzz(func(t *testing.T, next, version string) {
		if c, err := parseCursor(next); err == nil {
			if back, err := parseCursor(c.encode()); err != nil || back != c {
				t.Fatalf("cursor %q read as %+v, which reads back as %+v, %v", next, c, back, err)
			}
			if c.Seq < 0 || c.Skip < 0 || c.Until < 0 {
				t.Fatalf("cursor %q read as %+v", next, c)
			}
		}
		parseVersions([]string{version})
	})
}
