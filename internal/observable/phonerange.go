package observable

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Bounds on a phone-range prefix, in digits (country code included). The
// shortest is a country code and one more digit: a whole country code is
// not a range anyone can act on. The longest is 14 digits, so that a
// range holds at least ten numbers under E.164's 15.
const (
	maxRangeDigits = 14
)

// parsePhoneRange validates an E.164 prefix — "+" (or "00"), a country
// code libphonenumber knows and at least one more digit, at most 14 digits
// in all; spaces, dots, dashes and parentheses are dropped, and so is a
// trailing run of "x" standing for the free digits ("+44 7700 900 xxx") —
// and returns it as "+" and digits, with its country and carrier beside it.
//
// The check is of form: a known country code and the length bounds.
// Country and carrier rest on libphonenumber's metadata: the prefix is
// continued with each digit 0 to 9 and then padded with 0s, and with 5s,
// to the shortest length that makes a valid number (20 numbers at most).
// Country is the region those numbers share, or, when they disagree (the
// prefix spans regions of one country code, such as +1 2) or none is
// valid (a range libphonenumber does not know as allocated, such as the
// fictional +44 7700 900), the country code's main region; it is empty
// for non-geographic codes (+800, +882, ...). Carrier is the carrier
// libphonenumber names for all of those numbers, empty when it names none
// or they disagree.
func parsePhoneRange(s string) (Observable, string) {
	switch {
	case s[0] == '+':
		s = s[1:]
	case len(s) >= 2 && s[0] == '0' && s[1] == '0':
		s = s[2:]
	default:
		return Observable{}, "is not an international prefix (\"+\" or \"00\" and the country code)"
	}
	var digits []byte
	wild := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c) && !wild:
			digits = append(digits, c)
		case c == 'x' || c == 'X':
			wild = true
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			if wild && isDigit(c) {
				return Observable{}, "has a digit after \"x\": only the free digits at the end may be written as x"
			}
			return Observable{}, notAllowed(s[i:], "a phone-range prefix")
		}
	}
	switch {
	case len(digits) == 0:
		return Observable{}, "has no digits"
	case digits[0] == '0':
		return Observable{}, "starts with 0, which no country code does"
	case len(digits) > maxRangeDigits:
		return Observable{}, "has " + strconv.Itoa(len(digits)) + " digits, a range has at most " + strconv.Itoa(maxRangeDigits)
	}
	cc, main := 0, ""
	for n := 1; n <= 3 && n <= len(digits); n++ {
		code, _ := strconv.Atoi(string(digits[:n]))
		if r := phonenumbers.GetRegionCodeForCountryCode(code); r != phonenumbers.UNKNOWN_REGION {
			cc, main = n, r
			break
		}
	}
	if cc == 0 {
		return Observable{}, "invalid country code"
	}
	if len(digits) == cc {
		return Observable{}, "is a whole country code: a range needs at least one more digit"
	}
	national := string(digits[cc:])
	region, carrier, valid := "", "", 0
	agreeRegion, agreeCarrier := true, true
	for next := byte('0'); next <= '9'; next++ {
		for _, fill := range []string{"0", "5"} {
			for l := len(national) + 1; l+cc <= 15; l++ {
				n, err := phonenumbers.Parse("+"+string(digits[:cc])+national+string(next)+strings.Repeat(fill, l-len(national)-1), "")
				if err != nil || !phonenumbers.IsValidNumber(n) {
					continue
				}
				r := phonenumbers.GetRegionCodeForNumber(n)
				ca, _ := phonenumbers.GetCarrierForNumber(n, "en")
				if valid == 0 {
					region, carrier = r, ca
				}
				agreeRegion = agreeRegion && r == region
				agreeCarrier = agreeCarrier && ca == carrier
				valid++
				break
			}
		}
	}
	if valid == 0 || !agreeRegion {
		region, carrier = main, ""
	}
	o := Observable{Type: PhoneRange, Value: "+" + string(digits)}
	if isRegion(region) {
		o.Region = region
	}
	if agreeCarrier {
		o.Carrier = carrier
	}
	return o, ""
}
