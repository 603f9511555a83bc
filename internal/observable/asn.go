package observable

import (
	"strconv"
	"strings"
)

// parseASN parses an autonomous system number written "AS64500", "as64500",
// "ASN64500", "AS 64500", "64500" or in asdot notation ("1.10", "AS1.10" for
// 65546) and returns it as "AS" and the decimal number. AS0 and AS4294967295
// are reserved (RFC 7607, RFC 7300) and refused.
func parseASN(s string) (Observable, string) {
	num := s
	switch {
	case hasPrefixFold(num, "asn"):
		num = num[3:]
	case hasPrefixFold(num, "as"):
		num = num[2:]
	}
	num = strings.TrimLeft(num, " ")
	if num == "" {
		return Observable{}, "has no number"
	}
	var n uint64
	if hi, lo, dot := strings.Cut(num, "."); dot {
		h, ok1 := parseUint16(hi)
		l, ok2 := parseUint16(lo)
		if !ok1 || !ok2 {
			return Observable{}, "asdot notation needs two numbers from 0 to 65535"
		}
		n = uint64(h)<<16 | uint64(l)
	} else {
		for i := 0; i < len(num); i++ {
			if !isDigit(num[i]) {
				return Observable{}, notAllowed(num[i:], "an AS number")
			}
		}
		digits := strings.TrimLeft(num, "0")
		if len(digits) > 10 {
			return Observable{}, "is out of range (1 to 4294967294)"
		}
		n, _ = strconv.ParseUint("0"+digits, 10, 64)
	}
	switch {
	case n == 0:
		return Observable{}, "is a reserved number (AS0, RFC 7607)"
	case n == 4294967295:
		return Observable{}, "is a reserved number (AS4294967295, RFC 7300)"
	case n > 4294967295:
		return Observable{}, "is out of range (1 to 4294967294)"
	}
	return Observable{Type: ASN, Value: "AS" + strconv.FormatUint(n, 10)}, ""
}

// parseUint16 parses 1 to 5 decimal digits with a value up to 65535.
func parseUint16(s string) (uint16, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return uint16(n), true
}
