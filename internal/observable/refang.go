package observable

import "strings"

// defangTokens are the bracketed forms analysts use to make indicators
// unclickable, with what they stand for. They are matched case-insensitively.
// Longer tokens that share a prefix with shorter ones come first.
var defangTokens = [...]struct{ from, to string }{
	{"[://]", "://"},
	{"[.]", "."},
	{"(.)", "."},
	{"{.}", "."},
	{"[dot]", "."},
	{"(dot)", "."},
	{"{dot}", "."},
	{"[@]", "@"},
	{"[at]", "@"},
	{"(at)", "@"},
	{"[:]", ":"},
	{"[/]", "/"},
}

// Refang undoes the common ways analysts defang indicators:
//
//	hxxp:// hxxps:// (any case)                → http:// https://
//	fxp://                                      → ftp://
//	[.] (.) {.} [dot] (dot) {dot}               → .
//	[@] [at] (at)                               → @
//	[:] → :    [://] → ://    [/] → /
//
// It also trims surrounding white space. The bracketed tokens are matched
// case-insensitively; the scheme forms only when they start the value or
// follow a character that cannot be part of a scheme, and are followed by
// "://" (possibly itself defanged). Refang does not allocate when there is
// nothing to replace.
func Refang(s string) string {
	s = strings.TrimSpace(s)
	i := firstDefang(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		if to, n := defangAt(s, i); n > 0 {
			b.WriteString(to)
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// firstDefang returns the index of the first defanged token in s, or -1.
func firstDefang(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(', '{', 'h', 'H', 'f', 'F':
			if _, n := defangAt(s, i); n > 0 {
				return i
			}
		}
	}
	return -1
}

// defangAt reports the replacement for a defanged token starting at s[i] and
// the token's length, or 0 when there is none.
func defangAt(s string, i int) (string, int) {
	switch s[i] {
	case '[', '(', '{':
		for _, t := range defangTokens {
			if hasPrefixFold(s[i:], t.from) {
				return t.to, len(t.from)
			}
		}
	case 'h', 'H':
		if !schemeBoundary(s, i) || !hasPrefixFold(s[i:], "hxxp") {
			return "", 0
		}
		if j := i + 4; j < len(s) && (s[j] == 's' || s[j] == 'S') && followsSchemeSep(s, j+1) {
			return "https", 5
		}
		if followsSchemeSep(s, i+4) {
			return "http", 4
		}
	case 'f', 'F':
		if schemeBoundary(s, i) && hasPrefixFold(s[i:], "fxp") && followsSchemeSep(s, i+3) {
			return "ftp", 3
		}
	}
	return "", 0
}

// schemeBoundary reports whether a scheme may start at s[i]: at the start of s
// or after a character that cannot be part of a scheme.
func schemeBoundary(s string, i int) bool {
	return i == 0 || !isSchemeChar(s[i-1])
}

// followsSchemeSep reports whether s[j:] starts with "://" or its defanged
// forms "[://]" and "[:]//".
func followsSchemeSep(s string, j int) bool {
	if j >= len(s) {
		return false
	}
	rest := s[j:]
	return strings.HasPrefix(rest, "://") || strings.HasPrefix(rest, "[://]") || strings.HasPrefix(rest, "[:]//")
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
// prefix must be ASCII and lowercase.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// lowerASCII lowercases an ASCII letter and leaves other bytes alone.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// isSchemeChar reports whether c may appear in a URI scheme after its first
// letter (RFC 3986 section 3.1).
func isSchemeChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
