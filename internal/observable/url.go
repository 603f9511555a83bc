package observable

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxURLInput is the longest URL accepted, in bytes.
const maxURLInput = 4096

// URL components, for percent-encoding normalisation.
const (
	compUserinfo = iota
	compPath
	compQuery
)

// defaultPorts are the ports dropped from URLs of these schemes.
var defaultPorts = map[string]string{
	"http":  "80",
	"https": "443",
	"ftp":   "21",
	"ws":    "80",
	"wss":   "443",
}

// parseURL validates and normalises an absolute URL with an authority:
//
//   - scheme lowercased, host canonicalized (domain, IPv4, bracketed IPv6 or
//     v3 onion), default port dropped, userinfo kept;
//   - percent-encoding normalised in userinfo, path and query (RFC 3986
//     section 6.2.2): hex digits in uppercase, unreserved characters decoded,
//     characters not allowed in the component encoded, a stray '%' as "%25";
//   - dot segments removed from the path, an empty path made "/";
//   - the fragment dropped.
//
// It does not go through net/url, whose String re-encodes differently from
// how the URL was given.
func parseURL(s string) (Observable, string) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return Observable{}, "has no scheme"
	}
	scheme := s[:colon]
	if reason := checkScheme(scheme); reason != "" {
		return Observable{}, reason
	}
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return Observable{}, "has no authority (\"//\" after the scheme)"
	}
	rest = rest[2:]

	// Authority ends at the first '/', '?' or '#'.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if strings.IndexByte(authority, '\\') >= 0 {
		return Observable{}, "has a backslash in the authority, which browsers read as '/'"
	}
	rest, _, _ = strings.Cut(rest, "#") // the fragment is dropped
	path, query, hasQuery := strings.Cut(rest, "?")

	userinfo, hostport, hasUserinfo := "", authority, false
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hostport, hasUserinfo = authority[:at], authority[at+1:], true
	}
	host, port, reason := splitHostPort(hostport)
	if reason != "" {
		return Observable{}, reason
	}
	host, reason = canonicalURLHost(host)
	if reason != "" {
		return Observable{}, reason
	}
	port, reason = canonicalPort(port)
	if reason != "" {
		return Observable{}, reason
	}

	b := make([]byte, 0, len(s)+16)
	b = appendLowerASCII(b, scheme)
	b = append(b, "://"...)
	if hasUserinfo {
		b = appendNormalized(b, userinfo, compUserinfo)
		b = append(b, '@')
	}
	b = append(b, host...)
	if port != "" && defaultPorts[string(b[:len(scheme)])] != port {
		b = append(b, ':')
		b = append(b, port...)
	}
	pathStart := len(b)
	if path == "" {
		b = append(b, '/')
	} else {
		b = appendNormalized(b, path, compPath)
		b = b[:pathStart+len(removeDotSegments(b[pathStart:]))]
	}
	if hasQuery {
		b = append(b, '?')
		b = appendNormalized(b, query, compQuery)
	}
	if len(b) > maxURLInput {
		// Percent-encoding can triple a byte; the canonical form must parse
		// again.
		return Observable{}, "longer than " + strconv.Itoa(maxURLInput) + " bytes once normalised"
	}
	return Observable{Type: URL, Value: string(b)}, ""
}

// checkScheme checks a scheme against ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func checkScheme(scheme string) string {
	if scheme == "" {
		return "has no scheme"
	}
	if !isAlpha(scheme[0]) {
		return "scheme does not start with a letter"
	}
	for i := 1; i < len(scheme); i++ {
		if !isSchemeChar(scheme[i]) {
			return notAllowed(scheme[i:], "a scheme")
		}
	}
	return ""
}

// splitHostPort splits "host[:port]" or "[v6]:port". The port may be empty.
func splitHostPort(hp string) (host, port, reason string) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", "has an unclosed '[' in the host"
		}
		host, rest := hp[:end+1], hp[end+1:]
		if rest == "" {
			return host, "", ""
		}
		if rest[0] != ':' {
			return "", "", "has characters after the IPv6 literal"
		}
		return host, rest[1:], ""
	}
	host, port, _ = strings.Cut(hp, ":")
	return host, port, ""
}

// canonicalURLHost canonicalizes a URL host: a bracketed IPv6 literal, an
// IPv4 address, a v3 onion name (subdomain labels kept) or a domain.
func canonicalURLHost(host string) (string, string) {
	if host == "" {
		return "", "has no host"
	}
	if host[0] == '[' {
		return canonicalIPLiteral(host[1 : len(host)-1])
	}
	if strings.IndexByte(host, '%') >= 0 {
		h, ok := percentDecode(host)
		if !ok {
			return "", "has invalid percent-encoding in the host"
		}
		host = h
	}
	if looksNumericHost(host) {
		host = strings.TrimSuffix(host, ".")
		a, err := netip.ParseAddr(host)
		if err != nil {
			return "", "host is not a valid IPv4 address (" + netipReason(err.Error(), "ParseAddr("+strconv.Quote(host)+"): ") + ")"
		}
		return a.String(), ""
	}
	if isOnionName(host) {
		return canonicalOnionHost(host)
	}
	d, reason := canonicalDomain(host)
	if reason != "" {
		return "", "host " + reason
	}
	return d, ""
}

// canonicalIPLiteral canonicalizes the inside of "[...]": an IPv6 address
// without zone. An IPv4-mapped address becomes the bare IPv4 address.
func canonicalIPLiteral(lit string) (string, string) {
	if lit != "" && (lit[0] == 'v' || lit[0] == 'V') {
		return "", "IPvFuture host literals are not supported"
	}
	a, err := netip.ParseAddr(lit)
	if err != nil || !a.Is6() {
		return "", "host is not a valid IPv6 literal"
	}
	if a.Zone() != "" {
		return "", "host has an IPv6 zone, which is not accepted"
	}
	if a.Is4In6() {
		return a.Unmap().String(), ""
	}
	return "[" + a.String() + "]", ""
}

// looksNumericHost reports whether host is digits and dots ending in a
// digit: something that can only be meant as an IPv4 address.
func looksNumericHost(host string) bool {
	h := strings.TrimSuffix(host, ".")
	if h == "" || !isDigit(h[len(h)-1]) {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isDigit(h[i]) && h[i] != '.' {
			return false
		}
	}
	return true
}

// canonicalPort returns the port without leading zeros, or a reason.
func canonicalPort(port string) (string, string) {
	if port == "" {
		return "", ""
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return "", "port " + strconv.Quote(truncate(port, 16)) + " is not a number"
		}
	}
	p := strings.TrimLeft(port, "0")
	if len(p) > 5 {
		return "", "port " + strconv.Quote(truncate(port, 16)) + " is out of range (1 to 65535)"
	}
	n, _ := strconv.Atoi(p)
	if n < 1 || n > 65535 {
		return "", "port " + strconv.Quote(port) + " is out of range (1 to 65535)"
	}
	return p, ""
}

// appendLowerASCII appends s with ASCII letters lowercased.
func appendLowerASCII(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, lowerASCII(s[i]))
	}
	return b
}

// appendNormalized appends component s of kind comp with its percent-encoding
// normalised (RFC 3986 section 6.2.2.2).
func appendNormalized(b []byte, s string, comp int) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
				d := unhex(s[i+1])<<4 | unhex(s[i+2])
				if isUnreserved(d) {
					b = append(b, d)
				} else {
					b = append(b, '%', hex[d>>4], hex[d&15])
				}
				i += 2
				continue
			}
			b = append(b, "%25"...)
			continue
		}
		if allowedIn(c, comp) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

// allowedIn reports whether byte c may appear unencoded in component comp.
func allowedIn(c byte, comp int) bool {
	if isUnreserved(c) || isSubDelim(c) || c == ':' {
		return true
	}
	switch comp {
	case compPath:
		return c == '@' || c == '/'
	case compQuery:
		return c == '@' || c == '/' || c == '?'
	}
	return false
}

// isUnreserved reports whether c is ALPHA / DIGIT / "-" / "." / "_" / "~".
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// isSubDelim reports whether c is one of "!$&'()*+,;=".
func isSubDelim(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// unhex returns the value of a hex digit.
func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// percentDecode decodes all percent-encoding in s; ok is false when a '%' is
// not followed by two hex digits.
func percentDecode(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
			return "", false
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), true
}

// removeDotSegments removes "." and ".." segments from an absolute path
// (RFC 3986 section 5.2.4), in place, and returns the shortened slice.
func removeDotSegments(p []byte) []byte {
	if !hasDotSegment(p) {
		return p
	}
	out := 0 // p[:out] is the output buffer; it never overtakes the input
	for in := 0; in < len(p); {
		// p[in] is '/': every segment is read with the slash before it.
		end := in + 1
		for end < len(p) && p[end] != '/' {
			end++
		}
		dot := end-in == 2 && p[in+1] == '.'
		dotdot := end-in == 3 && p[in+1] == '.' && p[in+2] == '.'
		switch {
		case dot || dotdot:
			if dotdot {
				out = lastSlash(p[:out])
			}
			if end == len(p) {
				p[out] = '/'
				out++
			}
		default:
			out += copy(p[out:], p[in:end])
		}
		in = end
	}
	return p[:out]
}

// lastSlash returns the index of the last '/' in b, or 0.
func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return 0
}

// hasDotSegment reports whether the path p has a "." or ".." segment.
func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// URLTarget returns what a canonical URL names on the wire: its host, its
// port when the URL gives one (a default port is already dropped), its
// path and its query — the URL without scheme and userinfo, as Zeek's
// Intel framework writes URL indicators and as MISP exports them to it.
// Two URLs with the same target name the same resource whether it was
// fetched over http or https, so matching compares targets. u must be
// canonical (the Value of a parsed URL); anything else is returned as
// it is.
func URLTarget(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		rest = rest[at+1:]
	}
	return rest
}

// URLHost returns the host of a canonical URL: a domain, an IPv4 address
// or a bracketed IPv6 literal, without userinfo or port; "" if u is not
// one.
func URLHost(u string) string {
	t := URLTarget(u)
	if len(t) == len(u) {
		return ""
	}
	if end := strings.IndexAny(t, "/?"); end >= 0 {
		t = t[:end]
	}
	if strings.HasPrefix(t, "[") {
		if j := strings.IndexByte(t, ']'); j >= 0 {
			return t[:j+1]
		}
		return ""
	}
	if j := strings.LastIndexByte(t, ':'); j >= 0 {
		t = t[:j]
	}
	return t
}
