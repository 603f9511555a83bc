package tor

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// maxLineLen bounds one line of a document. Real lines are below 4 KiB;
// the bound only keeps a hostile input from growing the buffer forever.
const maxLineLen = 1 << 20

// lineScanner reads a document line by line and numbers the lines.
type lineScanner struct {
	sc   *bufio.Scanner
	name string // file name for errors, empty outside Walk
	doc  string // "consensus" or "exit list", for errors
	line int    // number of the line last returned by next
	text []byte // the line last returned by next, without its line ending
}

func newLineScanner(r io.Reader, name, doc string) *lineScanner {
	er := &errReader{r: r}
	sc := bufio.NewScanner(er)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineLen)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if atEOF && er.err != nil {
			// bufio.Scanner would hand over the unfinished last line as if
			// the input ended there; a failed read is not the end.
			return 0, nil, er.err
		}
		return bufio.ScanLines(data, atEOF) // drops "\n" and a "\r" before it
	})
	return &lineScanner{sc: sc, name: name, doc: doc}
}

// errReader remembers the first error other than io.EOF from r.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// next advances to the next line and reports whether there is one.
func (s *lineScanner) next() bool {
	if !s.sc.Scan() {
		return false
	}
	s.line++
	s.text = s.sc.Bytes()
	return true
}

// err returns the error that ended the scan, if any: a *SyntaxError for an
// overlong line, otherwise the reader's error with the line number.
func (s *lineScanner) err() error {
	err := s.sc.Err()
	if err == nil {
		return nil
	}
	if errors.Is(err, bufio.ErrTooLong) {
		return s.errorAt(s.line+1, "line is longer than %d bytes", maxLineLen)
	}
	if s.name != "" {
		return fmt.Errorf("tor: %s: %s: reading line %d: %w", s.name, s.doc, s.line+1, err)
	}
	return fmt.Errorf("tor: %s: reading line %d: %w", s.doc, s.line+1, err)
}

// errorf returns a *SyntaxError about the current line.
func (s *lineScanner) errorf(format string, args ...any) error {
	return s.errorAt(s.line, format, args...)
}

// errorAt returns a *SyntaxError about the given line.
func (s *lineScanner) errorAt(line int, format string, args ...any) error {
	return &SyntaxError{Name: s.name, Doc: s.doc, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// isSpace reports whether c separates the fields of a line (dir-spec: WS).
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// isBlank reports whether line holds only whitespace.
func isBlank(line []byte) bool {
	for _, c := range line {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// splitFields appends the whitespace-separated fields of line to dst[:0].
func splitFields(dst [][]byte, line []byte) [][]byte {
	dst = dst[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return dst
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		dst = append(dst, line[i:j])
		i = j
	}
}

// firstField returns the first whitespace-separated field of line.
func firstField(line []byte) []byte {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	j := i
	for j < len(line) && !isSpace(line[j]) {
		j++
	}
	return line[i:j]
}

// isKeyword reports whether b is a dir-spec Keyword: one or more of
// A-Z, a-z, 0-9 and "-".
func isKeyword(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isKeywordChar(c) {
			return false
		}
	}
	return true
}

func isKeywordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// quote renders a value from the input for an error message, cut short
// when it is long.
func quote(b []byte) string {
	const maxLen = 64
	if len(b) > maxLen {
		return strconv.Quote(string(b[:maxLen])) + "..."
	}
	return strconv.Quote(string(b))
}

// parseTime parses "YYYY-MM-DD" and "HH:MM:SS" as a UTC time. It accepts
// only real calendar dates and times (no second 60).
func parseTime(date, clock []byte) (time.Time, bool) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' ||
		len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	y, ok1 := digits(date[0:4])
	mo, ok2 := digits(date[5:7])
	d, ok3 := digits(date[8:10])
	h, ok4 := digits(clock[0:2])
	mi, ok5 := digits(clock[3:5])
	sec, ok6 := digits(clock[6:8])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

// digits parses a short run of ASCII digits; it fails on anything else.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parsePort parses a decimal port number, 0 to 65535.
func parsePort(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	n, ok := digits(b)
	if !ok || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// parseIPv4 parses a dotted-quad IPv4 address with decimal octets and no
// leading zeros, as Tor writes them.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	octet := 0
	i := 0
	for octet < 4 {
		j := i
		for j < len(b) && b[j] != '.' {
			j++
		}
		f := b[i:j]
		if len(f) == 0 || len(f) > 3 || len(f) > 1 && f[0] == '0' {
			return netip.Addr{}, false
		}
		n, ok := digits(f)
		if !ok || n > 255 {
			return netip.Addr{}, false
		}
		a[octet] = byte(n)
		octet++
		if octet < 4 {
			if j == len(b) {
				return netip.Addr{}, false
			}
			i = j + 1
		} else if j != len(b) {
			return netip.Addr{}, false
		}
	}
	return netip.AddrFrom4(a), true
}

// upperHex renders b as uppercase hexadecimal.
func upperHex(b []byte) string {
	const hexDigits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = hexDigits[c>>4]
		out[2*i+1] = hexDigits[c&0x0f]
	}
	return string(out)
}

// parseAnnotation checks a CollecTor "@type NAME VERSION" first line and
// returns NAME. It accepts major version 1 only, which is all CollecTor
// has published for these types.
func parseAnnotation(s *lineScanner, f [][]byte) (string, error) {
	if string(f[0]) != "@type" {
		return "", s.errorf("annotation %s, want @type", quote(f[0]))
	}
	if len(f) != 3 {
		return "", s.errorf("@type line has %d fields, want 3", len(f))
	}
	v := f[2]
	if len(v) < 3 || v[0] != '1' || v[1] != '.' {
		return "", s.errorf("@type version %s, want 1.x", quote(v))
	}
	if _, ok := digits(v[2:]); !ok {
		return "", s.errorf("@type version %s, want 1.x", quote(v))
	}
	return string(f[1]), nil
}
