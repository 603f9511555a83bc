package observable

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
)

// testKey is the card key of the tests' Canonicalizer.
var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestCanonicalizer(tb testing.TB) *Canonicalizer {
	tb.Helper()
	c, err := New(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// good is a value that must parse: as typ, giving want (of type wantType
// when that differs from typ).
type good struct {
	typ      Type
	in       string
	want     string
	wantType Type
	region   string // phone
	numType  string // phone
}

var goodValues = []good{
	// ipv4
	{typ: IPv4, in: "1.2.3.4", want: "1.2.3.4"},
	{typ: IPv4, in: " 192.168.0.1\n", want: "192.168.0.1"},
	{typ: IPv4, in: "1.2.3[.]4", want: "1.2.3.4"},
	{typ: IPv4, in: "198(.)51(.)100{.}7", want: "198.51.100.7"},
	{typ: IPv4, in: "::ffff:1.2.3.4", want: "1.2.3.4"},
	{typ: IPv4, in: "::FFFF:102:304", want: "1.2.3.4"},

	// ipv6
	{typ: IPv6, in: "2001:DB8::1", want: "2001:db8::1"},
	{typ: IPv6, in: "2001:0db8:0000:0000:0000:0000:0000:0001", want: "2001:db8::1"},
	{typ: IPv6, in: "2001:db8:0:0:1:0:0:1", want: "2001:db8::1:0:0:1"},
	{typ: IPv6, in: "2001:db8::0:1", want: "2001:db8::1"},
	{typ: IPv6, in: "::1", want: "::1"},
	{typ: IPv6, in: "fe80::1", want: "fe80::1"},
	{typ: IPv6, in: "::ffff:1.2.3.4", want: "1.2.3.4", wantType: IPv4}, // mapped: always ipv4

	// cidr
	{typ: CIDR, in: "10.0.0.0/8", want: "10.0.0.0/8"},
	{typ: CIDR, in: "1.2.3.4/32", want: "1.2.3.4/32"},
	{typ: CIDR, in: "0.0.0.0/0", want: "0.0.0.0/0"},
	{typ: CIDR, in: "2001:DB8::/32", want: "2001:db8::/32"},
	{typ: CIDR, in: "2001:db8:0:0::/64", want: "2001:db8::/64"},
	{typ: CIDR, in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
	{typ: CIDR, in: "192.0.2[.]0[/]24", want: "192.0.2.0/24"},

	// domain
	{typ: Domain, in: "Example.COM.", want: "example.com"},
	{typ: Domain, in: "www.example.co.uk", want: "www.example.co.uk"},
	{typ: Domain, in: "bücher.de", want: "xn--bcher-kva.de"},
	{typ: Domain, in: "WWW.BÜCHER.DE", want: "www.xn--bcher-kva.de"},
	{typ: Domain, in: "xn--bcher-kva.de", want: "xn--bcher-kva.de"},
	{typ: Domain, in: "XN--BCHER-KVA.DE", want: "xn--bcher-kva.de"},
	{typ: Domain, in: "faß.de", want: "xn--fa-hia.de"}, // non-transitional: ß kept
	{typ: Domain, in: "ＥＸＡＭＰＬＥ．ｃｏｍ", want: "example.com"},
	{typ: Domain, in: "пример.рф", want: "xn--e1afmkfd.xn--p1ai"},
	{typ: Domain, in: "_dmarc.example.com", want: "_dmarc.example.com"},
	{typ: Domain, in: "r3---sn-abc.googlevideo.com", want: "r3---sn-abc.googlevideo.com"},
	{typ: Domain, in: "evil[.]example[.]com", want: "evil.example.com"},
	{typ: Domain, in: "evil[dot]example(DOT)com", want: "evil.example.com"},
	{typ: Domain, in: "duckdns.org", want: "duckdns.org"},
	{typ: Domain, in: "phish.duckdns.org", want: "phish.duckdns.org"},
	{typ: Domain, in: "github.io", want: "github.io"},
	{typ: Domain, in: "www.ck", want: "www.ck"}, // exception to *.ck
	{typ: Domain, in: "123.example.com", want: "123.example.com"},
	{typ: Domain, in: strings.Repeat("a", 63) + ".com", want: strings.Repeat("a", 63) + ".com"},

	// url
	{typ: URL, in: "HTTP://www.Example.COM/", want: "http://www.example.com/"},
	{typ: URL, in: "http://example.com", want: "http://example.com/"},
	{typ: URL, in: "http://example.com?q=1", want: "http://example.com/?q=1"},
	{typ: URL, in: "http://example.com/%7Esmith/home.html", want: "http://example.com/~smith/home.html"},
	{typ: URL, in: "http://example.com/%7esmith/%2fa%2Fb", want: "http://example.com/~smith/%2Fa%2Fb"},
	{typ: URL, in: "http://www.example.com/a%c2%b1b", want: "http://www.example.com/a%C2%B1b"},
	{typ: URL, in: "http://example.com/a/b/c/./../../g", want: "http://example.com/a/g"},
	{typ: URL, in: "http://example.com/mid/content=5/../6", want: "http://example.com/mid/6"},
	{typ: URL, in: "http://example.com/a/../../b", want: "http://example.com/b"},
	{typ: URL, in: "http://example.com/a/.", want: "http://example.com/a/"},
	{typ: URL, in: "http://example.com/a/b/..", want: "http://example.com/a/"},
	{typ: URL, in: "http://example.com/%2E%2e/a/%2e", want: "http://example.com/a/"},
	{typ: URL, in: "http://example.com/.hidden/..x", want: "http://example.com/.hidden/..x"},
	{typ: URL, in: "http://example.com//a//b", want: "http://example.com//a//b"},
	{typ: URL, in: "HTTP://EXAMPLE.COM/Path/Kept", want: "http://example.com/Path/Kept"},
	{typ: URL, in: "http://example.com:80/", want: "http://example.com/"},
	{typ: URL, in: "http://example.com:0080/", want: "http://example.com/"},
	{typ: URL, in: "http://example.com:/", want: "http://example.com/"},
	{typ: URL, in: "https://example.com:443/x", want: "https://example.com/x"},
	{typ: URL, in: "https://example.com:8443/x", want: "https://example.com:8443/x"},
	{typ: URL, in: "http://example.com:443/", want: "http://example.com:443/"},
	{typ: URL, in: "ftp://ftp.example.com:21/pub/", want: "ftp://ftp.example.com/pub/"},
	{typ: URL, in: "wss://example.com:443/socket", want: "wss://example.com/socket"},
	{typ: URL, in: "hxxps://evil[.]example[.]com/login", want: "https://evil.example.com/login"},
	{typ: URL, in: "hXXp://evil[.]example[.]com[/]a", want: "http://evil.example.com/a"},
	{typ: URL, in: "hxxps[://]evil[.]example[.]com", want: "https://evil.example.com/"},
	{typ: URL, in: "fxp://files[.]example[.]com/x", want: "ftp://files.example.com/x"},
	{typ: URL, in: "http://user:Pass@example.com/", want: "http://user:Pass@example.com/"},
	{typ: URL, in: "http://paypal.com@evil.example.com/", want: "http://paypal.com@evil.example.com/"},
	{typ: URL, in: "http://a@b@evil.example.com/", want: "http://a%40b@evil.example.com/"},
	{typ: URL, in: "http://example.com/path#fragment", want: "http://example.com/path"},
	{typ: URL, in: "http://example.com/?q=a+b&r=%2f&s=%7e#x", want: "http://example.com/?q=a+b&r=%2F&s=~"},
	{typ: URL, in: "http://example.com/?", want: "http://example.com/?"},
	{typ: URL, in: "http://example.com/a b?c d", want: "http://example.com/a%20b?c%20d"},
	{typ: URL, in: "http://example.com/ä?ü", want: "http://example.com/%C3%A4?%C3%BC"},
	{typ: URL, in: "http://example.com/%zz%4", want: "http://example.com/%25zz%254"},
	{typ: URL, in: "http://example.com/a\"<>{}|^`[]", want: "http://example.com/a%22%3C%3E%7B%7D%7C%5E%60%5B%5D"},
	{typ: URL, in: "http://example.com/\xff", want: "http://example.com/%FF"},
	{typ: URL, in: "http://[2001:DB8::1]:8080/", want: "http://[2001:db8::1]:8080/"},
	{typ: URL, in: "http://[::ffff:1.2.3.4]/", want: "http://1.2.3.4/"},
	{typ: URL, in: "http://1.2.3.4:8080/x", want: "http://1.2.3.4:8080/x"},
	{typ: URL, in: "http://bücher.de/", want: "http://xn--bcher-kva.de/"},
	{typ: URL, in: "http://%65xample.com/", want: "http://example.com/"},
	{typ: URL, in: "http://DuckDuckGoGG42XJOC72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/", want: "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/"},
	{typ: URL, in: "http://www.duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/", want: "http://www.duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/"},
	{typ: URL, in: "git+ssh://git.example.com/repo.git", want: "git+ssh://git.example.com/repo.git"},

	// email
	{typ: Email, in: "User@Example.COM", want: "user@example.com"},
	{typ: Email, in: "user[@]mail[.]ru", want: "user@mail.ru"},
	{typ: Email, in: "user(at)example(dot)com", want: "user@example.com"},
	{typ: Email, in: "First.Last+tag@bücher.de", want: "first.last+tag@xn--bcher-kva.de"},
	{typ: Email, in: "o'brien@example.ie", want: "o'brien@example.ie"},
	{typ: Email, in: "Ünïcödé@example.com", want: "ünïcödé@example.com"},
	{typ: Email, in: strings.Repeat("a", 64) + "@example.com", want: strings.Repeat("a", 64) + "@example.com"},

	// phone
	{typ: Phone, in: "+44 20 7946 0018", want: "+442079460018", region: "GB", numType: "fixed-line"},
	{typ: Phone, in: "0044 20 7946 0018", want: "+442079460018", region: "GB", numType: "fixed-line"},
	{typ: Phone, in: "+44 (0)20 7946 0018", want: "+442079460018", region: "GB", numType: "fixed-line"},
	{typ: Phone, in: "+1 (202) 555-0199", want: "+12025550199", region: "US", numType: "fixed-line-or-mobile"},
	{typ: Phone, in: "+1.800.555.0199", want: "+18005550199", region: "US", numType: "toll-free"},
	{typ: Phone, in: "+33 6 12 34 56 78", want: "+33612345678", region: "FR", numType: "mobile"},
	{typ: Phone, in: "+800 1234 5678", want: "+80012345678", region: "", numType: "toll-free"},

	// hashes
	{typ: MD5, in: "D41D8CD98F00B204E9800998ECF8427E", want: "d41d8cd98f00b204e9800998ecf8427e"},
	{typ: SHA1, in: "da39a3ee5e6b4b0d3255bfef95601890afd80709", want: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{typ: SHA256, in: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},

	// asn
	{typ: ASN, in: "AS64500", want: "AS64500"},
	{typ: ASN, in: "as64500", want: "AS64500"},
	{typ: ASN, in: "ASN64500", want: "AS64500"},
	{typ: ASN, in: "AS 15169", want: "AS15169"},
	{typ: ASN, in: "64500", want: "AS64500"},
	{typ: ASN, in: "1.10", want: "AS65546"},
	{typ: ASN, in: "AS0.100", want: "AS100"},
	{typ: ASN, in: "4294967294", want: "AS4294967294"},
	{typ: ASN, in: "65535.65534", want: "AS4294967294"},

	// btc
	{typ: BTC, in: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", want: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
	{typ: BTC, in: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", want: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
	{typ: BTC, in: "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", want: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
	{typ: BTC, in: "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", want: "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"},
	{typ: BTC, in: "BC1SW50QGDZ25J", want: "bc1sw50qgdz25j"},
	{typ: BTC, in: "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", want: "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"},
	{typ: BTC, in: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", want: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},

	// eth (EIP-55 test vectors)
	{typ: ETH, in: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", want: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
	{typ: ETH, in: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", want: "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"},
	{typ: ETH, in: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", want: "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"},
	{typ: ETH, in: "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", want: "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb"},
	{typ: ETH, in: "0x52908400098527886E0F7030069857D2E4169EE7", want: "0x52908400098527886e0f7030069857d2e4169ee7"},
	{typ: ETH, in: "0xde709f2102306220921060314715629080e2fb77", want: "0xde709f2102306220921060314715629080e2fb77"},

	// onion
	{typ: Onion, in: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", want: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
	{typ: Onion, in: "DUCKDUCKGOGG42XJOC72X3SJASOWOARFBGCMVFIMAFTT6TWAGSWZCZAD.ONION.", want: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
	{typ: Onion, in: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad", want: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
	{typ: Onion, in: "www.duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad[.]onion", want: "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
	{typ: Onion, in: "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion", want: "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"},

	// bin
	{typ: BIN, in: "411111", want: "411111"},
	{typ: BIN, in: "41111111", want: "41111111"},
	{typ: BIN, in: "4111 11", want: "411111"},
}

// goodCards are valid test PANs (no real card), with their BIN.
var goodCards = []struct{ in, digits, bin string }{
	{"4111 1111 1111 1111", "4111111111111111", "411111"},
	{"4111-1111-1111-1111", "4111111111111111", "411111"},
	{"4111111111111111", "4111111111111111", "411111"},
	{"5555555555554444", "5555555555554444", "555555"},
	{"3782 822463 10005", "378282246310005", "378282"},
	{"6011111111111117", "6011111111111117", "601111"},
	{"4000 0566 5566 5556", "4000056655665556", "400005"},
	{"6200000000000005", "6200000000000005", "620000"},
	{"4222222222222", "4222222222222", "422222"},
}

func TestParseGood(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, g := range goodValues {
		t.Run(string(g.typ)+"/"+g.in, func(t *testing.T) {
			o, err := c.Parse(g.typ, g.in)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", g.typ, g.in, err)
			}
			wantType := g.wantType
			if wantType == "" {
				wantType = g.typ
			}
			if o.Type != wantType || o.Value != g.want {
				t.Fatalf("Parse(%q, %q) = %s %q, want %s %q", g.typ, g.in, o.Type, o.Value, wantType, g.want)
			}
			if o.Region != g.region || o.NumberType != g.numType {
				t.Errorf("Parse(%q, %q): region %q, number type %q; want %q, %q", g.typ, g.in, o.Region, o.NumberType, g.region, g.numType)
			}
			if o.BIN != "" {
				t.Errorf("Parse(%q, %q): BIN %q set", g.typ, g.in, o.BIN)
			}
		})
	}
}

func TestParseCard(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, g := range goodCards {
		t.Run(g.in, func(t *testing.T) {
			o, err := c.Parse(Card, g.in)
			if err != nil {
				t.Fatalf("Parse(card, %q): %v", g.in, err)
			}
			if o.Type != Card || o.BIN != g.bin {
				t.Fatalf("Parse(card, %q) = %+v, want type card, BIN %s", g.in, o, g.bin)
			}
			if want := c.CardHash(g.digits); o.Value != want {
				t.Fatalf("Parse(card, %q) value %s, want CardHash %s", g.in, o.Value, want)
			}
			if want := c.CardHash(g.in); o.Value != want {
				t.Fatalf("CardHash(%q) = %s, want %s (separators ignored)", g.in, want, o.Value)
			}
			if len(o.Value) != 64 || o.Value != strings.ToLower(o.Value) {
				t.Fatalf("value %q is not lowercase hex SHA-256", o.Value)
			}
		})
	}
	t.Run("key matters", func(t *testing.T) {
		other, err := New([]byte(strings.Repeat("k", 32)))
		if err != nil {
			t.Fatal(err)
		}
		if c.CardHash("4111111111111111") == other.CardHash("4111111111111111") {
			t.Fatal("two card keys give the same hash")
		}
	})
}

func TestNew(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New with a %d-byte key: no error", n)
		}
	}
	key := []byte(strings.Repeat("x", 32))
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	before := c.CardHash("4111111111111111")
	key[0] = 'y' // the caller's slice must not be shared
	if c.CardHash("4111111111111111") != before {
		t.Fatal("New kept the caller's key slice")
	}
}

// bad is a value that must not parse as typ; the reason must contain reason.
type bad struct {
	typ    Type
	in     string
	reason string
}

var badValues = []bad{
	// ipv4
	{IPv4, "1.2.3.04", "leading zero"},
	{IPv4, "256.1.1.1", ">255"},
	{IPv4, "1.2.3", "too short"},
	{IPv4, "2001:db8::1", "is an IPv6 address"},
	{IPv4, "1.2.3.4/32", ""},
	{IPv4, "example.com", ""},
	{IPv4, "   ", "empty value"},
	{IPv4, strings.Repeat("1", 65), "longer than 64 bytes"},

	// ipv6
	{IPv6, "fe80::1%eth0", "zoned addresses are not accepted"},
	{IPv6, "1.2.3.4", "is an IPv4 address"},
	{IPv6, "2001:db8::g", ""},
	{IPv6, "2001:db8:::1", ""},
	{IPv6, "1:2:3:4:5:6:7:8:9", ""},

	// cidr
	{CIDR, "10.0.0.1/8", "host bits are set (network is 10.0.0.0/8)"},
	{CIDR, "2001:db8::1/32", "host bits are set (network is 2001:db8::/32)"},
	{CIDR, "10.0.0.0/33", ""},
	{CIDR, "10.0.0.0/08", ""},
	{CIDR, "10.0.0.0", ""},
	{CIDR, "::ffff:0:0/95", "at least /96"},
	{CIDR, "fe80::%eth0/64", ""},

	// domain
	{Domain, "co.uk", "is a public suffix, not a registrable domain"},
	{Domain, "com", "single label"},
	{Domain, "foo.notatld", `unknown top-level domain "notatld"`},
	{Domain, "localhost", "single label"},
	{Domain, "-foo.com", "hyphen"},
	{Domain, "foo-.com", "hyphen"},
	{Domain, "foo..com", "empty label"},
	{Domain, ".foo.com", "empty label"},
	{Domain, "foo.com..", "empty label"},
	{Domain, "exa mple.com", "not allowed"},
	{Domain, "exa!mple.com", "not allowed"},
	{Domain, "*.example.com", "not allowed"},
	{Domain, "example.com/path", "not allowed"},
	{Domain, "1.2.3.4", "is an IP address"},
	{Domain, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "use type onion"},
	{Domain, strings.Repeat("a", 64) + ".com", "longer than 63 bytes"},
	{Domain, strings.Repeat("abcdefghi.", 26) + "com", "longer than 253 bytes"},
	{Domain, "xn--abc.de", "internationalised"},
	{Domain, "example.com\xff", "UTF-8"},
	{Domain, "foo.ck", "public suffix"},
	{Domain, ".", "empty name"},

	// url
	{URL, "example.com/path", "no scheme"},
	{URL, "://example.com/", "no scheme"},
	{URL, "1http://example.com/", "start with a letter"},
	{URL, "ht_tp://example.com/", "not allowed in a scheme"},
	{URL, "http:example.com", "no authority"},
	{URL, "mailto:user@example.com", "no authority"},
	{URL, "http://", "no host"},
	{URL, "http:///path", "no host"},
	{URL, "http://user@/", "no host"},
	{URL, "http://example.com:99999/", "out of range"},
	{URL, "http://example.com:0/", "out of range"},
	{URL, "http://example.com:12345678901234567890/", "out of range"},
	{URL, "http://example.com:8o/", "not a number"},
	{URL, "http://localhost/", "single label"},
	{URL, "http://foo.notatld/", "unknown top-level domain"},
	{URL, "http://[fe80::1%25eth0]/", "zone"},
	{URL, "http://[::1/", "unclosed"},
	{URL, "http://[::1]x/", "after the IPv6 literal"},
	{URL, "http://[1.2.3.4]/", "not a valid IPv6 literal"},
	{URL, "http://[v1.fe]/", "IPvFuture"},
	{URL, "http://1.2.3.04/", "not a valid IPv4 address"},
	{URL, "http://1.2.3/", "not a valid IPv4 address"},
	{URL, "http://exa mple.com/", "not allowed"},
	{URL, "http://evil.example\\@good.example.com/", "backslash"},
	{URL, "http://%zz.com/", "percent-encoding"},
	{URL, "http://abc.onion/", "56 characters"},
	{URL, "http://" + strings.Repeat("a", 4096) + ".com/", "longer than 4096 bytes"},
	{URL, "http://example.com/" + strings.Repeat("ä", 700), "longer than 4096 bytes once normalised"},

	// email
	{Email, "John <john@example.com>", "not allowed"},
	{Email, "<john@example.com>", "not allowed"},
	{Email, "user@[1.2.3.4]", "IP-literal domains are not supported"},
	{Email, "@example.com", "empty local part"},
	{Email, "user@", "no domain"},
	{Email, "user.example.com", "no '@'"},
	{Email, ".user@example.com", "dot"},
	{Email, "user.@example.com", "dot"},
	{Email, "us..er@example.com", "two dots"},
	{Email, `"quoted"@example.com`, "quoted"},
	{Email, "us er@example.com", "not allowed"},
	{Email, "a@b@example.com", "not allowed"},
	{Email, strings.Repeat("a", 65) + "@example.com", "longer than 64 bytes"},
	{Email, "user@localhost", "single label"},
	{Email, "user@foo.notatld", "unknown top-level domain"},
	{Email, "user@co.uk", "public suffix"},
	{Email, "us\xffer@example.com", "UTF-8"},

	// phone
	{Phone, "020 7946 0018", "international format"},
	{Phone, "+44 20 7946 001", "not a valid number for region GB"},
	{Phone, "+999 1234 5678", "country code"},
	{Phone, "+44 20 7946 0018 ext 1", "not allowed"},
	{Phone, "+44/20/7946/0018", "not allowed"},
	{Phone, "+", "no digits"},
	{Phone, "+1 555", ""},
	{Phone, "+" + strings.Repeat("1", 40), ""},

	// hashes
	{MD5, "d41d8cd98f00b204e9800998ecf8427", "has 31 hex digits, md5 has 32"},
	{MD5, "d41d8cd98f00b204e9800998ecf8427g", "not allowed"},
	{SHA1, "d41d8cd98f00b204e9800998ecf8427e", "has 32 hex digits, sha1 has 40"},
	{SHA256, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha256 has 64"},
	{SHA256, "0x" + strings.Repeat("a", 62), "not allowed"},

	// asn
	{ASN, "AS0", "reserved"},
	{ASN, "0", "reserved"},
	{ASN, "AS4294967295", "reserved"},
	{ASN, "AS4294967296", "out of range"},
	{ASN, "AS99999999999999999999", "out of range"},
	{ASN, "AS", "no number"},
	{ASN, "ASx1", "not allowed"},
	{ASN, "AS-1", "not allowed"},
	{ASN, "1.65536", "asdot"},
	{ASN, "1.", "asdot"},
	{ASN, "1.2.3", "asdot"},

	// btc: BIP-173 and BIP-350 invalid vectors (mainnet and testnet)
	{BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum does not match"},
	{BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a", "not allowed"},
	{BTC, "1A1zP1eP5QG", "26 to 35"},
	{BTC, base58.CheckEncode(make([]byte, 20), versionTestnetP2PKH), "testnet addresses are not accepted"},
	{BTC, base58.CheckEncode(make([]byte, 20), versionTestnetP2SH), "testnet addresses are not accepted"},
	{BTC, base58.CheckEncode(make([]byte, 20), 0x30), "unknown address version"},
	{BTC, base58.CheckEncode(make([]byte, 19), versionP2PKH), "payload is 19 bytes"},
	{BTC, "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "testnet addresses are not accepted"},
	{BTC, "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "testnet addresses are not accepted"},
	{BTC, "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", "not allowed"},
	{BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum does not match"},
	{BTC, "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "witness version"},
	{BTC, "bc1rw5uspcuh", "witness program is 1 bytes"},
	{BTC, "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90", "witness program is 41 bytes"},
	{BTC, "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "witness v0 program is 16 bytes"},
	{BTC, "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", "padding"},
	{BTC, "bc1gmk9yu", "empty data section"},
	{BTC, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx", "must use bech32m"}, // BIP-173 v1, now invalid
	{BTC, "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", "must use bech32m"},
	{BTC, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "must use bech32m"},
	{BTC, "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "must use bech32m"},
	{BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "must use bech32, not bech32m"},
	{BTC, "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "character"},
	{BTC, "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "witness version"},
	{BTC, "bc1pw5dgrnzv", "witness program is 1 bytes"},
	{BTC, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "witness program is 41 bytes"},
	{BTC, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding"},
	{BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4", "mixes upper and lower case"},

	// eth
	{ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55 checksum does not match"},
	{ETH, "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "EIP-55 checksum does not match"},
	{ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "40 hex digits"},
	{ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedd", "40 hex digits"},
	{ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", "not allowed"},
	{ETH, "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", `start with "0x"`},

	// onion
	{Onion, "3g2upl4pq6kufc4m.onion", "v2 onion addresses are obsolete"},
	{Onion, "euckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "checksum does not match"},
	{Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzcza.onion", "56 characters, not 55"},
	{Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzcza1.onion", "not allowed"},
	{Onion, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion", "version"},
	{Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/path", "use type url"},
	{Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion:80", "use type url"},
	{Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.com", `does not end in ".onion"`},
	{Onion, "a..duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "empty label"},
	{Onion, ".onion", "56 characters, not 0"},

	// card
	{Card, "4111 1111 1111 1112", "luhn checksum does not match"},
	{Card, "4111", "has 4 digits"},
	{Card, "4111 1111 1111 1111 1111", "has 20 digits"},
	{Card, "4111x1111x1111x1111", "not allowed"},
	{Card, "-4111111111111111", "separator"},
	{Card, "4111111111111111-", "separator"},

	// bin
	{BIN, "41111", "has 5 digits"},
	{BIN, "411111111", "has 9 digits"},
	{BIN, "41a111", "not allowed"},

	// not a type
	{Type("ipv5"), "1.2.3.4", "unknown observable type"},
}

func TestParseBad(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, b := range badValues {
		t.Run(string(b.typ)+"/"+truncate(b.in, 80), func(t *testing.T) {
			o, err := c.Parse(b.typ, b.in)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %+v, want an error", b.typ, b.in, o)
			}
			e := checkError(t, err, b.typ)
			if !strings.Contains(e.Reason, b.reason) {
				t.Fatalf("Parse(%q, %q) reason %q, want it to contain %q", b.typ, b.in, e.Reason, b.reason)
			}
			if o != (Observable{}) {
				t.Fatalf("Parse(%q, %q) returned %+v with its error", b.typ, b.in, o)
			}
		})
	}
}

// checkError checks that err is an *Error for type typ with a value and a
// lowercase reason, and returns it.
func checkError(tb testing.TB, err error, typ Type) *Error {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Type != typ {
		tb.Fatalf("error %v has type %q, want %q", err, e.Type, typ)
	}
	if e.Reason == "" {
		tb.Fatalf("error %v has no reason", err)
	}
	if c := e.Reason[0]; 'A' <= c && c <= 'Z' && !startsWithAcronym(e.Reason) {
		tb.Fatalf("reason %q does not start in lowercase", e.Reason)
	}
	return e
}

// startsWithAcronym reports whether a reason starts with a word that is
// written in capitals by convention.
func startsWithAcronym(r string) bool {
	for _, a := range []string{"IPv4", "IPv6", "IP-literal", "IPvFuture", "EIP-55"} {
		if strings.HasPrefix(r, a) {
			return true
		}
	}
	return false
}

func TestErrorMessages(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, tc := range []struct {
		typ  Type
		in   string
		want string
	}{
		{CIDR, "10.0.0.1/8", `"10.0.0.1/8" is not a valid cidr: host bits are set (network is 10.0.0.0/8)`},
		{Domain, "foo.notatld", `"foo.notatld" is not a valid domain: unknown top-level domain "notatld"`},
		{"", "hello", `"hello" is not a recognisable observable: matches no observable type`},
		{"", "999.1.1.1", `"999.1.1.1" is not a valid ipv4: IPv4 field has value >255`},
		{"", "   ", `"   " is not a recognisable observable: empty value`},
		{Card, "4111 1111 1111 1112", `"411111…1112" is not a valid card: luhn checksum does not match`},
		{Card, "4111 1111", `"**** ****" is not a valid card: has 8 digits, a card number has 12 to 19`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := c.Parse(tc.typ, tc.in)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Parse(%q, %q) error %v, want %s", tc.typ, tc.in, err, tc.want)
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, g := range goodValues {
		t.Run(string(g.typ)+"/"+g.in, func(t *testing.T) {
			o, err := c.Parse(g.typ, g.in)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := c.Parse(o.Type, o.Value)
			if err != nil {
				t.Fatalf("Parse(%q, %q) (canonical): %v", o.Type, o.Value, err)
			}
			if o2 != o {
				t.Fatalf("Parse(%q, %q) = %+v, want %+v", o.Type, o.Value, o2, o)
			}
			// The canonical form is also detected as its own type.
			o3, err := c.Parse("", o.Value)
			if err != nil || o3 != o {
				t.Fatalf("Parse(\"\", %q) = %+v, %v; want %+v", o.Value, o3, err, o)
			}
		})
	}
	// A card's canonical value is a hash, which does not parse as a card;
	// every spelling of the PAN must give the same hash instead.
	for _, g := range goodCards {
		o1, err1 := c.Parse(Card, g.in)
		o2, err2 := c.Parse(Card, g.digits)
		if err1 != nil || err2 != nil || o1 != o2 {
			t.Errorf("card %q: %+v, %v; digits: %+v, %v", g.in, o1, err1, o2, err2)
		}
	}
}

// TestDetect checks that Parse with an empty type detects the expected type
// and gives the expected value, that Detect agrees, and that values that fit
// no type fail with an *Error of empty type.
func TestDetect(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, tc := range []struct {
		in    string
		typ   Type
		value string // "" for values expected to fail as typ
	}{
		{"hxxps://evil[.]example[.]com/login", URL, "https://evil.example.com/login"},
		{"HTTP://Example.com:80", URL, "http://example.com/"},
		{"http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/x", URL, "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/x"},
		{"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
		{"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad[.]onion", Onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"},
		{"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/login", Onion, ""},
		{"3g2upl4pq6kufc4m.onion", Onion, ""},
		{"user[@]mail[.]ru", Email, "user@mail.ru"},
		{"User@Example.com", Email, "user@example.com"},
		{"+44 20 7946 0018", Phone, "+442079460018"},
		{"0044 20 7946 0018", Phone, "+442079460018"},
		{"+1 (202) 555-0199", Phone, "+12025550199"},
		{"10.0.0.0/8", CIDR, "10.0.0.0/8"},
		{"10.0.0.1/8", CIDR, ""},
		{"2001:db8::/32", CIDR, "2001:db8::/32"},
		{"1.2.3[.]4", IPv4, "1.2.3.4"},
		{"1.2.3.4", IPv4, "1.2.3.4"},
		{"999.1.1.1", IPv4, ""},
		{"10.1.2", IPv4, ""},
		{"::ffff:1.2.3.4", IPv4, "1.2.3.4"},
		{"2001:DB8::1", IPv6, "2001:db8::1"},
		{"fe80::1%eth0", IPv6, ""},
		{"AS64500", ASN, "AS64500"},
		{"asn64500", ASN, "AS64500"},
		{"AS1.10", ASN, "AS65546"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"D41D8CD98F00B204E9800998ECF8427E", MD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"411111", BIN, "411111"},
		{"00123456", BIN, "00123456"},
		{"4111 1111 1111 1111", Card, newTestCanonicalizer(t).CardHash("4111111111111111")},
		{"4111 1111 1111 1112", Card, ""},
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", BTC, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", BTC, ""},
		{"evil[.]example[.]com", Domain, "evil.example.com"},
		{"bücher.de", Domain, "xn--bcher-kva.de"},
		{"foo.notatld", Domain, ""},
		{"1.2.3.4.5", Domain, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got, ok := Detect(tc.in); !ok || got != tc.typ {
				t.Fatalf("Detect(%q) = %q, %v; want %q", tc.in, got, ok, tc.typ)
			}
			o, err := c.Parse("", tc.in)
			if tc.value == "" {
				if err == nil {
					t.Fatalf("Parse(\"\", %q) = %+v, want an error", tc.in, o)
				}
				checkError(t, err, tc.typ)
				return
			}
			if err != nil {
				t.Fatalf("Parse(\"\", %q): %v", tc.in, err)
			}
			if o.Type != tc.typ || o.Value != tc.value {
				t.Fatalf("Parse(\"\", %q) = %s %q, want %s %q", tc.in, o.Type, o.Value, tc.typ, tc.value)
			}
			if want, _ := c.Parse(tc.typ, tc.in); o != want {
				t.Fatalf("Parse(\"\", %q) = %+v, Parse(%q, ...) = %+v", tc.in, o, tc.typ, want)
			}
		})
	}
	for _, in := range []string{"", "   ", "hello", "12345", "123456789", "AS", "0x1234", "a:b", strings.Repeat("x", 5000)} {
		t.Run("none/"+truncate(in, 20), func(t *testing.T) {
			if got, ok := Detect(in); ok {
				t.Fatalf("Detect(%q) = %q, want none", in, got)
			}
			_, err := c.Parse("", in)
			if err == nil {
				t.Fatalf("Parse(\"\", %q): no error", in)
			}
			e := checkError(t, err, "")
			if len(e.Value) > 2*maxErrorValue {
				t.Fatalf("error value is %d bytes long", len(e.Value))
			}
		})
	}
}

// TestConcurrentParse runs Parse from several goroutines; run it with -race.
func TestConcurrentParse(t *testing.T) {
	c := newTestCanonicalizer(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, g := range goodValues {
				if _, err := c.Parse(g.typ, g.in); err != nil {
					t.Error(err)
				}
			}
			for _, g := range goodCards {
				if _, err := c.Parse("", g.in); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestURLTarget(t *testing.T) {
	c := newTestCanonicalizer(t)
	for _, tc := range []struct{ in, target, host string }{
		{"https://login-bank-a.example.com/kit/", "login-bank-a.example.com/kit/", "login-bank-a.example.com"},
		{"http://LOGIN-BANK-A.example.com:80/kit/", "login-bank-a.example.com/kit/", "login-bank-a.example.com"},
		{"https://user:pw@example.com:8443/a?b=c#frag", "example.com:8443/a?b=c", "example.com"},
		{"http://paypal.com@evil.example.com/x", "evil.example.com/x", "evil.example.com"},
		{"http://[2001:db8::1]:8080/", "[2001:db8::1]:8080/", "[2001:db8::1]"},
		{"http://192.0.2.7?q", "192.0.2.7/?q", "192.0.2.7"},
	} {
		o, err := c.Parse(URL, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := URLTarget(o.Value); got != tc.target {
			t.Errorf("URLTarget(%q) = %q, want %q", o.Value, got, tc.target)
		}
		if got := URLHost(o.Value); got != tc.host {
			t.Errorf("URLHost(%q) = %q, want %q", o.Value, got, tc.host)
		}
	}
	if URLTarget("example.com") != "example.com" || URLHost("example.com") != "" {
		t.Error("a value that is not a URL must come back as it is, with no host")
	}
}
