package observable

import "strconv"

// parseHash validates an MD5, SHA-1 or SHA-256 digest in hex (32, 40 or 64
// digits, any case) and returns it in lowercase.
func parseHash(t Type, s string) (Observable, string) {
	want := hashHexLen(t)
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return Observable{}, notAllowed(s[i:], "a hex digest")
		}
	}
	if len(s) != want {
		return Observable{}, "has " + strconv.Itoa(len(s)) + " hex digits, " + string(t) + " has " + strconv.Itoa(want)
	}
	return Observable{Type: t, Value: toLowerASCII(s)}, ""
}

// hashHexLen is the length in hex digits of a digest of type t.
func hashHexLen(t Type) int {
	switch t {
	case MD5:
		return 32
	case SHA1:
		return 40
	}
	return 64
}
