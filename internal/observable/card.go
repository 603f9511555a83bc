package observable

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Card number (PAN) and BIN lengths, ISO/IEC 7812.
const (
	minPANDigits = 12
	maxPANDigits = 19
	minBINDigits = 6
	maxBINDigits = 8
)

// parseCard validates a PAN: 12 to 19 digits, spaces and dashes allowed
// between digits, Luhn check digit correct. The value kept is the keyed hash of
// the digits; the PAN itself goes nowhere.
func (c *Canonicalizer) parseCard(s string) (Observable, string) {
	var digits [maxPANDigits]byte
	n, reason := collectDigits(s, digits[:], "a card number")
	if reason != "" {
		return Observable{}, reason
	}
	if n < minPANDigits || n > maxPANDigits {
		return Observable{}, "has " + strconv.Itoa(n) + " digits, a card number has 12 to 19"
	}
	pan := digits[:n]
	if !luhnValid(pan) {
		return Observable{}, "luhn checksum does not match"
	}
	return Observable{Type: Card, Value: c.cardHash(pan), BIN: string(pan[:minBINDigits])}, ""
}

// parseBIN validates an issuer identification number: 6 to 8 digits, spaces
// and dashes allowed between digits; the value is the digits.
func parseBIN(s string) (Observable, string) {
	var digits [maxBINDigits]byte
	n, reason := collectDigits(s, digits[:], "a bin")
	if reason != "" {
		return Observable{}, reason
	}
	if n < minBINDigits || n > maxBINDigits {
		return Observable{}, "has " + strconv.Itoa(n) + " digits, a bin has 6 to 8"
	}
	if n == len(s) {
		return Observable{Type: BIN, Value: s}, ""
	}
	return Observable{Type: BIN, Value: string(digits[:n])}, ""
}

// collectDigits copies the digits of s into dst and returns how many digits
// s has (which may exceed len(dst)). Spaces and dashes may separate digits;
// anything else, or a separator at either end, is refused with a reason that
// never repeats the digits.
func collectDigits(s string, dst []byte, what string) (int, string) {
	if s == "" {
		return 0, "empty value"
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n < len(dst) {
				dst[n] = c
			}
			n++
		case c == ' ' || c == '-':
			if i == 0 || i == len(s)-1 {
				return 0, "starts or ends with a separator"
			}
		default:
			return 0, notAllowed(s[i:], what) + " (only digits, spaces and dashes)"
		}
	}
	return n, ""
}

// luhnValid reports whether the ASCII digits pass the Luhn check.
func luhnValid(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// CardHash returns the canonical value of a card number that has already
// passed validation: the lowercase hex HMAC-SHA256, under the hub's card key,
// of its digits. Spaces and dashes in pan are ignored. It is exported for
// tests and tools that must match a known PAN against stored values; Parse is
// the way to validate one.
func (c *Canonicalizer) CardHash(pan string) string {
	if strings.ContainsAny(pan, " -") {
		pan = strings.NewReplacer(" ", "", "-", "").Replace(pan)
	}
	return c.cardHash([]byte(pan))
}

// cardHash is CardHash for the bare digits.
func (c *Canonicalizer) cardHash(digits []byte) string {
	m := hmac.New(sha256.New, c.cardKey)
	m.Write(digits)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// maskPAN renders a card input for an error: the first six and last four
// digits when it has at least ten digits, otherwise the input with every digit
// replaced by '*'.
func maskPAN(s string) string {
	var digits [maxPANDigits]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			if n < len(digits) {
				digits[n] = s[i]
			} else {
				// Keep the last four digits in the last four slots.
				copy(digits[len(digits)-4:], digits[len(digits)-3:])
				digits[len(digits)-1] = s[i]
			}
			n++
		}
	}
	if n >= 10 {
		if n > len(digits) {
			n = len(digits)
		}
		return maskDigits(digits[:n])
	}
	b := []byte(s)
	for i, c := range b {
		if isDigit(c) {
			b[i] = '*'
		}
	}
	return string(b)
}

// maskDigits renders at least ten digits as the first six, "…" and the last
// four.
func maskDigits(d []byte) string {
	return string(d[:6]) + "…" + string(d[len(d)-4:])
}
