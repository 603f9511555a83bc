package observable

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestCardNeverInClear checks that a PAN reaches neither an error nor an
// Observable's fmt or JSON output.
func TestCardNeverInClear(t *testing.T) {
	c := newTestCanonicalizer(t)
	const pan = "4111111111111111"
	spellings := []string{pan, "4111 1111 1111 1111", "4111-1111-1111-1111"}
	leaks := func(s string) bool {
		for _, p := range spellings {
			if strings.Contains(s, p) {
				return true
			}
		}
		// The middle digits (7 to 12) must not appear either.
		return strings.Contains(strings.NewReplacer(" ", "", "-", "").Replace(s), pan)
	}

	t.Run("observable", func(t *testing.T) {
		for _, in := range spellings {
			o, err := c.Parse(Card, in)
			if err != nil {
				t.Fatal(err)
			}
			j, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), string(j)} {
				if leaks(out) {
					t.Fatalf("output %s holds the PAN", out)
				}
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			typ Type
			in  string
		}{
			{Card, "4111 1111 1111 1111x"},
			{Card, "4111 1111 1111 1112"},    // fails Luhn: still masked
			{Card, "4111111111111111111111"}, // too many digits
			{Card, strings.Repeat("4111111111111111 ", 300)},
			{BIN, pan},
			{Domain, pan + ".notatld"},
			{URL, "http://example.com:x/" + pan},
			{Phone, pan},
			{Phone, "card " + pan},
			{Email, pan + "@@"},
			{IPv4, "4111-1111-1111-1111"},
			{"", "card 4111 1111 1111 1111"},
			{"", pan + "x"},
		} {
			o, err := c.Parse(tc.typ, tc.in)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %+v, want an error", tc.typ, tc.in, o)
			}
			e := checkError(t, err, tc.typ)
			if leaks(err.Error()) || leaks(e.Value) || leaks(fmt.Sprintf("%+v", e)) {
				t.Fatalf("Parse(%q, ...) error %q holds the PAN", tc.typ, err)
			}
		}
	})
}

func TestMaskPAN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"4111 1111 1111 1111", "411111…1111"},
		{"4111111111111111", "411111…1111"},
		{"1234567890", "123456…7890"},
		{"123456789", "*********"},
		{"12 34x", "** **x"},
		{"12345678901234567890123", "123456…0123"},
		{"", ""},
	} {
		if got := maskPAN(tc.in); got != tc.want {
			t.Errorf("maskPAN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubPANs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no digits", "no digits"},
		{"4111111111111111", "411111…1111"},
		{"x 4111 1111 1111 1111 y", "x 411111…1111 y"},
		{"4111111111111112", "4111111111111112"}, // not Luhn-valid
		{"12345", "12345"},
		{"a4111-1111-1111-1111b5555555555554444", "a411111…1111b555555…4444"},
		{"41111111111111111111", "41111111111111111111"}, // 20 digits: no PAN
	} {
		if got := scrubPANs(tc.in); got != tc.want {
			t.Errorf("scrubPANs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		digits string
		ok     bool
	}{
		{"4111111111111111", true},
		{"79927398713", true},
		{"79927398710", false},
		{"0", true},
		{"18", true},
		{"19", false},
	} {
		if got := luhnValid([]byte(tc.digits)); got != tc.ok {
			t.Errorf("luhnValid(%s) = %v, want %v", tc.digits, got, tc.ok)
		}
	}
}
