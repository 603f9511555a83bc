package sms

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzCheck gives the engine requests built from any bytes, as the API
// might pass them before parsing: it never panics, always answers one of
// the three verdicts, and a request it blocks as invalid names its number.
func FuzzCheck(f *testing.F) {
	f.Add("+37121234567", "203.0.113.1", int64(0))
	f.Add("+1", "::1", int64(-5))
	f.Add("+999999999999999", "", int64(1<<40))
	f.Add("37121234567", "10.0.0.1", int64(7))
	g, err := New(DefaultConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	g.Shared().Add("+3712")
	f.Fuzz(func(t *testing.T, number, ip string, dt int64) {
		r := &Request{App: "fuzz", Number: number, Time: t0.Add(time.Duration(dt % int64(365*24*time.Hour)))}
		if a, err := netip.ParseAddr(ip); err == nil {
			r.IP = a
		}
		d := g.Check(r)
		if d.Decision > Block || d.Would > Block {
			t.Fatalf("verdict %d", d.Decision)
		}
		if d.Rule == "invalid-number" && d.Prefix == "" && number != "" {
			t.Fatalf("invalid number without its prefix: %+v", d)
		}
		g.Verified(&Verified{App: "fuzz", Number: number, Time: r.Time})
	})
}

// FuzzPhoneRange checks the phone-range prefixes the shared set holds: a
// prefix it takes matches every number under it, and a prefix it refuses
// is said why.
func FuzzPhoneRange(f *testing.F) {
	for _, s := range []string{"+3712", "+1", "+0", "3712", "+37121234567890123", "+37a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		s := NewShared()
		err := s.Add(p)
		if err != nil {
			if !strings.Contains(err.Error(), "prefix") {
				t.Fatalf("error %q does not name the prefix", err)
			}
			return
		}
		n := p + strings.Repeat("5", max(0, 16-len(p)))
		if got, ok := s.Match(n); !ok || got != p {
			t.Fatalf("Match(%q) = %q, %v; want %q", n, got, ok, p)
		}
		if !s.Remove(p) {
			t.Fatal("remove")
		}
		if _, ok := s.Match(n); ok {
			t.Fatal("matched after removal")
		}
	})
}
