package observable

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Domain name limits, RFC 1035 section 2.3.4.
const (
	maxDomainLen = 253
	maxLabelLen  = 63
)

// idnaProfile maps internationalised names to A-labels as for a lookup
// (UTS #46 non-transitional, Bidi rule). STD3 rules and the hyphen check are
// off because real host names carry underscores ("_dmarc.example.com") and
// "--" in the third and fourth position ("r3---sn-abc.googlevideo.com");
// checkLDH does the ASCII check that matters instead. A Profile is read-only
// and safe for concurrent use.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
	idna.Transitional(false),
	idna.BidiRule(),
)

// parseDomainType parses a value given as type domain.
func parseDomainType(s string) (Observable, string) {
	d, reason := canonicalDomain(s)
	if reason != "" {
		return Observable{}, reason
	}
	return Observable{Type: Domain, Value: d}, ""
}

// canonicalDomain validates a registrable-or-deeper domain name and returns it
// as lowercase A-labels without a trailing dot, or a reason.
func canonicalDomain(s string) (string, string) {
	name, reason := domainToASCII(s)
	if reason != "" {
		return "", reason
	}
	if reason := checkLDH(name); reason != "" {
		return "", reason
	}
	tld := name[strings.LastIndexByte(name, '.')+1:]
	if tld == "onion" {
		return "", "is an onion address: use type onion"
	}
	if isAllDigits(tld) {
		if _, err := netip.ParseAddr(name); err == nil {
			return "", "is an IP address, not a domain"
		}
	}
	suffix, icann := publicsuffix.PublicSuffix(name)
	if !icann && strings.IndexByte(suffix, '.') < 0 {
		return "", "unknown top-level domain " + strconv.Quote(tld)
	}
	if icann && suffix == name {
		return "", "is a public suffix, not a registrable domain"
	}
	return name, ""
}

// domainToASCII lowercases s and converts any U-labels to A-labels, dropping
// one trailing dot. Plain ASCII names without "xn--" labels skip IDNA, which
// would only lowercase them.
func domainToASCII(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "", "is not valid UTF-8"
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return "", "empty name"
	}
	if isASCII(name) && !hasACELabel(name) {
		return toLowerASCII(name), ""
	}
	out, err := idnaProfile.ToASCII(name)
	if err != nil {
		return "", "is not a valid internationalised domain name (" + strings.TrimPrefix(err.Error(), "idna: ") + ")"
	}
	// Mapping can turn a final ideographic full stop into a dot.
	out = strings.TrimSuffix(out, ".")
	if out == "" {
		return "", "empty name"
	}
	return out, ""
}

// checkLDH checks an A-label name: at least two labels of 1 to 63 bytes of
// [a-z0-9-_], none starting or ending with a hyphen, 253 bytes at most.
func checkLDH(name string) string {
	if len(name) > maxDomainLen {
		return "name is longer than 253 bytes"
	}
	labels := 0
	for rest := name; ; {
		label, after, more := strings.Cut(rest, ".")
		labels++
		switch {
		case label == "":
			return "has an empty label"
		case len(label) > maxLabelLen:
			return "label " + strconv.Quote(truncate(label, 20)) + " is longer than 63 bytes"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label " + strconv.Quote(label) + " starts or ends with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isLDH(c) {
				return notAllowed(label[i:], "a domain name")
			}
		}
		if !more {
			break
		}
		rest = after
	}
	if labels < 2 {
		return "has a single label, a domain needs at least two"
	}
	return ""
}

// isLDH reports whether c may appear in a lowercase A-label: letters, digits,
// hyphen, and the underscore found in service names.
func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || isDigit(c) || c == '-' || c == '_'
}

// hasACELabel reports whether some label of name starts with "xn--" in any
// case, so that its Punycode needs checking.
func hasACELabel(name string) bool {
	for i := 0; i+4 <= len(name); i++ {
		if (i == 0 || name[i-1] == '.') && hasPrefixFold(name[i:], "xn--") {
			return true
		}
	}
	return false
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isAllDigits reports whether s is non-empty and all ASCII digits.
func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// toLowerASCII lowercases the ASCII letters of s, without allocating when
// there are none to change.
func toLowerASCII(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		b[i] = lowerASCII(b[i])
	}
	return string(b)
}
