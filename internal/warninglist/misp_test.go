package warninglist_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fusion/internal/observable"
	"fusion/internal/warninglist"
)

// Excerpts of real lists from github.com/MISP/misp-warninglists, in the
// repository's own layout and formatting (entries cut, fields kept).
const (
	// lists/rfc1918/list.json, whole.
	mispRFC1918 = `{
  "description": "Event contains one or more entries part of the private network CIDR blocks (RFC 1918)",
  "list": [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16"
  ],
  "matching_attributes": [
    "ip-src",
    "ip-dst",
    "domain|ip"
  ],
  "name": "List of RFC 1918 CIDR blocks",
  "type": "cidr",
  "version": 4
}
`
	// lists/google/list.json: a "string" list whose leading-dot entries
	// (".google.com") match nothing in MISP, next to exact names.
	mispGoogle = `{
  "description": "Event contains one or more entries of known google domains",
  "list": [
    ".google.ad",
    ".google.com",
    ".google.co.uk",
    ".translate.goog",
    "1e100.net",
    "android.com",
    "blogspot.com",
    "g.co",
    "goo.gl",
    "google.com",
    "googleusercontent.com",
    "www.google.co.uk",
    "youtu.be",
    "youtube.com"
  ],
  "matching_attributes": [
    "domain",
    "hostname",
    "domain|ip",
    "URL"
  ],
  "name": "List of known google domains",
  "type": "string",
  "version": 6
}
`
	// lists/dynamic-dns/list.json: a "hostname" list written with leading
	// dots, which MISP trims.
	mispDynDNS = `{
  "description": "Event contains one or more entries of known dynamic DNS domains.",
  "list": [
    ".001www.com",
    ".ddns.net",
    ".dyndns.org",
    ".go.dyndns.org",
    ".hopto.org",
    ".no-ip.biz",
    ".servebeer.com",
    ".zapto.org"
  ],
  "matching_attributes": [
    "domain",
    "hostname",
    "domain|ip"
  ],
  "name": "List of known dynamic DNS domains",
  "type": "hostname",
  "version": 1
}
`
	// lists/crl-ip-hostname/list.json: addresses and names in one
	// "string" list.
	mispCRL = `{
  "description": "CRL Warninglist from threatstop (https://github.com/threatstop/crl-ocsp-whitelist/)",
  "list": [
    "104.16.89.188",
    "178.255.83.1",
    "2606:4700::6810:59bc",
    "crl.comodoca.com",
    "ocsp.digicert.com",
    "ocsp.pki.goog"
  ],
  "matching_attributes": [
    "hostname",
    "domain",
    "ip-dst",
    "ip-src",
    "url",
    "domain|ip"
  ],
  "name": "CRL Warninglist",
  "type": "string",
  "version": 20200929
}
`
	// lists/empty-hashes/list.json, whole: hashes only (and the ssdeep
	// "3::", which parses as an IPv6 address).
	mispEmptyHashes = `{
  "name": "List of known hashes for empty files",
  "version": 3,
  "description": "Event contains one or more entries of empty files based on known hashed",
  "matching_attributes": [
    "md5",
    "sha1",
    "sha256",
    "ssdeep"
  ],
  "type": "string",
  "list": [
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "3::"
  ]
}
`
	// lists/common-contact-emails/list.json, whole.
	mispContactEmails = `{
  "description": "A list of commonly used abuse and contact e-mail addresses, including the ones denoted in RFC2142.",
  "list": [
    "/^(security|noc|soc|abuse)\\@.*\\..*$/i"
  ],
  "matching_attributes": [
    "email-dst",
    "email-src",
    "target-email"
  ],
  "name": "Common contact e-mail addresses",
  "type": "regex",
  "version": 20200226
}
`
	// lists/disposable-email/list.json: a "substring" list.
	mispDisposable = `{
  "description": "List of disposable email domains",
  "list": [
    "0-mail.com",
    "0815.ry",
    "10minutemail.com",
    "cc.liamria"
  ],
  "matching_attributes": [
    "email-src",
    "email-dst",
    "whois-registrant-email",
    "domain|ip",
    "dns-soa-email"
  ],
  "name": "List of disposable email domains",
  "type": "substring",
  "version": 20241104
}
`
)

func on(t *testing.T, c *observable.Canonicalizer, s *warninglist.Set, value, list string) bool {
	t.Helper()
	o, err := c.Parse("", value)
	if err != nil {
		t.Fatalf("%s: %v", value, err)
	}
	return slices.Contains(lists(s.Check(o)), list)
}

func TestParseMISP(t *testing.T) {
	c := canon(t)
	for _, tt := range []struct {
		name, data, list string
		skipped          int
		in, out          []string
	}{
		{"rfc1918", mispRFC1918, "misp-list-of-rfc-1918-cidr-blocks", 0,
			[]string{"10.1.2.3", "172.31.255.255", "192.168.0.0/24", "http://192.168.1.1/login"},
			[]string{"172.32.0.1", "11.0.0.1", "100.64.0.1", "10.0.0.0/7"}},
		{"google", mispGoogle, "misp-list-of-known-google-domains", 4,
			[]string{"google.com", "www.google.com", "1e100.net", "www.google.co.uk", "youtu.be", "https://youtube.com/"},
			[]string{"mail.google.com", "google.co.uk", "google.ad", "evil.blogspot.com", "translate.goog", "https://youtube.com/watch?v=x"}},
		{"dynamic-dns", mispDynDNS, "misp-list-of-known-dynamic-dns-domains", 0,
			[]string{"ddns.net", "c2.ddns.net", "a.b.hopto.org", "http://x.zapto.org/gate.php", "bot@evil.dyndns.org"},
			[]string{"ddns.network", "notddns.net", "no-ip.com"}},
		{"crl", mispCRL, "misp-crl-warninglist", 0,
			[]string{"104.16.89.188", "2606:4700::6810:59bc", "ocsp.digicert.com", "http://crl.comodoca.com/"},
			[]string{"104.16.89.189", "digicert.com", "x.ocsp.digicert.com", "http://crl.comodoca.com/x.crl"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, skips, err := warninglist.ParseMISP([]byte(tt.data), "lists/"+tt.name+"/list.json", c)
			if err != nil {
				t.Fatal(err)
			}
			if l.Name != tt.list {
				t.Errorf("name %q, want %q", l.Name, tt.list)
			}
			if !strings.HasPrefix(l.Description, "on MISP warning list \"List of") && !strings.HasPrefix(l.Description, "on MISP warning list \"CRL Warninglist\": CRL Warninglist from threatstop") {
				t.Errorf("description %q", l.Description)
			}
			if skips.Count != tt.skipped {
				t.Errorf("skipped %d, want %d: %s", skips.Count, tt.skipped, skips)
			}
			s := (&warninglist.Set{}).With(l)
			for _, v := range tt.in {
				if !on(t, c, s, v, l.Name) {
					t.Errorf("%s not on %s", v, l.Name)
				}
			}
			for _, v := range tt.out {
				if on(t, c, s, v, l.Name) {
					t.Errorf("%s on %s", v, l.Name)
				}
			}
		})
	}
}

func TestMISPHitsSayWhy(t *testing.T) {
	c := canon(t)
	l, _, err := warninglist.ParseMISP([]byte(mispGoogle), "google.json", c)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Parse("", "www.google.com")
	if err != nil {
		t.Fatal(err)
	}
	hits := (&warninglist.Set{}).With(l).Check(o)
	want := `www.google.com is on MISP warning list "List of known google domains": Event contains one or more entries of known google domains`
	if len(hits) != 1 || hits[0].Reason != want {
		t.Errorf("hits %+v, want the reason %q", hits, want)
	}
}

func TestParseMISPSkipsSayWhy(t *testing.T) {
	_, skips, err := warninglist.ParseMISP([]byte(mispGoogle), "google.json", canon(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `entry 0 ".google.ad": a string list matches values exactly, and no value starts so`
	if len(skips.Examples) != 3 || skips.Examples[0] != want {
		t.Errorf("examples: %q", skips.Examples)
	}
}

func TestParseMISPQuirks(t *testing.T) {
	c := canon(t)
	for _, tt := range []struct {
		name, data string
		in, out    []string
		skipped    int
	}{
		// MISP reads a missing type as "string" and an array type by its
		// first element; entries may be an object of value and comment.
		{"no type, object list", `{"name":"Ours","description":"d","list":{"Example.NET.":"our web site","192.0.2.10":"our relay","":"empty"}}`,
			[]string{"example.net", "192.0.2.10"}, []string{"www2.example.net"}, 0},
		{"array type", `{"name":"Ours","description":"d","type":["hostname"],"list":["CORP.example.org."]}`,
			[]string{"mx.corp.example.org"}, []string{"example.org"}, 0},
		// A hostname list's address entry matches the address alone.
		{"address in hostname list", `{"name":"Ours","description":"d","type":"hostname","list":["198.51.100.7","example.com"]}`,
			[]string{"198.51.100.7"}, []string{"198.51.100.8"}, 0},
		// A prefix in a string list is MISP's exact string: not loaded.
		{"prefix in string list", `{"name":"Ours","description":"d","type":"string","list":["198.51.100.0/24","192.0.2.1"]}`,
			[]string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.0/24"}, 1},
		// An address in a list for domains only is not loaded.
		{"address in domain list", `{"name":"Ours","description":"d","type":"string","matching_attributes":["domain"],"list":["192.0.2.1","example.com"]}`,
			[]string{"example.com"}, []string{"192.0.2.1"}, 1},
		{"unknown tld, public suffix, URL, wildcard", `{"name":"Ours","description":"d","type":"hostname","list":["0815.ry","co.uk","https://example.com/x","*.example.org","example.net"]}`,
			[]string{"a.example.net"}, []string{"a.example.org"}, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, skips, err := warninglist.ParseMISP([]byte(tt.data), "ours.json", c)
			if err != nil {
				t.Fatal(err)
			}
			if l.Name != "misp-ours" || l.Description != `on MISP warning list "Ours": d` {
				t.Errorf("name %q description %q", l.Name, l.Description)
			}
			if skips.Count != tt.skipped {
				t.Errorf("skipped %s, want %d", skips, tt.skipped)
			}
			s := (&warninglist.Set{}).With(l)
			for _, v := range tt.in {
				if !on(t, c, s, v, l.Name) {
					t.Errorf("%s not listed", v)
				}
			}
			for _, v := range tt.out {
				if on(t, c, s, v, l.Name) {
					t.Errorf("%s listed", v)
				}
			}
		})
	}
}

func TestParseMISPRefuses(t *testing.T) {
	c := canon(t)
	for _, tt := range []struct {
		name, data, want string
		unrepresentable  bool
	}{
		{"regex", mispContactEmails, `regex.json: list "Common contact e-mail addresses" has type "regex": it matches values by regular expression`, true},
		{"substring", mispDisposable, `substring.json: list "List of disposable email domains" has type "substring": it matches values by any part of them`, true},
		{"hashes", mispEmptyHashes, `hashes.json: list "List of known hashes for empty files" (type "string"): none of its 4 entries`, true},
		{"not json", `{"name": "x", "list": [`, "not json.json: not a MISP warning list: unexpected EOF", false},
		{"no name", `{"type":"cidr","list":["10.0.0.0/8"]}`, `no name.json: field "name": missing or empty`, false},
		{"nameless", `{"name":"??","list":["10.0.0.0/8"]}`, `nameless.json: field "name" "??": has no letter or digit`, false},
		{"bad type", `{"name":"x","type":"glob","list":["10.0.0.0/8"]}`, `bad type.json: field "type" "glob": not a MISP warning list type`, false},
		{"bad list", `{"name":"x","type":"cidr","list":[1,2]}`, `bad list.json: field "list": [1,2]: must be an array of strings`, false},
		{"no list", `{"name":"x","type":"cidr"}`, `no list.json: field "list": missing`, false},
		{"two objects", `{"name":"x","list":["10.0.0.0/8"]} {}`, "two objects.json: not a MISP warning list: data after the JSON object", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := warninglist.ParseMISP([]byte(tt.data), tt.name+".json", c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if errors.Is(err, warninglist.ErrUnrepresentable) != tt.unrepresentable {
				t.Errorf("errors.Is(ErrUnrepresentable) = %v", !tt.unrepresentable)
			}
		})
	}
}

func TestMISPNames(t *testing.T) {
	c := canon(t)
	for _, tt := range []struct{ in, want string }{
		{"List of known domains used by automated malware analysis services & security vendors", "misp-list-of-known-domains-used-by-automated-malware-analysis"},
		{"Top 1000 website from Alexa", "misp-top-1000-website-from-alexa"},
		{"  Ümlaut -- Liste ", "misp-mlaut-liste"},
	} {
		data := `{"name":` + quote(tt.in) + `,"description":"d","type":"cidr","list":["192.0.2.0/24"]}`
		l, _, err := warninglist.ParseMISP([]byte(data), "n.json", c)
		if err != nil {
			t.Fatal(err)
		}
		if l.Name != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, l.Name, tt.want)
		}
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// writeRepo lays lists out as the misp-warninglists repository does.
func writeRepo(t *testing.T, lists map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range lists {
		p := filepath.Join(dir, "lists", name, "list.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Files that are not lists, as in the repository.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# misp-warninglist\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "x", "list.json"), []byte("not a list"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadMISPDir(t *testing.T) {
	c := canon(t)
	dir := writeRepo(t, map[string]string{
		"rfc1918": mispRFC1918, "google": mispGoogle, "dynamic-dns": mispDynDNS, "crl-ip-hostname": mispCRL,
		"empty-hashes": mispEmptyHashes, "common-contact-emails": mispContactEmails, "disposable-email": mispDisposable,
	})
	for _, root := range []string{dir, filepath.Join(dir, "lists")} {
		d, err := warninglist.LoadMISPDir(root, c)
		if err != nil {
			t.Fatal(err)
		}
		if d.Files != 7 || len(d.Lists) != 4 || len(d.Refused) != 3 || d.Skipped != 4 {
			t.Errorf("%s: files %d, lists %d, refused %q, skipped %d", root, d.Files, len(d.Lists), d.Refused, d.Skipped)
		}
		var names []string
		for _, l := range d.Lists {
			names = append(names, l.Name)
		}
		want := []string{"misp-crl-warninglist", "misp-list-of-known-dynamic-dns-domains", "misp-list-of-known-google-domains", "misp-list-of-rfc-1918-cidr-blocks"}
		if !slices.Equal(names, want) {
			t.Errorf("lists %v, want %v", names, want)
		}
		for _, r := range d.Refused {
			if !strings.Contains(r, "list.json") || !strings.Contains(r, "not representable") {
				t.Errorf("refusal does not name the file and why: %s", r)
			}
		}
	}

	// A broken list fails the load, naming it.
	bad := writeRepo(t, map[string]string{"rfc1918": mispRFC1918, "broken": `{"name": "x", "list": [`})
	if _, err := warninglist.LoadMISPDir(bad, c); err == nil || !strings.Contains(err.Error(), filepath.Join("broken", "list.json")) {
		t.Errorf("broken list: %v", err)
	}
	// Two lists of the same name.
	twice := writeRepo(t, map[string]string{"a": mispRFC1918, "b": mispRFC1918})
	if _, err := warninglist.LoadMISPDir(twice, c); err == nil || !strings.Contains(err.Error(), "both lists are named misp-list-of-rfc-1918-cidr-blocks") {
		t.Errorf("same name twice: %v", err)
	}
	// A directory without lists.
	if _, err := warninglist.LoadMISPDir(t.TempDir(), c); err == nil || !strings.Contains(err.Error(), "no file named list.json") {
		t.Errorf("empty directory: %v", err)
	}
}

func TestIsMISP(t *testing.T) {
	for in, want := range map[string]bool{
		mispRFC1918:                        true,
		"\ufeff\n  {\"name\":1}":           true,
		"# name: x\n10.0.0.0/8\n":          false,
		"":                                 false,
		"*.example.net\n{not a comment}\n": false,
	} {
		if got := warninglist.IsMISP([]byte(in)); got != want {
			t.Errorf("IsMISP(%.20q) = %v", in, got)
		}
	}
}

// FuzzParseMISP: any input either parses into a list named by fusion's
// rules, with every entry that loaded on its own list, or fails with an
// error naming the file; never a panic.
func FuzzParseMISP(f *testing.F) {
	for _, s := range []string{mispRFC1918, mispGoogle, mispDynDNS, mispCRL, mispEmptyHashes, mispContactEmails, mispDisposable,
		`{"name":"x","list":{"a.example.com":"c"}}`, `{"name":"x","type":["hostname"],"list":[".example.org."]}`} {
		f.Add([]byte(s))
	}
	c := canon(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, skips, err := warninglist.ParseMISP(data, "fuzz.json", c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if !strings.HasPrefix(l.Name, "misp-") || len(l.Name) > 64 {
			t.Fatalf("name %q", l.Name)
		}
		if skips.Count < len(skips.Examples) {
			t.Fatalf("skips %+v", skips)
		}
		// Every entry loaded is on its own list: at least as many entries
		// as were not skipped check as listed.
		var m struct {
			Type json.RawMessage `json:"type"`
			List json.RawMessage `json:"list"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("parsed but does not unmarshal: %v", err)
		}
		var typ string
		var types []string
		if json.Unmarshal(m.Type, &typ) != nil && json.Unmarshal(m.Type, &types) == nil && len(types) > 0 {
			typ = types[0]
		}
		var entries []string
		if json.Unmarshal(m.List, &entries) != nil {
			var o map[string]any
			if err := json.Unmarshal(m.List, &o); err != nil {
				t.Fatalf("list parsed but does not unmarshal: %v", err)
			}
			for k := range o {
				entries = append(entries, k)
			}
		}
		s := (&warninglist.Set{}).With(l)
		nonEmpty, listed := 0, 0
		for _, e := range entries {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			nonEmpty++
			if typ == "hostname" {
				e = strings.Trim(e, ".")
			}
			if o, err := c.Parse("", e); err == nil && slices.Contains(lists(s.Check(o)), l.Name) {
				listed++
			}
		}
		if listed < nonEmpty-skips.Count || listed == 0 {
			t.Fatalf("%d entries, %d skipped, only %d on the list", nonEmpty, skips.Count, listed)
		}
	})
}
