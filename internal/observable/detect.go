package observable

import (
	"net/netip"
	"strings"
)

// Detect returns the most likely type of raw, after refanging, without fully
// validating it; Parse with an empty type uses it. The rules, in order:
//
//	contains "://"                                   url
//	ends in ".onion" or has a ".onion" host          onion
//	contains "@"                                     email
//	"+" or "00" then digits and separators           phone
//	parses as an IP prefix                           cidr
//	parses as an IP address                          ipv4 (also IPv4-mapped) or ipv6
//	two to four dot-separated runs of digits         ipv4 (an invalid one: "999.1.1.1")
//	"AS" or "ASN" and a number (asplain or asdot)    asn
//	"0x" and 40 hex digits                           eth
//	32, 40 or 64 hex digits                          md5, sha1, sha256
//	digits (spaces and dashes ignored): 6 to 8       bin
//	                                    12 to 19     card
//	base58, starts with 1 or 3, 26 to 35 characters,
//	or starts with "bc1" (or testnet "tb1")          btc
//	contains a dot                                   domain
//
// A "00" number must have at least seven digits after the "00", so that a
// six- to eight-digit BIN is not taken for one. Detect reports false when no
// rule fits.
func Detect(raw string) (Type, bool) {
	return detect(Refang(raw))
}

// detect is Detect on a refanged value.
func detect(s string) (Type, bool) {
	if s == "" || len(s) > maxURLInput {
		return "", false
	}
	if strings.Contains(s, "://") {
		return URL, true
	}
	if hasOnionHost(s) {
		return Onion, true
	}
	if strings.IndexByte(s, '@') >= 0 {
		return Email, true
	}
	if looksLikePhone(s) {
		return Phone, true
	}
	if t, ok := detectIP(s); ok {
		return t, true
	}
	if looksLikeIPv4(s) {
		return IPv4, true // "999.1.1.1": an invalid address, not a domain (no top-level domain is all digits)
	}
	if looksLikeASN(s) {
		return ASN, true
	}
	if len(s) == 42 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHexString(s[2:]) {
		return ETH, true
	}
	if isHexString(s) {
		switch len(s) {
		case 32:
			return MD5, true
		case 40:
			return SHA1, true
		case 64:
			return SHA256, true
		}
	}
	if n, ok := countSeparatedDigits(s); ok {
		switch {
		case minBINDigits <= n && n <= maxBINDigits:
			return BIN, true
		case minPANDigits <= n && n <= maxPANDigits:
			return Card, true
		}
	}
	if looksLikeBTC(s) {
		return BTC, true
	}
	if strings.IndexByte(s, '.') >= 0 {
		return Domain, true
	}
	return "", false
}

// detectFailure is the reason, and whether it is about length, for a value
// detect found no type for.
func detectFailure(s string) (string, bool) {
	switch {
	case s == "":
		return "empty value", false
	case len(s) > maxURLInput:
		return tooLongReason(maxURLInput), true
	}
	return "matches no observable type", false
}

// hasOnionHost reports whether s ends in ".onion" or its host part (before
// any path, query or port) does.
func hasOnionHost(s string) bool {
	if isOnionName(s) {
		return true
	}
	host := s
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && isAllDigits(host[i+1:]) {
		host = host[:i]
	}
	return isOnionName(host)
}

// looksLikePhone reports whether s is "+" or "00" followed by digits and
// separators (space . - ( )), with at least one digit after "+" and seven
// after "00", and at most 20.
func looksLikePhone(s string) bool {
	var rest string
	minDigits := 1
	switch {
	case s[0] == '+':
		rest = s[1:]
	case len(s) > 2 && s[0] == '0' && s[1] == '0':
		rest, minDigits = s[2:], 7
	default:
		return false
	}
	digits := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case isDigit(c):
			digits++
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return minDigits <= digits && digits <= 20
}

// detectIP recognises an IP prefix or address. It runs net/netip only on
// strings made of the characters those can hold, so that detecting a domain
// costs no failed parse.
func detectIP(s string) (Type, bool) {
	colon, slash, letter := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c) || c == '.':
		case isHexDigit(c):
			letter = true
		case c == ':':
			colon = true
		case c == '/':
			slash = true
		case c == '%':
			// A zone: let ParseAddr accept it so that Parse can refuse it
			// with a clear reason.
			if !colon {
				return "", false
			}
			return detectZoned(s)
		default:
			return "", false
		}
	}
	if !colon && (letter || !isDigit(s[len(s)-1])) {
		return "", false
	}
	if slash {
		if _, err := netip.ParsePrefix(s); err == nil {
			return CIDR, true
		}
		return "", false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	if a.Unmap().Is4() {
		return IPv4, true
	}
	return IPv6, true
}

// detectZoned recognises an IPv6 address with a zone ("fe80::1%eth0").
func detectZoned(s string) (Type, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() == "" {
		return "", false
	}
	return IPv6, true
}

// looksLikeASN reports whether s is "AS" or "ASN" (any case), an optional
// space, and a number in asplain or asdot notation.
func looksLikeASN(s string) bool {
	switch {
	case hasPrefixFold(s, "asn"):
		s = s[3:]
	case hasPrefixFold(s, "as"):
		s = s[2:]
	default:
		return false
	}
	s = strings.TrimPrefix(s, " ")
	hi, lo, dot := strings.Cut(s, ".")
	if dot {
		return isAllDigits(hi) && isAllDigits(lo)
	}
	return isAllDigits(s)
}

// isHexString reports whether s is non-empty and all hex digits.
func isHexString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

// countSeparatedDigits counts the digits of s when s is only digits, spaces
// and dashes, starting and ending with a digit.
func countSeparatedDigits(s string) (int, bool) {
	if !isDigit(s[0]) || !isDigit(s[len(s)-1]) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			n++
		case c == ' ' || c == '-':
		default:
			return 0, false
		}
	}
	return n, true
}

// looksLikeBTC reports whether s looks like a Bitcoin address: base58 of 26
// to 35 characters starting with 1 or 3, or a segwit address starting with
// "bc1" (or "tb1", which Parse refuses as testnet).
func looksLikeBTC(s string) bool {
	if hasPrefixFold(s, "bc1") || hasPrefixFold(s, "tb1") {
		return isAlnum(s)
	}
	if len(s) < 26 || len(s) > 35 || (s[0] != '1' && s[0] != '3') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base58Alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// isAlnum reports whether s is all ASCII letters and digits.
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// looksLikeIPv4 reports whether s is two to four dot-separated runs of
// decimal digits, as an address written wrongly is.
func looksLikeIPv4(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(labels) > 4 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Trim(l, "0123456789") != "" {
			return false
		}
	}
	return true
}
