package screen

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestScreenParseBooking: one booking as a request body, pretty-printed,
// with clear values hashed under the key and never echoed in errors.
func TestScreenParseBooking(t *testing.T) {
	key := []byte("0123456789abcdef")
	body := strings.Replace(strings.Replace(goodLine, `"cardholder":"`+h1+`"`, "\n  \"cardholder_name\": \"Dupont / Marie\"", 1),
		`"card":"`+h2+`"`, `"card_number":"4970 1012 3456 7890"`, 1)
	body = strings.Replace(body, `"card_bin":"451826",`, "", 1)
	b, err := ParseBooking([]byte(body+"\n"), ReaderOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != "BKYPCXCWGS" || b.Cardholder != keyed(key, "name:", "DUPONT/MARIE") || b.CardBIN != "497010" || b.Card != keyed(key, "card:", "4970101234567890") {
		t.Fatalf("parsed %+v", b)
	}
	_, err = ParseBooking([]byte(strings.Replace(body, "4970 1012 3456 7890", "4970 10x2 3456", 1)), ReaderOptions{Key: key})
	var le *LineError
	if !errors.As(err, &le) || le.Field != "card_number" || le.Value != "(withheld)" || strings.Contains(err.Error(), "3456") {
		t.Fatalf("short card number: %v", err)
	}
	if _, err = ParseBooking([]byte(body), ReaderOptions{}); err == nil || !strings.Contains(err.Error(), "need a hashing key") {
		t.Fatalf("without a key: %v", err)
	}
	if _, err = ParseBooking([]byte(body+body), ReaderOptions{Key: key}); err == nil || !strings.Contains(err.Error(), "text after the object") {
		t.Fatalf("two objects: %v", err)
	}
}

// TestScreenerRing: with Config.Rings, Ring describes the last booking's
// ring as Findings does at the end, for a ring whose card pays for five
// travellers, and a lone booking is a ring of one.
func TestScreenerRing(t *testing.T) {
	c, err := Compile(Default())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Rings = true
	s := New(c, cfg)
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	lone := nb(100, start, 30*24*time.Hour, "A/B", "A/B", "ab", "ab-card")
	if _, err := s.Add(&lone); err != nil {
		t.Fatal(err)
	}
	if g := s.Ring(); g.Size != 1 || g.ID != "ring-BK00000100" || g.Score != 0 {
		t.Fatalf("lone booking: %+v", g)
	}
	var last Result
	for i := range 5 {
		b := nb(i, start.Add(time.Duration(i)*8*time.Hour), 20*time.Hour, "VICTIM/ONE", fmt.Sprintf("MULE/%d", i), "ring", "stolen")
		b.IPCountry, b.ClientIP = "TH", netip.MustParseAddr("203.0.113.9")
		if last, err = s.Add(&b); err != nil {
			t.Fatal(err)
		}
	}
	g := s.Ring()
	if g.ID != "ring-BK00000000" || g.Size != 5 || g.CardTravellers != 5 || g.Score < ringNamesScore {
		t.Fatalf("ring: %+v", g)
	}
	if last.Score+g.Score < s.Threshold() {
		t.Fatalf("last booking of the ring not flagged: %v + %v < %v", last.Score, g.Score, s.Threshold())
	}
	fs := s.Findings()
	if len(fs) == 0 || fs[len(fs)-1].Detail["ring"] != g.ID || fs[len(fs)-1].Stats["ring_size"] != float64(g.Size) {
		t.Fatalf("findings disagree with Ring %+v: %+v", g, fs)
	}
}

// FuzzParseBooking: any body is a booking or a *LineError, never a panic,
// and an error never carries a clear card number it was given.
func FuzzParseBooking(f *testing.F) {
	f.Add([]byte(goodLine))
	f.Add([]byte(strings.Replace(goodLine, `"card":"`+h2+`"`, `"card_number":"4970 1012 3456 7890"`, 1)))
	f.Add([]byte("{\n \"id\": \"a\\u0041\"\n}"))
	f.Add([]byte(strings.Replace(goodLine, `"2026-11-02T00:00:07Z"`, `"2026-11-02T02:00:07.25+02:00"`, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBooking(data, ReaderOptions{Key: []byte("k")})
		if err == nil {
			// What AppendJSON writes reads back as the same booking.
			line := b.AppendJSON(nil)
			again, err := ParseBooking(line, ReaderOptions{})
			if err != nil {
				t.Fatalf("AppendJSON wrote %s: %v", line, err)
			}
			if !reflect.DeepEqual(again, b) {
				t.Fatalf("AppendJSON round trip:\n%+v\n%+v", b, again)
			}
		}
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("not a LineError: %v", err)
		}
		if le != nil && le.Field == "card_number" && le.Value != "(withheld)" {
			t.Fatalf("card number echoed: %v", err)
		}
	})
}
