package observable

import (
	"errors"

	"github.com/nyaruka/phonenumbers"
)

// numberTypes names libphonenumber's number types as Observable.NumberType.
var numberTypes = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:           "fixed-line",
	phonenumbers.MOBILE:               "mobile",
	phonenumbers.FIXED_LINE_OR_MOBILE: "fixed-line-or-mobile",
	phonenumbers.TOLL_FREE:            "toll-free",
	phonenumbers.PREMIUM_RATE:         "premium-rate",
	phonenumbers.SHARED_COST:          "shared-cost",
	phonenumbers.VOIP:                 "voip",
	phonenumbers.PERSONAL_NUMBER:      "personal-number",
	phonenumbers.PAGER:                "pager",
	phonenumbers.UAN:                  "uan",
	phonenumbers.VOICEMAIL:            "voicemail",
	phonenumbers.UNKNOWN:              "unknown",
}

// parsePhone validates an international phone number ("+" or "00", country
// code, number; spaces, dots, dashes and parentheses allowed) with
// libphonenumber and returns it in E.164, with its region and number type.
// Region is left empty for non-geographic numbers (+800 and the like).
func parsePhone(s string) (Observable, string) {
	switch {
	case s[0] == '+':
	case len(s) >= 2 && s[0] == '0' && s[1] == '0':
		s = "+" + s[2:]
	default:
		return Observable{}, "is not in international format (\"+\" or \"00\" and the country code)"
	}
	digits := 0
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return Observable{}, notAllowed(s[i:], "a phone number")
		}
	}
	if digits == 0 {
		return Observable{}, "has no digits"
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil {
		return Observable{}, phoneParseReason(err)
	}
	if !phonenumbers.IsValidNumber(n) {
		region := phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode()))
		if isRegion(region) {
			return Observable{}, "not a valid number for region " + region
		}
		return Observable{}, "not a valid phone number"
	}
	o := Observable{
		Type:       Phone,
		Value:      phonenumbers.Format(n, phonenumbers.E164),
		NumberType: numberTypes[phonenumbers.GetNumberType(n)],
	}
	if region := phonenumbers.GetRegionCodeForNumber(n); isRegion(region) {
		o.Region = region
	}
	if o.NumberType == "" {
		o.NumberType = "unknown"
	}
	return o, ""
}

// phoneParseReason turns a libphonenumber parse error into a reason.
func phoneParseReason(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "invalid country code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "too short to be a phone number"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "too long to be a phone number"
	}
	return "not a valid phone number"
}

// isRegion reports whether r is an ISO 3166-1 alpha-2 code (libphonenumber
// uses "001" for non-geographic numbers and "ZZ" for unknown).
func isRegion(r string) bool {
	return len(r) == 2 && r != phonenumbers.UNKNOWN_REGION && 'A' <= r[0] && r[0] <= 'Z' && 'A' <= r[1] && r[1] <= 'Z'
}
