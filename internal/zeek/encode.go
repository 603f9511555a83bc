package zeek

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// enc appends the fields of one record in either form. Field methods take
// the field name, which only the JSON form uses. The zero enc appends TSV.
type enc struct {
	b     []byte
	json  bool
	first bool
}

func (e *enc) begin() {
	e.first = true
	if e.json {
		e.b = append(e.b, '{')
	}
}

func (e *enc) end() {
	if e.json {
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '\n')
}

// key starts a field that has a value.
func (e *enc) key(name string) {
	if e.json {
		if !e.first {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '"')
		e.b = append(e.b, name...)
		e.b = append(e.b, '"', ':')
	} else if !e.first {
		e.b = append(e.b, '\t')
	}
	e.first = false
}

// unset writes an unset field: "-" in TSV, nothing in JSON.
func (e *enc) unset() {
	if e.json {
		return
	}
	if !e.first {
		e.b = append(e.b, '\t')
	}
	e.first = false
	e.b = append(e.b, '-')
}

func (e *enc) time(name string, t time.Time) {
	if t.IsZero() {
		e.unset()
		return
	}
	e.key(name)
	e.b = appendMicros(e.b, roundMicros(t), e.json)
}

func (e *enc) interval(name string, d time.Duration) {
	if d < 0 {
		e.unset()
		return
	}
	e.key(name)
	e.b = appendMicros(e.b, durMicros(d), e.json)
}

func (e *enc) count(name string, n int64) {
	if n < 0 {
		e.unset()
		return
	}
	e.key(name)
	e.b = strconv.AppendInt(e.b, n, 10)
}

func (e *enc) port(name string, p uint16) {
	e.key(name)
	e.b = strconv.AppendUint(e.b, uint64(p), 10)
}

func (e *enc) addr(name string, a netip.Addr) {
	if !a.IsValid() {
		e.unset()
		return
	}
	e.key(name)
	if e.json {
		e.b = append(e.b, '"')
		e.b = appendAddr(e.b, a)
		e.b = append(e.b, '"')
		return
	}
	e.b = appendAddr(e.b, a)
}

// octets holds the decimal text of every byte value, for appendAddr.
var octets = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// appendAddr appends a as netip.Addr.AppendTo does, faster for IPv4.
func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.Is4() {
		return a.AppendTo(b)
	}
	v := a.As4()
	b = append(b, octets[v[0]]...)
	b = append(b, '.')
	b = append(b, octets[v[1]]...)
	b = append(b, '.')
	b = append(b, octets[v[2]]...)
	b = append(b, '.')
	return append(b, octets[v[3]]...)
}

func (e *enc) boolean(name string, v Bool) {
	switch v {
	case True:
		e.key(name)
		if e.json {
			e.b = append(e.b, "true"...)
		} else {
			e.b = append(e.b, 'T')
		}
	case False:
		e.key(name)
		if e.json {
			e.b = append(e.b, "false"...)
		} else {
			e.b = append(e.b, 'F')
		}
	default:
		e.unset()
	}
}

// str writes a string field; "" is unset.
func (e *enc) str(name, s string) {
	if s == "" {
		e.unset()
		return
	}
	e.key(name)
	if e.json {
		e.b = appendJSONString(e.b, s)
		return
	}
	e.b = appendTSVString(e.b, s, false)
}

// strs writes a set or vector of strings: nil is unset, empty is "(empty)".
func (e *enc) strs(name string, v []string) {
	if v == nil {
		e.unset()
		return
	}
	e.key(name)
	if e.json {
		e.b = append(e.b, '[')
		for i, s := range v {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendJSONString(e.b, s)
		}
		e.b = append(e.b, ']')
		return
	}
	if len(v) == 0 {
		e.b = append(e.b, emptyField...)
		return
	}
	for i, s := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if s == "" {
			e.b = append(e.b, emptyField...)
			continue
		}
		e.b = appendTSVString(e.b, s, true)
	}
}

// intervals writes a vector of intervals.
func (e *enc) intervals(name string, v []time.Duration) {
	if v == nil {
		e.unset()
		return
	}
	e.key(name)
	if e.json {
		e.b = append(e.b, '[')
	} else if len(v) == 0 {
		e.b = append(e.b, emptyField...)
		return
	}
	for i, d := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendMicros(e.b, durMicros(d), e.json)
	}
	if e.json {
		e.b = append(e.b, ']')
	}
}

// roundMicros returns t as microseconds since the epoch, rounded to the
// nearest microsecond.
func roundMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Nanosecond()%1000 >= 500 {
		us++
	}
	return us
}

// durMicros returns d in microseconds, rounded half away from zero.
func durMicros(d time.Duration) int64 {
	if d < 0 {
		return -int64((-d + 500) / 1000)
	}
	return int64((d + 500) / 1000)
}

// appendMicros appends us microseconds as seconds. TSV uses six decimals
// (Zeek's %.6f); JSON uses the shortest decimal that reads back as the same
// float64, as Zeek's JSON writer does, with at least one decimal ("5.0").
// For microsecond values under 2^53 the shortest form is the exact decimal
// with trailing zeros removed, so no float formatting is needed.
func appendMicros(b []byte, us int64, json bool) []byte {
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 6
	if json {
		for n > 1 && d[n-1] == '0' {
			n--
		}
	}
	b = append(b, '.')
	return append(b, d[:n]...)
}

// appendTSVString appends s escaped as Zeek's ASCII writer escapes it:
// backslash, the separator and other bytes that are not printable ASCII
// become \xNN, except valid UTF-8 sequences; inside a set the set
// separator is escaped too. A value equal to the unset or empty marker has
// its first byte escaped so that it does not read as the marker.
func appendTSVString(b []byte, s string, inSet bool) []byte {
	if s == unsetField || s == emptyField {
		b = append(b, '\\', 'x', hexDigits[s[0]>>4], hexDigits[s[0]&0xf])
		return append(b, s[1:]...)
	}
	i := plainPrefix(s, inSet)
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
				i++
				continue
			}
			b = append(b, s[i:i+size]...)
			i += size
			continue
		case c < 0x20 || c == 0x7f || c == '\\' || (inSet && c == ','):
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

// plainPrefix returns the length of the longest prefix of s that
// appendTSVString copies as is: printable ASCII but backslash (and comma in
// a set). It tests eight bytes at a time.
func plainPrefix(s string, inSet bool) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	comma := uint64(0)
	if inSet {
		comma = ','
	}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		q := s[i : i+8]
		w := uint64(q[0]) | uint64(q[1])<<8 | uint64(q[2])<<16 | uint64(q[3])<<24 |
			uint64(q[4])<<32 | uint64(q[5])<<40 | uint64(q[6])<<48 | uint64(q[7])<<56
		ctl := (w - 0x20*ones) & ^w & highs // a byte below 0x20
		del := (w + ones | w) & highs       // a byte of 0x7f or above
		bs := w ^ '\\'*ones                 // a backslash becomes zero
		bs = (bs - ones) & ^bs & highs
		cm := uint64(0)
		if inSet {
			cm = w ^ comma*ones
			cm = (cm - ones) & ^cm & highs
		}
		if ctl|del|bs|cm != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' || (inSet && c == ',') {
			break
		}
	}
	return i
}

// appendJSONString appends s as a JSON string. Bytes that are not valid
// UTF-8 are written as the text \xNN (a JSON "\\xNN"), as Zeek does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size > 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else { // an invalid UTF-8 byte
				b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
