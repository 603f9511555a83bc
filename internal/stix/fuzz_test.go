package stix

import (
	"errors"
	"testing"
)

// FuzzParsePattern checks that Parse never panics, that its errors are
// *SyntaxError values with an offset inside the input, that what parses
// writes back (String) to a pattern that parses to the same text, and that
// Values never panics and only refuses with ErrNotValues.
func FuzzParsePattern(f *testing.F) {
	for _, tc := range validPatterns {
		f.Add(tc.in)
	}
	for _, tc := range invalidPatterns {
		if len(tc.in) < 1000 {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("offset %d outside the input of %d bytes: %v", se.Offset, len(src), err)
			}
			return
		}
		s := p.String()
		p2, err := Parse(s)
		if err != nil {
			t.Fatalf("String of %q is %q, which does not parse: %v", src, s, err)
		}
		if s2 := p2.String(); s2 != s {
			t.Fatalf("String is not stable for %q:\n first %s\nsecond %s", src, s, s2)
		}
		if _, err := Values(p); err != nil && !errors.Is(err, ErrNotValues) {
			t.Fatalf("Values(%s): %v is not a refusal", s, err)
		}
	})
}
