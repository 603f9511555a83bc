package warninglist_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"fusion/internal/observable"
	"fusion/internal/warninglist"
)

func canon(t testing.TB) *observable.Canonicalizer {
	t.Helper()
	c, err := observable.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lists(hits []warninglist.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.List)
	}
	return out
}

func TestDefaultLists(t *testing.T) {
	c := canon(t)
	s := warninglist.Default()
	for _, tt := range []struct {
		value string
		want  []string
	}{
		{"0.0.0.0/0", []string{"wide-prefix"}},
		{"127.0.0.1", []string{"loopback"}},
		{"10.1.2.3", []string{"private"}},
		{"100.64.0.1", []string{"private"}},
		{"169.254.1.1", []string{"link-local"}},
		{"192.0.2.7", []string{"documentation"}},
		{"203.0.113.0/24", []string{"documentation"}},
		{"2001:db8::1", []string{"documentation"}},
		{"fe80::1", []string{"link-local"}},
		{"::1", []string{"loopback"}},
		{"239.1.2.3", []string{"bogon"}},
		{"8.8.8.8", []string{"public-resolvers"}},
		{"2606:4700:4700::1111", []string{"public-resolvers"}},
		{"10.0.0.0/7", []string{"wide-prefix"}},
		{"2a00::/16", []string{"wide-prefix"}},
		{"10.0.0.0/16", []string{"private"}},
		{"localhost", nil},     // not a domain under a public suffix: refused by observable, not here
		{"printer.local", nil}, // not under a public suffix: refused by observable before any list
		{"login.example.com", []string{"special-domains"}},
		{"www.google.com", []string{"popular-domains"}},
		{"google.com", []string{"popular-domains"}},
		{"https://www.google.com/", []string{"popular-domains"}},
		{"http://10.0.0.5:8080/admin", []string{"private"}},
		{"mule@example.org", []string{"special-domains"}},

		// Not listed: real indicators that look like the lists.
		{"198.51.99.7", nil},
		{"11.0.0.0/8", nil},
		{"2a00:1450::/32", nil},
		{"sites.google.com", nil},
		{"https://docs.google.com/forms/d/e/1FAIpQLSd/viewform", nil},
		{"https://www.google.com/url?q=https://evil.example.net", nil}, // an open redirect is an indicator
		{"mule@gmail.com", nil},
		{"evil-example.com", nil},
		{"8.8.8.9", nil},
		{"44d88612fea8a8f36de82e1278abb02f", nil},
	} {
		o, err := c.Parse("", tt.value)
		if err != nil {
			if tt.want == nil {
				continue
			}
			t.Fatalf("%s: %v", tt.value, err)
		}
		got := lists(s.Check(o))
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s): on %v, want %v", tt.value, o.Type, got, want)
		}
	}
}

func TestHitsSayWhy(t *testing.T) {
	o, err := canon(t).Parse("", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	hits := warninglist.Default().Check(o)
	if len(hits) != 1 || hits[0].Reason != "10.1.2.3 is in 10.0.0.0/8 (private address space (RFC 1918, RFC 6598 shared address space, RFC 4193 unique local))" {
		t.Errorf("hits: %+v", hits)
	}
}

func TestWithoutAndWith(t *testing.T) {
	c := canon(t)
	s, err := warninglist.Default().Without("documentation", "wide-prefix")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"192.0.2.7", "0.0.0.0/1"} {
		o, _ := c.Parse("", v)
		if hits := s.Check(o); len(hits) != 0 {
			t.Errorf("%s still listed: %+v", v, hits)
		}
	}
	if _, err := warninglist.Default().Without("documentaton"); err == nil || !strings.Contains(err.Error(), `"documentaton": no such list`) {
		t.Errorf("a misspelt list: %v", err)
	}
	l, err := warninglist.Parse(strings.NewReader("# description: our own mail relays\n192.0.2.25\n198.51.100.0/28 # relays\n*.corp.example.net\nintranet.example.org\n"), "/etc/fusion/own-infra.txt", c)
	if err != nil {
		t.Fatal(err)
	}
	s = s.With(l)
	for _, tt := range []struct {
		value, list string
	}{
		{"192.0.2.25", "own-infra"},
		{"198.51.100.9", "own-infra"},
		{"mx1.corp.example.net", "own-infra"},
		{"intranet.example.org", "own-infra"},
		{"192.0.2.26", ""},
		{"other.example.org", ""},
	} {
		o, err := c.Parse("", tt.value)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, h := range s.Check(o) {
			if h.List == "own-infra" {
				got = h.List
			}
		}
		if got != tt.list {
			t.Errorf("%s: %q, want %q", tt.value, got, tt.list)
		}
	}
	if !slices.Contains(s.Names(), "own-infra") || slices.Contains(s.Names(), "documentation") {
		t.Errorf("names: %v", s.Names())
	}
}

func TestParseErrors(t *testing.T) {
	c := canon(t)
	for _, tt := range []struct{ in, want string }{
		{"192.0.2.1\nnot a value\n", "list.txt line 2: "},
		{"44d88612fea8a8f36de82e1278abb02f\n", "list.txt line 1: \"44d88612fea8a8f36de82e1278abb02f\" is a md5"},
		{"# name: Bad Name\n192.0.2.1\n", `list name "Bad Name"`},
	} {
		_, err := warninglist.Parse(strings.NewReader(tt.in), "list.txt", c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParse: any file either parses into a list whose every entry checks
// as listed, or fails with an error naming the file; never a panic.
func FuzzParse(f *testing.F) {
	f.Add("# name: x\n# description: d\n192.0.2.1\n10.0.0.0/8\n*.example.net\nwww.example.org # c\n")
	f.Add("2001:db8::/32\n\n\n")
	f.Add("*.\n")
	c := canon(f)
	f.Fuzz(func(t *testing.T, in string) {
		l, err := warninglist.Parse(strings.NewReader(in), "fuzz.txt", c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		s := (&warninglist.Set{}).With(l)
		for _, line := range strings.Split(in, "\n") {
			line = strings.TrimSpace(line)
			if i := strings.Index(line, " #"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			line = strings.TrimPrefix(line, "*.")
			o, err := c.Parse("", line)
			if err != nil {
				t.Fatalf("entry %q parsed in the list but not alone: %v", line, err)
			}
			if o.Type != observable.CIDR && len(s.Check(o)) == 0 {
				t.Fatalf("entry %q (%s) is not on its own list", line, o.Type)
			}
		}
	})
}
