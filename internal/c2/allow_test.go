package c2

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist(strings.NewReader("# update services\n198.51.100.7\n203.0.113.0/24  # a CDN\n\nWindowsUpdate.com.\n*.pool.ntp.org\n2001:db8::/32\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 5 {
		t.Errorf("len = %d, want 5", a.Len())
	}
	for _, ip := range []string{"198.51.100.7", "203.0.113.200", "2001:db8::1", "::ffff:203.0.113.5"} {
		if !a.Addr(netip.MustParseAddr(ip)) {
			t.Errorf("%s not allowed", ip)
		}
	}
	for _, ip := range []string{"198.51.100.8", "192.0.2.1", "2001:db9::1"} {
		if a.Addr(netip.MustParseAddr(ip)) {
			t.Errorf("%s allowed", ip)
		}
	}
	for _, n := range []string{"windowsupdate.com", "ctldl.WindowsUpdate.com.", "0.pool.ntp.org", "pool.ntp.org"} {
		if !a.Name(n) {
			t.Errorf("%s not allowed", n)
		}
	}
	for _, n := range []string{"evilwindowsupdate.com", "ntp.org", "com", ""} {
		if a.Name(n) {
			t.Errorf("%s allowed", n)
		}
	}
	var none *Allowlist
	if none.Addr(netip.MustParseAddr("198.51.100.7")) || none.Name("x.com") || none.Len() != 0 {
		t.Error("a nil allowlist allows")
	}
	b := &Allowlist{}
	b.Merge(a)
	if !b.Name("pool.ntp.org") || !b.Addr(netip.MustParseAddr("203.0.113.1")) || b.Len() != 5 {
		t.Error("merge lost entries")
	}
}

func TestAllowlistErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ok.example\n10.0.0.0/33\n", `allowlist line 2: "10.0.0.0/33" is not a network`},
		{"bad name!\n", `allowlist line 1: "bad name!" is not an address, network or domain name: label "bad name!" has ' '`},
		{"a..b\n", `label "" is not 1 to 63 characters`},
		{strings.Repeat("x", 70) + ".com\n", "is not 1 to 63 characters"},
		{strings.Repeat("y", 5000) + "\n", "allowlist line 1: bufio.Scanner: token too long"},
	} {
		if _, err := ParseAllowlist(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.30q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseAllowlist(f *testing.F) {
	f.Add("198.51.100.7\n203.0.113.0/24 # cdn\nexample.com\n")
	f.Add("*.pool.ntp.org\n::1/128\n")
	f.Add("bad entry\n")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseAllowlist(strings.NewReader(in))
		if err != nil {
			if a != nil {
				t.Fatal("a list and an error")
			}
			return
		}
		// Whatever was accepted is allowed back.
		for _, line := range strings.Split(in, "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			line = strings.TrimSpace(line)
			if line == "" || strings.Contains(line, "/") {
				continue
			}
			if ip, err := netip.ParseAddr(line); err == nil {
				if !a.Addr(ip) {
					t.Fatalf("%q accepted but not allowed", line)
				}
			} else if !a.Name(strings.TrimPrefix(line, "*.")) {
				t.Fatalf("%q accepted but not allowed", line)
			}
		}
	})
}

func TestDefaultAllowlist(t *testing.T) {
	a := DefaultAllowlist()
	if a.Len() != len(DefaultAllowed) || !a.Name("2.europe.pool.ntp.org") || !a.Name("time.cloudflare.com") || a.Name("cloudflare.com") {
		t.Errorf("default allowlist: %d entries", a.Len())
	}
}
