package zeek

import (
	"math"
	"net/netip"
	"strconv"
	"time"
)

// parseSeconds parses a decimal number of seconds ("1591367999.305988",
// "-0.5", "300") into whole seconds and nanoseconds. Digits beyond the
// ninth decimal are ignored. It falls back to strconv.ParseFloat for other
// spellings (exponents).
func parseSeconds(b []byte) (sec, nsec int64, ok bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		if sec > (math.MaxInt64-9)/10 {
			return 0, 0, false
		}
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	intDigits := i - start
	fracDigits := 0
	if i < len(b) && b[i] == '.' {
		i++
		scale := int64(100_000_000)
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			nsec += int64(b[i]-'0') * scale
			scale /= 10
			fracDigits++
			i++
		}
	}
	if i != len(b) || intDigits+fracDigits == 0 {
		return parseSecondsFloat(b)
	}
	if neg {
		sec, nsec = -sec, -nsec
		if nsec < 0 {
			sec--
			nsec += 1e9
		}
	}
	return sec, nsec, true
}

func parseSecondsFloat(b []byte) (sec, nsec int64, ok bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, 0, false
	}
	s := math.Floor(f)
	ns := math.Round((f - s) * 1e9)
	if ns >= 1e9 {
		s++
		ns -= 1e9
	}
	return int64(s), int64(ns), true
}

// parseTime parses a Zeek time: epoch seconds, or an RFC 3339 string as
// Zeek's JSON writer emits with json_timestamps=JSON::TS_ISO8601.
func parseTime(b []byte) (time.Time, bool) {
	if sec, nsec, ok := parseSeconds(b); ok {
		return time.Unix(sec, nsec).UTC(), true
	}
	if len(b) > 10 && b[4] == '-' {
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseInterval parses a Zeek interval in seconds.
func parseInterval(b []byte) (time.Duration, bool) {
	sec, nsec, ok := parseSeconds(b)
	const limit = math.MaxInt64/int64(time.Second) - 1
	if !ok || sec > limit || sec < -limit {
		return 0, false
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), true
}

// parseCount parses a Zeek count (an unsigned decimal that fits int64).
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n >= 0
}

// parsePort parses a Zeek port (the number only, as logs write it).
func parsePort(b []byte) (uint16, bool) {
	n, ok := parseCount(b)
	if !ok || n > math.MaxUint16 {
		return 0, false
	}
	return uint16(n), true
}

// parseAddr parses an IPv4 address without allocating, and anything else
// with netip.ParseAddr.
func parseAddr(b []byte) (netip.Addr, bool) {
	var a [4]byte
	octet, n, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			if digits > 0 && octet == 0 { // a leading zero
				goto slow
			}
			octet = octet*10 + int(c-'0')
			digits++
			if octet > 255 {
				goto slow
			}
		case c == '.' && digits > 0 && n < 3:
			a[n] = byte(octet)
			n++
			octet, digits = 0, 0
		default:
			goto slow
		}
	}
	if n == 3 && digits > 0 {
		a[3] = byte(octet)
		return netip.AddrFrom4(a), true
	}
slow:
	addr, err := netip.ParseAddr(string(b))
	return addr, err == nil
}

// parseBool parses T or F.
func parseBool(b []byte) (Bool, bool) {
	if len(b) == 1 {
		switch b[0] {
		case 'T':
			return True, true
		case 'F':
			return False, true
		}
	}
	return BoolUnset, false
}
