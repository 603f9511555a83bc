package observable

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Address limits, RFC 5321 section 4.5.3.1.
const (
	maxLocalLen = 64
	maxEmailLen = 254
)

// parseEmail validates a bare address local@domain: no display name, no angle
// brackets, a dot-atom local part (RFC 5322, UTF-8 allowed as in RFC 6531) of
// at most 64 bytes, and a domain that passes the domain rules. The whole
// address is lowercased.
func parseEmail(s string) (Observable, string) {
	if !utf8.ValidString(s) {
		return Observable{}, "is not valid UTF-8"
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return Observable{}, "has no '@'"
	}
	local, domain := lowerLocal(s[:at]), s[at+1:]
	if reason := checkLocalPart(local); reason != "" {
		return Observable{}, reason
	}
	if domain == "" {
		return Observable{}, "has no domain"
	}
	if domain[0] == '[' {
		return Observable{}, "IP-literal domains are not supported"
	}
	d, reason := canonicalDomain(domain)
	if reason != "" {
		return Observable{}, "domain " + reason
	}
	v := local + "@" + d
	if len(v) > maxEmailLen {
		return Observable{}, "address is longer than 254 bytes"
	}
	return Observable{Type: Email, Value: v}, ""
}

// checkLocalPart checks a lowercased dot-atom local part.
func checkLocalPart(local string) string {
	switch {
	case local == "":
		return "has an empty local part"
	case len(local) > maxLocalLen:
		return "local part is longer than 64 bytes"
	case local[0] == '"':
		return "quoted local parts are not supported"
	case local[0] == '.' || local[len(local)-1] == '.':
		return "local part starts or ends with a dot"
	case strings.Contains(local, ".."):
		return "local part has two dots in a row"
	}
	for i := 0; i < len(local); {
		c := local[i]
		if c < utf8.RuneSelf {
			if !isAtext(c) && c != '.' {
				return notAllowed(local[i:], "the local part of an address")
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(local[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return notAllowed(local[i:], "the local part of an address")
		}
		i += size
	}
	return ""
}

// isAtext reports whether the ASCII byte c is atext (RFC 5322 section 3.2.3).
func isAtext(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// lowerLocal lowercases a local part; plain ASCII is handled without going
// through Unicode case mapping.
func lowerLocal(local string) string {
	if isASCII(local) {
		return toLowerASCII(local)
	}
	return strings.ToLower(local)
}
