package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fusion/internal/intel"
)

func TestPastedValues(t *testing.T) {
	got, err := pastedValues("  hxxps://evil[.]example[.]com/a \r\n\n\t198.51.100[.]7\nlast", 3)
	if err != nil || !slices.Equal(got, []string{"hxxps://evil[.]example[.]com/a", "198.51.100[.]7", "last"}) {
		t.Errorf("pastedValues = %q, %v", got, err)
	}
	for _, tc := range []struct {
		paste, reason string
	}{
		{"", "no value"},
		{" \n\r\n\t", "no value"},
		{"a\nb\nc\nd", "more than 3 values"},
	} {
		_, err := pastedValues(tc.paste, 3)
		var fe *intel.FieldError
		if !errors.As(err, &fe) || fe.Field != "values" || !strings.Contains(fe.Reason, tc.reason) {
			t.Errorf("pastedValues(%q) = %v, want a values error %q", tc.paste, err, tc.reason)
		}
	}
}

func TestParseTorTime(t *testing.T) {
	want := time.Date(2026, 11, 30, 19, 5, 0, 0, time.UTC)
	for _, v := range []string{"2026-11-30T19:05", "2026-11-30T19:05:00", "2026-11-30T19:05:00Z", "2026-12-01T04:05+09:00", "2026-12-01T04:05:00.000+09:00"} {
		if got, err := parseTorTime(v); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTorTime(%q) = %v, %v", v, got, err)
		}
	}
	for _, v := range []string{"yesterday", "2026-11-30", "2026-13-01T00:00", "19:05"} {
		var fe *intel.FieldError
		if _, err := parseTorTime(v); !errors.As(err, &fe) || fe.Field != "time" || fe.Value != v {
			t.Errorf("parseTorTime(%q): %v, want a time error naming the value", v, err)
		}
	}
}

// FuzzPastedValues: any paste gives either a values error or at most max
// trimmed, non-empty values that are lines of the paste, in order.
func FuzzPastedValues(f *testing.F) {
	for _, s := range []string{"", "a\nb", " hxxp://x[.]y \r\n\n", strings.Repeat("v\n", 12), "\u2028a\u2029b\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, paste string) {
		const max = 10
		got, err := pastedValues(paste, max)
		if err != nil {
			var fe *intel.FieldError
			if !errors.As(err, &fe) || fe.Field != "values" {
				t.Fatalf("error %v does not name the field", err)
			}
			return
		}
		if len(got) == 0 || len(got) > max {
			t.Fatalf("%d values", len(got))
		}
		rest := paste
		for _, v := range got {
			if v == "" || v != strings.TrimSpace(v) || strings.Contains(v, "\n") {
				t.Fatalf("value %q is not a trimmed line", v)
			}
			i := strings.Index(rest, v)
			if i < 0 {
				t.Fatalf("value %q is not in the paste in order", v)
			}
			rest = rest[i+len(v):]
		}
		if utf8.ValidString(paste) && !utf8.ValidString(strings.Join(got, "")) {
			t.Fatal("valid UTF-8 in, invalid out")
		}
	})
}

// FuzzParseTorTime: any input gives a UTC time or a time error naming it.
func FuzzParseTorTime(f *testing.F) {
	for _, s := range []string{"2026-11-30T19:05", "2026-12-01T04:05+09:00", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := parseTorTime(v)
		if err != nil {
			var fe *intel.FieldError
			if !errors.As(err, &fe) || fe.Field != "time" || fe.Value != v {
				t.Fatalf("error %v does not name the field and value", err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q: %v is not UTC", v, got)
		}
	})
}
