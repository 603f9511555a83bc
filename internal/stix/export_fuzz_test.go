package stix

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// FuzzForRecord feeds ForRecord records of every type with arbitrary
// values, canonical or not: it never panics, a refusal is a *SkipError, and
// what it exports names the value (the pattern reads back to it, the SCO
// holds it) and passes Check.
func FuzzForRecord(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "2001:db8::1", "203.0.113.0/24", "example.com", "https://a.example/x?y='z'",
		"a@example.com", "d41d8cd98f00b204e9800998ecf8427e", "AS64500", "AS0", "x\\'y", "a.onion", ""} {
		for i := range observable.Types() {
			f.Add(i, s)
		}
	}
	types := observable.Types()
	f.Fuzz(func(t *testing.T, ti int, value string) {
		if ti < 0 || ti >= len(types) {
			return
		}
		r := intel.Record{ID: "rec", Type: types[ti], Value: value, TLP: intel.Amber, Labels: []string{}, Originator: "org", Version: 1, Created: t0, Updated: t1}
		ro, err := ForRecord(&r)
		if err != nil {
			if !errors.Is(err, ErrSkipped) {
				t.Fatalf("ForRecord(%s %q): %v is not a skip", r.Type, value, err)
			}
			return
		}
		p, err := Parse(ro.Indicator.Pattern)
		if err != nil {
			t.Fatalf("pattern %s of %s %q does not parse: %v", ro.Indicator.Pattern, r.Type, value, err)
		}
		vals, err := Values(p)
		if err != nil || len(vals) != 1 || vals[0].Value != value {
			t.Fatalf("pattern %s of %s %q reads back as %v, %v", ro.Indicator.Pattern, r.Type, value, vals, err)
		}
		if got := ro.Observable.Value + ro.Observable.Hashes["MD5"] + ro.Observable.Hashes["SHA-1"] + ro.Observable.Hashes["SHA-256"]; got != value && ro.Observable.Number == 0 {
			t.Fatalf("observable of %s %q holds %q", r.Type, value, got)
		}
		b, _ := NewBundle(ExportInput{Records: []intel.Record{r}})
		if err := b.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzJCSString checks that jcsString writes JSON that reads back to the
// string, and that it differs from encoding/json only where JCS says so.
func FuzzJCSString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\n\t\x01\x7f", "<&>\u2028é€😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var back string
		if err := json.Unmarshal([]byte(jcsString(s)), &back); err != nil || back != s {
			t.Fatalf("jcsString(%q) = %s reads back as %q, %v", s, jcsString(s), back, err)
		}
	})
}
