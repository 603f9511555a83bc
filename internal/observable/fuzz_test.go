package observable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz tests check, for any input, that Parse does not panic, that a
// value it accepts is canonical (parsing it again, as its type or with
// detection, gives it back) and that a value it refuses comes with an *Error
// of the right type, a value and a reason.

// regressionSeeds are inputs the fuzzers once failed on; every fuzzer gets
// them.
var regressionSeeds = []string{
	"/", // cidr: nested netip error prefix in the reason
	"0044  7946 0018",
	"004497202  0018",
	"000000000000A1000000000000",
	"000000000000A0000001000000000000",
	"0000000000000100000A-0000000000000",
	"00000000000000000000A000000000000",
	"A0000000000000000000A0000000000000000000000000000000000000000000",
	"00000000000000A00000000000000000000000000000000000A000000000000000000000000000000000000000000000000000000000000000000000000000000",
	"A0000000000000000000A00000000000100000000000000000A00000000000000000000",
	"00000000000000000000000000000000000000000000000000A0000000000000000000000000000000000000000000000000000000000000000A0000000000000",
	"000000000000000A0000000000000000000000000000000000A00000000000000000000",
}

// seedFuzz adds the table's good and bad inputs for the types to f, the
// regression seeds, and extra seeds.
func seedFuzz(f *testing.F, types []Type, extra ...string) {
	for _, s := range regressionSeeds {
		f.Add(s)
	}
	for _, g := range goodValues {
		for _, t := range types {
			if g.typ == t {
				f.Add(g.in)
			}
		}
	}
	for _, b := range badValues {
		for _, t := range types {
			if b.typ == t {
				f.Add(b.in)
			}
		}
	}
	for _, s := range extra {
		f.Add(s)
	}
}

// checkParse runs Parse(typ, s) and checks its result.
func checkParse(t *testing.T, c *Canonicalizer, typ Type, s string) {
	o, err := c.Parse(typ, s)
	if err != nil {
		want := typ
		if typ == "" {
			want, _ = Detect(s)
		}
		e := checkError(t, err, want)
		if e.Value == "" && strings.TrimSpace(s) != "" {
			t.Fatalf("Parse(%q, %q): error %v has no value", typ, s, err)
		}
		checkNoPAN(t, s, e)
		return
	}
	if o.Value == "" {
		t.Fatalf("Parse(%q, %q) = %+v: empty value", typ, s, o)
	}
	switch {
	case typ == "":
		if d, _ := Detect(s); o.Type != d {
			t.Fatalf("Parse(\"\", %q) = %+v but Detect says %q", s, o, d)
		}
	case typ == IPv6 && o.Type == IPv4: // IPv4-mapped
	case o.Type != typ:
		t.Fatalf("Parse(%q, %q) = %+v: wrong type", typ, s, o)
	}
	if o.Type == Card {
		if len(o.Value) != 64 || !isHexString(o.Value) || len(o.BIN) != 6 || !isAllDigits(o.BIN) {
			t.Fatalf("Parse(card, %q) = %+v", s, o)
		}
		if o2, err := c.Parse(Card, s); err != nil || o2 != o {
			t.Fatalf("Parse(card, %q) is not deterministic: %+v, %v", s, o2, err)
		}
		return
	}
	if o2, err := c.Parse(o.Type, o.Value); err != nil || o2 != o {
		t.Fatalf("Parse(%q, %q) = %+v; canonical %q parses as %+v, %v", typ, s, o, o.Value, o2, err)
	}
	if o.Type == PhoneRange {
		return // never detected: a prefix is also the start of a number
	}
	if o3, err := c.Parse("", o.Value); err != nil || o3 != o {
		t.Fatalf("Parse(%q, %q) = %+v; canonical %q is detected as %+v, %v", typ, s, o, o.Value, o3, err)
	}
	if o.Type == URL {
		checkTarget(t, c, o.Value)
	}
}

// checkTarget holds URLTarget and URLHost of canonical URL u to what they
// promise: the target is u's tail, the host starts it and is a canonical
// host, and any other scheme in front of the target gives a URL with the
// same target unless that scheme's default port is the one written.
func checkTarget(t *testing.T, c *Canonicalizer, u string) {
	target, host := URLTarget(u), URLHost(u)
	if !strings.HasSuffix(u, target) || target == u || !strings.HasPrefix(target, host) || host == "" {
		t.Fatalf("URL %q: target %q, host %q", u, target, host)
	}
	if h, err := c.Parse("", strings.Trim(host, "[]")); err != nil || h.Value != strings.Trim(host, "[]") && !isOnionName(host) { // a URL keeps an onion's subdomain labels
		t.Fatalf("URL %q: host %q is not canonical: %+v, %v", u, host, h, err)
	}
	for _, scheme := range []string{"http", "https"} {
		o, err := c.Parse(URL, scheme+"://"+target)
		if err != nil {
			t.Fatalf("URL %q: %s with its target %q: %v", u, scheme, target, err)
		}
		if p := ":" + defaultPorts[scheme]; !strings.HasPrefix(target[len(host):], p) && URLTarget(o.Value) != target {
			t.Fatalf("URL %q: %s with its target is %q, target %q", u, scheme, o.Value, URLTarget(o.Value))
		}
	}
}

// checkNoPAN fails when the error for input s could show a card number: a
// run of 12 to 19 digits (spaces and dashes between them ignored) that passes
// the Luhn check, or for type card any run of 12 digits or more.
// International phone numbers given as phone are exempt.
func checkNoPAN(t *testing.T, s string, e *Error) {
	if (e.Type == Phone || e.Type == PhoneRange) && looksInternational(s) {
		return
	}
	for _, run := range digitRuns(e.Value) {
		if e.Type == Card && len(run) >= minPANDigits ||
			len(run) >= minPANDigits && len(run) <= maxPANDigits && luhnValid([]byte(run)) {
			t.Fatalf("error %q for %q shows a card number", e.Error(), s)
		}
	}
}

// digitRuns returns the runs of digits in s, spaces and dashes between digits
// ignored.
func digitRuns(s string) []string {
	var runs []string
	var cur []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			cur = append(cur, c)
		case c == ' ' || c == '-':
		default:
			if len(cur) > 0 {
				runs = append(runs, string(cur))
				cur = cur[:0]
			}
		}
	}
	if len(cur) > 0 {
		runs = append(runs, string(cur))
	}
	return runs
}

func fuzzType(f *testing.F, typ Type, extra ...string) {
	seedFuzz(f, []Type{typ}, extra...)
	c := newTestCanonicalizer(f)
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, c, typ, s) })
}

func FuzzIPv4(f *testing.F) {
	fuzzType(f, IPv4, "0.0.0.0", "255.255.255.255", "1.2.3.4%eth0", "::ffff:255.255.255.255")
}

func FuzzIPv6(f *testing.F) {
	fuzzType(f, IPv6, "::", "::ffff:0.0.0.0", "1:2:3:4:5:6:7:8", "::1.2.3.4", "fe80::1%25eth0")
}

func FuzzCIDR(f *testing.F) {
	fuzzType(f, CIDR, "::/0", "::ffff:0.0.0.0/96", "1.2.3.4/0", "2001:db8::/129")
}

func FuzzDomain(f *testing.F) {
	fuzzType(f, Domain, "a.b.c.d.e.example.com", "xn--fa-hia.de", "例え.jp", "مثال.السعودية", "a\u200db.com", "x.。", "ß.de")
}

func FuzzURL(f *testing.F) {
	fuzzType(f, URL,
		"https://user:pw@xn--bcher-kva.de:8443/a/../b/./c?x=%41#f",
		"http://[::1]/", "http://a.com/%", "http://a.com/%4", "ws://a.com:80/..", "HTTP://A.COM:/",
		"http://a.com/./../.././", "http://a.com?#", "http://a.com/%2e%2E/%2E",
		"A://0.AC/"+strings.Repeat("\xe7", 1400)+"%\xd8A00%\xd8\xd8A%0A") // grows past the limit when encoded
}

func FuzzEmail(f *testing.F) {
	fuzzType(f, Email, "a@b.co", "a.b.c@d.example.org", "ÄÖÜ@example.de", "a+b=c@example.com")
}

func FuzzPhoneRange(f *testing.F) {
	fuzzType(f, PhoneRange, "+44 7700 900", "+4477009001xx", "00 1 202 555", "+12", "+800 1234", "+44", "+0", "+44 7700 900 12x3", "+"+strings.Repeat("9", 15))
}

func FuzzPhone(f *testing.F) {
	fuzzType(f, Phone, "+41 44 668 1800", "00 1 202 555 0199", "+49 (30) 1234567", "+7 495 123-45-67")
}

func FuzzHash(f *testing.F) {
	seedFuzz(f, []Type{MD5, SHA1, SHA256}, strings.Repeat("A", 64), strings.Repeat("0", 40))
	c := newTestCanonicalizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range []Type{MD5, SHA1, SHA256} {
			checkParse(t, c, typ, s)
		}
	})
}

func FuzzASN(f *testing.F) {
	fuzzType(f, ASN, "AS1", "asn 4294967294", "65535.65535", "AS00001")
}

func FuzzBTC(f *testing.F) {
	fuzzType(f, BTC, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "3FZbgi29cpjq2GjdwV8eyHuJJnkLtktZc5", "BC1", "1")
}

func FuzzETH(f *testing.F) {
	fuzzType(f, ETH, "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", "0x", "0x0000000000000000000000000000000000000000")
}

func FuzzOnion(f *testing.F) {
	fuzzType(f, Onion, "bbcnewsd73hkzno2ini43t4gblxvycyac5aw4gnv7t2rccijh7745uqd.onion", "x.y.z."+strings.Repeat("a", 56)+".onion")
}

func FuzzCard(f *testing.F) {
	seedFuzz(f, []Type{Card}, "4111 1111 1111 1111", "5555-5555-5555-4444", "4000 0566 5566 5556", "4111--1111 1111 1111")
	c := newTestCanonicalizer(f)
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, c, Card, s) })
}

func FuzzBIN(f *testing.F) {
	fuzzType(f, BIN, "123456", "12-34-56-78", "000000")
}

func FuzzDetect(f *testing.F) {
	seedFuzz(f, Types())
	for _, g := range goodCards {
		f.Add(g.in)
	}
	c := newTestCanonicalizer(f)
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, c, "", s) })
}

func FuzzRefang(f *testing.F) {
	for _, s := range []string{
		"hxxps://evil[.]example[.]com/login", "user[@]mail[.]ru", "1.2.3[.]4", "fxp[://]x[dot]y", "hxxp[:]//a(dot)b{.}c[/]d",
		" [.] ", "[[.].]", "HXXPS://X", "(at)(AT)[at]", "\xff[.]", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Refang(s)
		trimmed := strings.TrimSpace(s)
		if len(out) > len(trimmed) {
			t.Fatalf("Refang(%q) = %q is longer than its input", s, out)
		}
		if strings.TrimSpace(out) != out {
			t.Fatalf("Refang(%q) = %q has surrounding space", s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Refang(%q) = %q is not valid UTF-8", s, out)
		}
		if firstDefang(trimmed) < 0 && out != trimmed {
			t.Fatalf("Refang(%q) = %q changed a value with nothing to refang", s, out)
		}
	})
}
