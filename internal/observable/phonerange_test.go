package observable

import (
	"strings"
	"testing"
)

func TestParsePhoneRange(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, tc := range []struct {
		in, want, region, carrier string
	}{
		{"+44 7946 0", "+4479460", "GB", "EE"},
		{"0049 151", "+49151", "DE", "T-Mobile"},
		{"+371 2012", "+3712012", "LV", "Bite Latvia"},
		{"+33 6 12", "+33612", "FR", "SFR"},
		{"+1 416", "+1416", "CA", ""},
		{"+1 (202) 5", "+12025", "US", ""},
		{"+12", "+12", "US", ""},                     // spans US and CA: +1's main region
		{"+7 7", "+77", "KZ", ""},                    // +7 is RU's, but +7 7 is Kazakhstan's
		{"+44 7700 900 xxx", "+447700900", "GB", ""}, // free digits written as x; no number valid: +44's main region
		{"+800 1234", "+8001234", "", ""},            // non-geographic
		{"+" + strings.Repeat("4", 14), "+" + strings.Repeat("4", 14), "GB", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			o, err := c.Parse(PhoneRange, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if o.Type != PhoneRange || o.Value != tc.want || o.Region != tc.region || o.Carrier != tc.carrier || o.NumberType != "" || o.BIN != "" {
				t.Fatalf("Parse(phone-range, %q) = %+v, want %s %s %q", tc.in, o, tc.want, tc.region, tc.carrier)
			}
			if again, err := c.Parse(PhoneRange, o.Value); err != nil || again != o {
				t.Fatalf("canonical %q parses as %+v, %v", o.Value, again, err)
			}
		})
	}
	for _, tc := range []struct{ in, reason string }{
		{"44 7946 0", "not an international prefix"},
		{"+", "no digits"},
		{"+0 123", "starts with 0"},
		{"+44", "whole country code"},
		{"+999 1", "invalid country code"},
		{"+" + strings.Repeat("4", 15), "has 15 digits, a range has at most 14"},
		{"+44 79x6", "digit after \"x\""},
		{"+44/7946", "not allowed"},
		{"+4479460; drop", "not allowed"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			o, err := c.Parse(PhoneRange, tc.in)
			if err == nil {
				t.Fatalf("Parse(phone-range, %q) = %+v, want an error", tc.in, o)
			}
			e := checkError(t, err, PhoneRange)
			if !strings.Contains(e.Reason, tc.reason) || !strings.Contains(err.Error(), "phone-range") || e.Value != tc.in {
				t.Fatalf("Parse(phone-range, %q): %v, want the value and %q", tc.in, err, tc.reason)
			}
		})
	}
	// A prefix is detected as a phone number, never as a range.
	if typ, _ := Detect("+4479460"); typ != Phone {
		t.Errorf("Detect(+4479460) = %q, want phone", typ)
	}
}
