package tor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureHead returns the first n lines of a fixture, or nil when the
// fixtures are absent (the fuzz tests then run on their other seeds).
func fixtureHead(name string, n int) []byte {
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		return nil
	}
	lines := bytes.SplitAfterN(b, []byte("\n"), n+1)
	return bytes.Join(lines[:min(n, len(lines))], nil)
}

// checkSyntaxError checks what every parse error of in-memory input must
// be: a *SyntaxError wrapping ErrSyntax that names its line.
func checkSyntaxError(t *testing.T, doc string, data []byte, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %T %v is not a *SyntaxError wrapping ErrSyntax", err, err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	if se.Line < 0 || se.Line > lines+1 || se.Line == 0 && len(data) > 0 {
		t.Fatalf("error %q names line %d of a %d-line input", err, se.Line, lines)
	}
	prefix := "tor: " + doc + ": "
	if se.Line > 0 {
		prefix = fmt.Sprintf("tor: %s line %d: ", doc, se.Line)
	}
	if !strings.HasPrefix(err.Error(), prefix) || se.Msg == "" {
		t.Fatalf("error %q does not start with %q and a message", err, prefix)
	}
}

// checkPolicy checks the invariants of a parsed port policy.
func checkPolicy(t *testing.T, p PortPolicy, allowsZero bool) {
	t.Helper()
	if len(p.Ranges) == 0 {
		if !allowsZero || p.Accept || p.AllowsAny() || p.Allows(80) {
			t.Fatalf("unexpected empty policy %+v", p)
		}
		return
	}
	for _, r := range p.Ranges {
		if r.Low == 0 || r.Low > r.High {
			t.Fatalf("policy %q has range %+v", p, r)
		}
	}
	q, err := ParsePortPolicy(p.String())
	if err != nil || q.Accept != p.Accept || !slices.Equal(q.Ranges, p.Ranges) {
		t.Fatalf("policy %q does not round-trip: %+v, %v", p, q, err)
	}
	if p.Allows(0) {
		t.Fatalf("policy %q allows port 0", p)
	}
	if len(p.Ranges) <= 16 { // keep each fuzz run fast
		some := false
		for port := 1; port <= 65535 && !some; port++ {
			some = p.Allows(uint16(port))
		}
		if some != p.AllowsAny() {
			t.Fatalf("policy %q: AllowsAny() = %v, but some port allowed = %v", p, p.AllowsAny(), some)
		}
	}
}

func isUpperHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func checkUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.IsZero() || tm.Location() != time.UTC || tm.Nanosecond() != 0 {
		t.Fatalf("%s = %v, want a whole second in UTC", what, tm)
	}
}

func FuzzParseConsensus(f *testing.F) {
	f.Add([]byte(minimalConsensus))
	f.Add([]byte(strings.ReplaceAll(minimalConsensus, "\n", "\r\n")))
	f.Add([]byte("@type network-status-microdesc-consensus-3 1.0\n" +
		strings.ReplaceAll(minimalConsensus, " e8UPqNui1/oIBcXrqQYnWTRrYS0", "")))
	f.Add([]byte(""))
	f.Add([]byte("\n"))
	f.Add([]byte("network-status-version 3\n-----BEGIN X-----\n"))
	f.Add([]byte("network-status-version 3\nvote-status consensus\nvalid-after 2016-02-29 23:59:59\n" +
		"fresh-until 2016-02-29 23:59:59\nvalid-until 2016-03-01 00:00:00\nr a AAoQ1DAR6kkoo19hBAX5K0QztNw= 2017-04-14 10:41:26 0.0.0.0 1 65535\n" +
		"s\na [::ffff:1.2.3.4]:1\np reject 1-100,101-65535\ndirectory-signature\n"))
	if b := fixtureHead(fullConsensus, 60); b != nil {
		f.Add(b)
	}
	if b, err := os.ReadFile(filepath.Join(fixtureDir, croppedConsensus)); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConsensus(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatal("consensus returned with an error")
			}
			checkSyntaxError(t, "consensus", data, err)
			return
		}
		checkUTC(t, "ValidAfter", c.ValidAfter)
		checkUTC(t, "FreshUntil", c.FreshUntil)
		checkUTC(t, "ValidUntil", c.ValidUntil)
		if c.FreshUntil.Before(c.ValidAfter) || c.ValidUntil.Before(c.FreshUntil) {
			t.Fatalf("times out of order: %v %v %v", c.ValidAfter, c.FreshUntil, c.ValidUntil)
		}
		for i, r := range c.Relays {
			if !isUpperHex40(r.Fingerprint) {
				t.Fatalf("relay %d fingerprint %q", i, r.Fingerprint)
			}
			if len(r.Nickname) < 1 || len(r.Nickname) > 19 || !isAlnum([]byte(r.Nickname)) {
				t.Fatalf("relay %d nickname %q", i, r.Nickname)
			}
			if !r.Address.Is4() || r.ORPort == 0 {
				t.Fatalf("relay %d address %v:%d", i, r.Address, r.ORPort)
			}
			checkUTC(t, "Published", r.Published)
			for _, a := range r.IPv6 {
				if !a.Addr().Is6() || a.Addr().Zone() != "" || a.Port() == 0 {
					t.Fatalf("relay %d a line %v", i, a)
				}
			}
			for _, fl := range r.Flags {
				if !isKeyword([]byte(fl)) || !r.HasFlag(fl) {
					t.Fatalf("relay %d flag %q", i, fl)
				}
			}
			if len(c.Relays) <= 4 {
				checkPolicy(t, r.ExitPolicy, true)
			}
		}
	})
}

func FuzzParseExitList(f *testing.F) {
	f.Add([]byte(minimalExitList))
	f.Add([]byte(strings.ReplaceAll(minimalExitList, "\n", "\r\n")))
	f.Add([]byte(""))
	f.Add([]byte("ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2017-07-17 13:20:49\nLastStatus 2017-07-17 14:03:15\n" +
		"ExitAddress ::ffff:1.2.3.4 2017-07-17 14:11:38\nExitAddress 1.2.3.4 2017-07-17 14:11:38\n"))
	if b := fixtureHead(exitListFixture, 14); b != nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseExitList(bytes.NewReader(data))
		if err != nil {
			if l != nil {
				t.Fatal("exit list returned with an error")
			}
			checkSyntaxError(t, "exit list", data, err)
			return
		}
		if len(l.Exits) == 0 {
			t.Fatal("no exits and no error")
		}
		if !l.Downloaded.IsZero() {
			checkUTC(t, "Downloaded", l.Downloaded)
		}
		for i, e := range l.Exits {
			if !isUpperHex40(e.Fingerprint) {
				t.Fatalf("exit %d fingerprint %q", i, e.Fingerprint)
			}
			checkUTC(t, "Published", e.Published)
			checkUTC(t, "LastStatus", e.LastStatus)
			if len(e.Addresses) == 0 {
				t.Fatalf("exit %d has no addresses", i)
			}
			for _, a := range e.Addresses {
				if !a.Addr.IsValid() || a.Addr.Zone() != "" {
					t.Fatalf("exit %d address %v", i, a.Addr)
				}
				checkUTC(t, "Seen", a.Seen)
				// The address as written must be in the input.
				if !bytes.Contains(data, []byte(a.Addr.String())) && !a.Addr.Is6() {
					t.Fatalf("exit %d address %v not in input", i, a.Addr)
				}
			}
		}
	})
}

func FuzzParsePortPolicy(f *testing.F) {
	for _, s := range []string{
		"reject 1-65535", "accept 80,443", "reject 25,119,135-139,445,563,1214,4661-4666,6346-6429,6699,6881-6999",
		"accept 1", "reject 65535", "accept 0", "accept 1-0", "reject 1000-65535,1-998", "accept 80,", "accept\t00080",
		"reject 1-500,400-65535", "accept 99999", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePortPolicy(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "tor: port policy: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		checkPolicy(t, p, false)
	})
}

// FuzzParseIP: ParseIP never panics, never returns an address with a zone,
// and an error names the value given.
func FuzzParseIP(f *testing.F) {
	for _, s := range []string{"67.164.109.21", "2001:db8::1", "fe80::1%eth0", "::ffff:1.2.3.4", "::ffff:1.2.3.4%1", "300.1.1.1", "", "%", "1.2.3.4%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseIP(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("ip %q", s)) {
				t.Fatalf("ParseIP(%q): error %q does not name the value", s, err)
			}
			return
		}
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ParseIP(%q) = %v: invalid, zoned or IPv4-mapped", s, a)
		}
	})
}
