package observable

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxErrorValue is how much of an over-long input an *Error keeps: enough to
// recognise the value, not so much that a hostile input floods a log.
const maxErrorValue = 64

// newError builds the *Error for raw, refused as type t for reason.
//
// The value is made safe to log: a card number is masked (maskPAN), and in
// every other value any run of 12 to 19 digits that passes the Luhn check is
// masked the same way, so that a PAN given under the wrong type does not leak
// either. International phone numbers ("+" or "00") are left whole. Values
// longer than the type's limit are cut to maxErrorValue bytes.
func newError(t Type, raw, reason string, tooLong bool) *Error {
	v := raw
	switch {
	case t == Card:
		v = maskPAN(raw)
	case (t == Phone || t == PhoneRange) && looksInternational(raw):
		// An international number is not a card number: show it whole.
	default:
		v = scrubPANs(raw)
	}
	if tooLong && len(v) > maxErrorValue {
		// Cutting can leave a Luhn-valid prefix of a longer digit run.
		v = scrubPANs(truncate(v, maxErrorValue))
	}
	return &Error{Value: v, Type: t, Reason: reason}
}

// tooLongReason is the reason for an input over limit bytes.
func tooLongReason(limit int) string {
	return "longer than " + strconv.Itoa(limit) + " bytes"
}

// truncate cuts s to at most n bytes on a UTF-8 boundary and marks the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// quoteChar renders the character at the start of s for a reason: the rune
// quoted, or the byte in hex when s does not start with valid UTF-8.
func quoteChar(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return "byte 0x" + strconv.FormatUint(uint64(s[0]), 16)
	}
	return strconv.QuoteRune(r)
}

// notAllowed is the reason for the character at the start of s, which is not
// allowed in what.
func notAllowed(s, what string) string {
	return "contains " + quoteChar(s) + ", which is not allowed in " + what
}

// scrubPANs masks, in s, every run of 12 to 19 digits (spaces and dashes may
// separate them) that passes the Luhn check. It returns s itself when there
// is nothing to mask.
func scrubPANs(s string) string {
	var b *strings.Builder
	last := 0 // end of the part of s already copied to b
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start, end, n := i, i, 0
		var digits [maxPANDigits]byte
		for j := i; j < len(s); j++ {
			if c := s[j]; isDigit(c) {
				if n < len(digits) {
					digits[n] = c
				}
				n++
				end = j + 1
			} else if c != ' ' && c != '-' {
				break
			}
		}
		i = end
		if n < minPANDigits || n > maxPANDigits || !luhnValid(digits[:n]) {
			continue
		}
		if b == nil {
			b = new(strings.Builder)
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(maskDigits(digits[:n]))
		last = end
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// looksInternational reports whether s starts like an international phone
// number ("+" or "00"), which a card number never does.
func looksInternational(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
}
