package stix

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"fusion/internal/observable"
)

func TestValues(t *testing.T) {
	const sha256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
	tests := []struct {
		in   string
		want []Value
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, []Value{{observable.IPv4, "198.51.100.1"}}},
		{`[ipv4-addr:value = '198.51.100.0/24']`, []Value{{observable.CIDR, "198.51.100.0/24"}}},
		{`[ipv6-addr:value = '2001:db8::1']`, []Value{{observable.IPv6, "2001:db8::1"}}},
		{`[ipv6-addr:value = '2001:db8::/32']`, []Value{{observable.CIDR, "2001:db8::/32"}}},
		{`[domain-name:value = 'evil.example.com']`, []Value{{observable.Domain, "evil.example.com"}}},
		{`[domain-name:value = 'EXAMPLEabc.ONION']`, []Value{{observable.Onion, "EXAMPLEabc.ONION"}}},
		{`[url:value = 'http://evil.example.com/it\'s']`, []Value{{observable.URL, "http://evil.example.com/it's"}}},
		{`[email-addr:value = 'a@example.com']`, []Value{{observable.Email, "a@example.com"}}},
		{`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`, []Value{{observable.MD5, "cead3f77f6cda6ec00f57d76c9a6879f"}}},
		{`[file:hashes.md5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`, []Value{{observable.MD5, "cead3f77f6cda6ec00f57d76c9a6879f"}}},
		{`[file:hashes.'SHA-1' = 'a']`, []Value{{observable.SHA1, "a"}}},
		{`[file:hashes.'SHA-256' = '` + sha256 + `']`, []Value{{observable.SHA256, sha256}}},
		{`[autonomous-system:number = 64500]`, []Value{{observable.ASN, "AS64500"}}},
		// OR inside one observation, across observations, IN, and spellings
		// of one hash name; duplicates go.
		{`[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '203.0.113.0/24' OR ipv4-addr:value = '198.51.100.1']`,
			[]Value{{observable.IPv4, "198.51.100.1"}, {observable.CIDR, "203.0.113.0/24"}}},
		{`[domain-name:value = 'a.example'] OR ([domain-name:value = 'b.example'] OR [domain-name:value IN ('c.example', 'a.example')])`,
			[]Value{{observable.Domain, "a.example"}, {observable.Domain, "b.example"}, {observable.Domain, "c.example"}}},
		{`[file:hashes.'SHA-256' = 'a' OR file:hashes.sha256 = 'b' OR file:hashes.'sha-256' = 'c']`,
			[]Value{{observable.SHA256, "a"}, {observable.SHA256, "b"}, {observable.SHA256, "c"}}},
		{`[(url:value = 'http://a.example/' OR (url:value = 'http://b.example/'))]`,
			[]Value{{observable.URL, "http://a.example/"}, {observable.URL, "http://b.example/"}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Values(p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValuesRefused(t *testing.T) {
	tests := []struct{ in, reason string }{
		{`[file:hashes.MD5 = 'a'] FOLLOWEDBY [file:hashes.MD5 = 'b']`, "pattern: FOLLOWEDBY between observations is not a set of indicator values"},
		{`[file:hashes.MD5 = 'a'] AND [file:hashes.MD5 = 'b']`, "pattern: AND between observations is not a set of indicator values"},
		{`[file:hashes.MD5 = 'a'] OR [file:hashes.MD5 = 'b'] AND [file:hashes.MD5 = 'c']`, "pattern: AND between observations is not a set of indicator values"},
		{`[file:hashes.MD5 = 'a' AND file:hashes.MD5 = 'b']`, "pattern: AND between comparisons is not a set of indicator values"},
		{`[ipv4-addr:value = '198.51.100.1'] WITHIN 5 SECONDS`, "pattern: qualifier WITHIN is not a set of indicator values"},
		{`[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES`, "pattern: qualifier REPEATS is not a set of indicator values"},
		{`[ipv4-addr:value = '198.51.100.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, "pattern: qualifier START is not a set of indicator values"},
		{`[domain-name:value LIKE '%.example.com']`, "pattern: comparison operator LIKE on domain-name:value is not an exact value"},
		{`[domain-name:value MATCHES '^evil']`, "pattern: comparison operator MATCHES on domain-name:value is not an exact value"},
		{`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, "pattern: comparison operator ISSUBSET on ipv4-addr:value is not an exact value"},
		{`[ipv4-addr:value != '198.51.100.1']`, "pattern: comparison operator != on ipv4-addr:value is not an exact value"},
		{`[autonomous-system:number > 5]`, "pattern: comparison operator > on autonomous-system:number is not an exact value"},
		{`[ipv4-addr:value NOT = '198.51.100.1']`, "pattern: comparison operator NOT = on ipv4-addr:value is not an exact value"},
		{`[ipv4-addr:value NOT IN ('198.51.100.1')]`, "pattern: comparison operator NOT IN on ipv4-addr:value is not an exact value"},
		{`[EXISTS file:hashes.MD5]`, "pattern: EXISTS on file:hashes.MD5 is not an exact value"},
		{`[ipv4-addr:value = '198.51.100.1' OR EXISTS file:hashes.MD5]`, "pattern: EXISTS on file:hashes.MD5 is not an exact value"},
		{`[domain-name:value = 'a.example' OR ipv4-addr:value = '198.51.100.1']`, "pattern: comparisons on domain-name:value and ipv4-addr:value are not one observable type"},
		{`[file:hashes.MD5 = 'a'] OR [file:hashes.'SHA-1' = 'b']`, "pattern: comparisons on file:hashes.MD5 and file:hashes.'SHA-1' are not one observable type"},
		{`[file:hashes.MD5 = 'a' OR file:name = 'b']`, "pattern: comparisons on file:hashes.MD5 and file:name are not one observable type"},
		{`[file:hashes.'SHA-512' = 'a']`, "pattern: file:hashes.'SHA-512' is not a property fusion takes values from"},
		{`[x509-certificate:issuer = 'CN=x']`, "pattern: x509-certificate:issuer is not a property fusion takes values from"},
		{`[domain-name:resolves_to_refs[*].value = '198.51.100.1']`, "pattern: domain-name:resolves_to_refs[*].value is not a property fusion takes values from"},
		{`[network-traffic:dst_ref.value = '198.51.100.1']`, "pattern: network-traffic:dst_ref.value is not a property fusion takes values from"},
		{`[ipv4-addr:value = 3325256705]`, "pattern: ipv4-addr:value compared with 3325256705: a integer, expected a string"},
		{`[autonomous-system:number = '64500']`, "pattern: autonomous-system:number compared with '64500': a string, expected an integer"},
		{`[autonomous-system:number = 0]`, "pattern: autonomous-system:number compared with 0: an AS number is from 1 to 4294967294"},
		{`[autonomous-system:number = 4294967295]`, "pattern: autonomous-system:number compared with 4294967295: an AS number is from 1 to 4294967294"},
		{`[url:value IN ()]`, "pattern: url:value IN () names no value"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Values(p)
			if err == nil {
				t.Fatalf("Values accepted it as %v", got)
			}
			var re *RefusalError
			if !errors.Is(err, ErrNotValues) || !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a refusal", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.reason) {
				t.Fatalf("reason\n got %s\nwant %s", err, tc.reason)
			}
		})
	}
}

func TestPatternFor(t *testing.T) {
	tests := []struct {
		o    observable.Observable
		want string
	}{
		{observable.Observable{Type: observable.IPv4, Value: "198.51.100.1"}, `[ipv4-addr:value = '198.51.100.1']`},
		{observable.Observable{Type: observable.IPv6, Value: "2001:db8::1"}, `[ipv6-addr:value = '2001:db8::1']`},
		{observable.Observable{Type: observable.CIDR, Value: "198.51.100.0/24"}, `[ipv4-addr:value = '198.51.100.0/24']`},
		{observable.Observable{Type: observable.CIDR, Value: "2001:db8::/32"}, `[ipv6-addr:value = '2001:db8::/32']`},
		{observable.Observable{Type: observable.Domain, Value: "evil.example.com"}, `[domain-name:value = 'evil.example.com']`},
		{observable.Observable{Type: observable.Onion, Value: "abc.onion"}, `[domain-name:value = 'abc.onion']`},
		{observable.Observable{Type: observable.URL, Value: `http://x.example/it's\here`}, `[url:value = 'http://x.example/it\'s\\here']`},
		{observable.Observable{Type: observable.Email, Value: "a@example.com"}, `[email-addr:value = 'a@example.com']`},
		{observable.Observable{Type: observable.MD5, Value: "cead3f77f6cda6ec00f57d76c9a6879f"}, `[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`},
		{observable.Observable{Type: observable.SHA1, Value: "00"}, `[file:hashes.'SHA-1' = '00']`},
		{observable.Observable{Type: observable.SHA256, Value: "00"}, `[file:hashes.'SHA-256' = '00']`},
		{observable.Observable{Type: observable.ASN, Value: "AS64500"}, `[autonomous-system:number = 64500]`},
	}
	for _, tc := range tests {
		got, err := PatternFor(tc.o)
		if err != nil {
			t.Errorf("%s %s: %v", tc.o.Type, tc.o.Value, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.o.Type, tc.o.Value, got, tc.want)
		}
	}

	refused := []struct {
		o      observable.Observable
		reason string
	}{
		{observable.Observable{Type: observable.Phone, Value: "+442079460018"}, "stix: phone: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.PhoneRange, Value: "+4479460"}, "stix: phone-range: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.Card, Value: "ab12"}, "stix: card: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.BIN, Value: "411111"}, "stix: bin: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.BTC, Value: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}, "stix: btc: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.ETH, Value: "0x0"}, "stix: eth: observable type has no STIX pattern"},
		{observable.Observable{Type: observable.IPv4, Value: "198.51.100.0/24"}, `stix: ipv4 "198.51.100.0/24": an address has no prefix length`},
		{observable.Observable{Type: observable.CIDR, Value: "198.51.100.1"}, `stix: cidr "198.51.100.1": a cidr has a prefix length`},
		{observable.Observable{Type: observable.Domain, Value: "abc.onion"}, `stix: domain "abc.onion": a .onion name is of type onion`},
		{observable.Observable{Type: observable.Onion, Value: "abc.example"}, `stix: onion "abc.example": an onion address ends in .onion`},
		{observable.Observable{Type: observable.ASN, Value: "64500"}, `stix: asn "64500": an asn is "AS" and a number`},
		{observable.Observable{Type: observable.ASN, Value: "AS0"}, `stix: asn "AS0": an asn is "AS" and a number`},
		{observable.Observable{Type: observable.ASN, Value: "AS+5"}, `stix: asn "AS+5": an asn is "AS" and a number`},
	}
	for _, tc := range refused {
		got, err := PatternFor(tc.o)
		if err == nil {
			t.Errorf("%s %s: accepted as %s", tc.o.Type, tc.o.Value, got)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.reason) {
			t.Errorf("%s %s:\n got %v\nwant %s", tc.o.Type, tc.o.Value, err, tc.reason)
		}
	}
}

// patternTypes are the observable types PatternFor takes.
var patternTypes = []observable.Type{
	observable.IPv4, observable.IPv6, observable.CIDR, observable.Domain, observable.Onion,
	observable.URL, observable.Email, observable.MD5, observable.SHA1, observable.SHA256, observable.ASN,
}

// genRawValue draws an input for type t, to be canonicalized. Strings mix
// the characters that need escaping (' and \) with ordinary and non-ASCII
// ones.
func genRawValue(t *rapid.T, typ observable.Type) string {
	tricky := rapid.StringOf(rapid.SampledFrom([]rune{'\'', '\\', 'a', 'Z', '0', '-', '.', '/', '%', ' ', 'é', '日', '"'}))
	label := rapid.StringMatching(`[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?`)
	switch typ {
	case observable.IPv4:
		b := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "ipv4")
		return netip.AddrFrom4([4]byte(b)).String()
	case observable.IPv6:
		b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "ipv6")
		return netip.AddrFrom16([16]byte(b)).String()
	case observable.CIDR:
		if rapid.Bool().Draw(t, "v6") {
			b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "net6")
			p, _ := netip.AddrFrom16([16]byte(b)).Prefix(rapid.IntRange(24, 128).Draw(t, "bits6"))
			return p.String()
		}
		b := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "net4")
		p, _ := netip.AddrFrom4([4]byte(b)).Prefix(rapid.IntRange(8, 32).Draw(t, "bits4"))
		return p.String()
	case observable.Domain:
		return label.Draw(t, "l1") + "." + label.Draw(t, "l2") + "." + rapid.SampledFrom([]string{"com", "co.uk", "de", "org"}).Draw(t, "tld")
	case observable.Onion:
		// A v3 address needs a valid checksum; draw among real ones.
		return rapid.SampledFrom([]string{
			"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
			"2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
		}).Draw(t, "onion")
	case observable.URL:
		return "https://" + label.Draw(t, "host") + ".example.com/" + tricky.Draw(t, "path")
	case observable.Email:
		return rapid.StringMatching(`[a-z0-9.!#$%&*+/=?^_{|}~-]{1,20}`).Draw(t, "local") + "@" + label.Draw(t, "host") + ".example.com"
	case observable.MD5:
		return rapid.StringMatching(`[0-9a-fA-F]{32}`).Draw(t, "md5")
	case observable.SHA1:
		return rapid.StringMatching(`[0-9a-fA-F]{40}`).Draw(t, "sha1")
	case observable.SHA256:
		return rapid.StringMatching(`[0-9a-fA-F]{64}`).Draw(t, "sha256")
	case observable.ASN:
		return fmt.Sprintf("AS%d", rapid.Uint32Range(1, 4294967294).Draw(t, "asn"))
	}
	t.Fatalf("no generator for %s", typ)
	return ""
}

// TestPatternRoundTrip: for a canonical fusion observable, parsing the
// pattern PatternFor builds and extracting its values gives back exactly the
// observable's type and value.
func TestPatternRoundTrip(t *testing.T) {
	c, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom(patternTypes).Draw(t, "type")
		raw := genRawValue(t, typ)
		o, err := c.Parse(typ, raw)
		if err != nil {
			t.Skipf("not a valid %s: %v", typ, err)
		}
		roundTrip(t, o)
	})
}

// TestPatternRoundTripAnyString: quoting holds for any string value, not
// only canonical ones: quotes, backslashes, newlines, non-ASCII and invalid
// UTF-8 come back unchanged.
func TestPatternRoundTripAnyString(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom([]observable.Type{observable.URL, observable.Email, observable.MD5, observable.SHA1, observable.SHA256}).Draw(t, "type")
		v := string(rapid.SliceOf(rapid.Byte()).Draw(t, "bytes"))
		if rapid.Bool().Draw(t, "text") {
			v = rapid.String().Draw(t, "string")
		}
		roundTrip(t, observable.Observable{Type: typ, Value: v})
	})
}

func roundTrip(t *rapid.T, o observable.Observable) {
	s, err := PatternFor(o)
	if err != nil {
		t.Fatalf("PatternFor(%s %q): %v", o.Type, o.Value, err)
	}
	p, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	if p.String() != s {
		t.Fatalf("String %s, built %s", p.String(), s)
	}
	vals, err := Values(p)
	if err != nil {
		t.Fatalf("Values(%s): %v", s, err)
	}
	want := []Value{{Type: o.Type, Value: o.Value}}
	if !reflect.DeepEqual(vals, want) {
		t.Fatalf("%s gives %v, want %v", s, vals, want)
	}
}
