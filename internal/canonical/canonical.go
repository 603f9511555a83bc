// Package canonical writes JSON in the RFC 8785 canonical form (JCS) for
// values of a fixed shape: the caller writes members in code-point order of
// their names, and this package writes strings, numbers, times and string
// lists exactly as JCS requires. It exists because the generic route —
// encoding/json, then a JCS library's parse-and-reprint — costs several
// microseconds per record on the ingest path; callers hold their writers to
// that route with differential fuzz tests.
//
// SPEC: https://www.rfc-editor.org/rfc/rfc8785
package canonical

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// String appends s as an RFC 8785 string: only '"', '\\' and control
// characters are escaped (the short forms \b \t \n \f \r where JSON has
// them, else \u00xx in lowercase); invalid UTF-8 becomes U+FFFD, as
// encoding/json makes it.
func String(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

// Strings appends a list of strings; nil is null, as encoding/json writes it.
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Int appends an integer. JCS writes numbers as IEEE 754 doubles, so beyond
// ±2^53 it writes the nearest double in ECMAScript's shortest form; so does Int.
func Int(b []byte, n int64) []byte {
	if n > 1<<53 || n < -(1<<53) {
		return strconv.AppendFloat(b, float64(n), 'f', -1, 64)
	}
	return strconv.AppendInt(b, n, 10)
}

// Bool appends true or false.
func Bool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// Time appends t as encoding/json writes a time.Time: RFC 3339 with
// nanoseconds as needed, in t's own zone.
func Time(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// Member appends a member name and colon, with a comma before it unless it
// is the first member of its object (first is then cleared).
func Member(b []byte, name string, first *bool) []byte {
	if !*first {
		b = append(b, ',')
	}
	*first = false
	b = String(b, name)
	return append(b, ':')
}

// JSON returns v (any value encoding/json encodes) in the RFC 8785
// canonical form: encoding/json, then jsontext's canonicalization, which
// is several times faster than a parse-and-reprint JCS library for the
// same bytes (FuzzJSON holds it to github.com/gowebpki/jcs).
func JSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := jsontext.Value(b)
	if err := out.Canonicalize(); err != nil {
		return nil, err
	}
	return out, nil
}
