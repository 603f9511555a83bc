package screen

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Booking is one card-not-present booking as screening sees it. Names and
// card numbers are never held in clear: Cardholder, Traveller, Booker,
// Card and Device are 64 hex digits of a hash (SHA-256 in the scenario's
// files, HMAC-SHA-256 under the caller's key when the input gave clear
// values), and of the card number only the BIN is kept.
type Booking struct {
	ID                 string
	Booked             time.Time
	Departure          time.Time
	Origin             string // IATA airport
	Destination        string
	OriginCountry      string // ISO 3166-1 alpha-2
	DestinationCountry string
	CardBIN            string // 6 digits
	BINCountry         string
	IPCountry          string
	ClientIP           netip.Addr
	Cardholder         string // hex hashes
	Traveller          string
	Booker             string
	Card               string
	Amount             float64
	Currency           string // ISO 4217
	Channel            string
	Airline            string // 2-character IATA designator; may be empty
	Device             string // hex hash; may be empty
}

// Field names, as keys of a JSON line and columns of a CSV header.
const (
	fID                 = "id"
	fBooked             = "booked"
	fDeparture          = "departure"
	fOrigin             = "origin"
	fDestination        = "destination"
	fOriginCountry      = "origin_country"
	fDestinationCountry = "destination_country"
	fCardBIN            = "card_bin"
	fBINCountry         = "bin_country"
	fIPCountry          = "ip_country"
	fClientIP           = "client_ip"
	fCardholder         = "cardholder"
	fTraveller          = "traveller"
	fBooker             = "booker"
	fCard               = "card"
	fAmount             = "amount"
	fCurrency           = "currency"
	fChannel            = "channel"
	fAirline            = "airline"
	fDevice             = "device"
	// Clear values, hashed at read time under the reader's key.
	fCardholderName = "cardholder_name"
	fTravellerName  = "traveller_name"
	fCardNumber     = "card_number"
)

// fieldNames lists the fields; field i is bit 1<<i in a line's set.
var fieldNames = []string{fID, fBooked, fDeparture, fOrigin, fDestination, fOriginCountry, fDestinationCountry,
	fCardBIN, fBINCountry, fIPCountry, fClientIP, fCardholder, fTraveller, fBooker, fCard, fAmount, fCurrency,
	fChannel, fAirline, fDevice, fCardholderName, fTravellerName, fCardNumber}

func bit(name string) uint32 { b, _ := fieldOf(name); return b }

// fieldOf is the bit of the field called name (its index in fieldNames).
func fieldOf(name string) (uint32, bool) {
	switch name {
	case "id":
		return 1 << 0, true
	case "booked":
		return 1 << 1, true
	case "departure":
		return 1 << 2, true
	case "origin":
		return 1 << 3, true
	case "destination":
		return 1 << 4, true
	case "origin_country":
		return 1 << 5, true
	case "destination_country":
		return 1 << 6, true
	case "card_bin":
		return 1 << 7, true
	case "bin_country":
		return 1 << 8, true
	case "ip_country":
		return 1 << 9, true
	case "client_ip":
		return 1 << 10, true
	case "cardholder":
		return 1 << 11, true
	case "traveller":
		return 1 << 12, true
	case "booker":
		return 1 << 13, true
	case "card":
		return 1 << 14, true
	case "amount":
		return 1 << 15, true
	case "currency":
		return 1 << 16, true
	case "channel":
		return 1 << 17, true
	case "airline":
		return 1 << 18, true
	case "device":
		return 1 << 19, true
	case "cardholder_name":
		return 1 << 20, true
	case "traveller_name":
		return 1 << 21, true
	case "card_number":
		return 1 << 22, true
	}
	return 0, false
}

// always are the fields every booking needs; the hashed identities may be
// given in clear instead (alternates).
var always = bit(fID) | bit(fBooked) | bit(fDeparture) | bit(fOrigin) | bit(fDestination) | bit(fOriginCountry) |
	bit(fDestinationCountry) | bit(fBINCountry) | bit(fIPCountry) | bit(fClientIP) | bit(fBooker) | bit(fAmount) |
	bit(fCurrency) | bit(fChannel)

// alternates pairs a hashed field with the clear field that may stand for it.
var alternates = [][2]string{{fCardholder, fCardholderName}, {fTraveller, fTravellerName}, {fCard, fCardNumber}, {fCardBIN, fCardNumber}}

// LineError is a booking that could not be read: its line (1-based; the
// CSV header is line 1), and when a field is at fault the field, its value
// (at most 64 characters) and why it was refused.
type LineError struct {
	Line   int
	Field  string
	Value  string
	Reason string
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: field %q: value %q: %s", e.Line, e.Field, e.Value, e.Reason)
}

// ReaderOptions set how bookings are read.
type ReaderOptions struct {
	// Key is the HMAC-SHA-256 key that clear names and card numbers are
	// hashed under. Without it a booking giving cardholder_name,
	// traveller_name or card_number is refused.
	Key []byte
}

// MaxLine is the longest JSON line or CSV record accepted, in bytes.
const MaxLine = 64 << 10

// lineState collects one line's fields.
type lineState struct {
	b    Booking
	seen uint32
	// clear values, hashed and dropped by finish
	holderName, travellerName, cardNumber string
}

func short(v string) string {
	if len(v) > 64 {
		return v[:64]
	}
	return v
}

// set checks and stores one field; the error is a LineError without line.
func (s *lineState) set(name, v string) *LineError {
	bad := func(reason string) *LineError { return &LineError{Field: name, Value: short(v), Reason: reason} }
	bt, ok := fieldOf(name)
	if !ok {
		return &LineError{Field: name, Value: "(withheld)", Reason: "unknown field (its value is not repeated: a misspelt name or card field would carry clear data)"}
	}
	if s.seen&bt != 0 {
		return bad("given twice")
	}
	s.seen |= bt
	b := &s.b
	var err error
	switch name {
	case fID:
		if len(v) == 0 || len(v) > 64 || !printable(v) {
			return bad("want 1 to 64 printable ASCII characters without spaces")
		}
		b.ID = v
	case fBooked, fDeparture:
		t, err := parseTime(v)
		if err != nil {
			return bad("not an RFC 3339 time")
		}
		if name == fBooked {
			b.Booked = t
		} else {
			b.Departure = t
		}
	case fOrigin, fDestination:
		if !upper(v, 3) {
			return bad("want a 3-letter IATA airport code")
		}
		if name == fOrigin {
			b.Origin = v
		} else {
			b.Destination = v
		}
	case fOriginCountry, fDestinationCountry, fBINCountry, fIPCountry:
		if !upper(v, 2) {
			return bad("want a 2-letter ISO 3166-1 country code")
		}
		switch name {
		case fOriginCountry:
			b.OriginCountry = v
		case fDestinationCountry:
			b.DestinationCountry = v
		case fBINCountry:
			b.BINCountry = v
		default:
			b.IPCountry = v
		}
	case fCardBIN:
		if len(v) != 6 || !digits(v) {
			return bad("want the 6 digits of a BIN")
		}
		b.CardBIN = v
	case fClientIP:
		if b.ClientIP, err = netip.ParseAddr(v); err != nil || b.ClientIP.Zone() != "" {
			return bad("not an IP address")
		}
	case fCardholder, fTraveller, fBooker, fCard, fDevice:
		if !isHash(v) {
			return bad("want 64 lowercase hex digits (a SHA-256)")
		}
		switch name {
		case fCardholder:
			b.Cardholder = v
		case fTraveller:
			b.Traveller = v
		case fBooker:
			b.Booker = v
		case fCard:
			b.Card = v
		default:
			b.Device = v
		}
	case fAmount:
		if b.Amount, err = strconv.ParseFloat(v, 64); err != nil || !decimal(v) {
			return bad("want a non-negative decimal amount")
		}
	case fCurrency:
		if !upper(v, 3) {
			return bad("want a 3-letter ISO 4217 currency code")
		}
		b.Currency = v
	case fChannel:
		if len(v) == 0 || len(v) > 32 || !word(v) {
			return bad("want 1 to 32 lowercase letters, digits or hyphens")
		}
		b.Channel = v
	case fAirline:
		if len(v) != 2 || !alnumUpper(v) {
			return bad("want a 2-character IATA airline designator")
		}
		b.Airline = v
	case fCardholderName, fTravellerName:
		n := normaliseName(v)
		if n == "" || len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return &LineError{Field: name, Value: "(withheld)", Reason: "want a name of 1 to 256 bytes without control characters"}
		}
		if name == fCardholderName {
			s.holderName = n
		} else {
			s.travellerName = n
		}
	case fCardNumber:
		d := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, v)
		if len(d) < 12 || len(d) > 19 || !digits(d) {
			// The value is a card number: never echoed.
			return &LineError{Field: name, Value: "(withheld)", Reason: "want 12 to 19 digits"}
		}
		s.cardNumber = d
	}
	return nil
}

// finish checks that the line is complete and hashes its clear values.
func (s *lineState) finish(key []byte) *LineError {
	if miss := always &^ s.seen; miss != 0 {
		return &LineError{Reason: "missing field " + strconv.Quote(firstName(miss))}
	}
	for _, a := range alternates {
		h, c := s.seen&bit(a[0]) != 0, s.seen&bit(a[1]) != 0
		switch {
		case h && c && a[0] != fCardBIN:
			return &LineError{Field: a[1], Value: "(withheld)", Reason: "give " + a[0] + " or " + a[1] + ", not both"}
		case !h && !c:
			return &LineError{Reason: "missing field " + strconv.Quote(a[0]) + " (or " + strconv.Quote(a[1]) + ")"}
		}
	}
	if (s.holderName != "" || s.travellerName != "" || s.cardNumber != "") && len(key) == 0 {
		return &LineError{Reason: "clear names or card numbers need a hashing key"}
	}
	b := &s.b
	if s.holderName != "" {
		b.Cardholder = keyed(key, "name:", s.holderName)
	}
	if s.travellerName != "" {
		b.Traveller = keyed(key, "name:", s.travellerName)
	}
	if s.cardNumber != "" {
		if b.CardBIN != "" && b.CardBIN != s.cardNumber[:6] {
			return &LineError{Field: fCardBIN, Value: b.CardBIN, Reason: "differs from the card number's first 6 digits"}
		}
		b.CardBIN = s.cardNumber[:6]
		b.Card = keyed(key, "card:", s.cardNumber)
	}
	s.holderName, s.travellerName, s.cardNumber = "", "", ""
	return nil
}

func firstName(bits uint32) string {
	for i, n := range fieldNames {
		if bits&(1<<i) != 0 {
			return n
		}
	}
	return ""
}

// keyed is the hex HMAC-SHA-256 of domain+value under key.
func keyed(key []byte, domain, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// normaliseName upper-cases a name and collapses its white space, so that
// "Smith / John" and "SMITH/JOHN " differ only in the spaces around the
// slash, which are removed too.
func normaliseName(v string) string {
	f := strings.Fields(strings.ToUpper(v))
	n := strings.Join(f, " ")
	n = strings.ReplaceAll(n, " /", "/")
	return strings.ReplaceAll(n, "/ ", "/")
}

func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return false
		}
	}
	return true
}

func upper(v string, n int) bool {
	if len(v) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if v[i] < 'A' || v[i] > 'Z' {
			return false
		}
	}
	return true
}

func alnumUpper(v string) bool {
	for i := 0; i < len(v); i++ {
		if (v[i] < 'A' || v[i] > 'Z') && (v[i] < '0' || v[i] > '9') {
			return false
		}
	}
	return true
}

func digits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return len(v) > 0
}

func decimal(v string) bool {
	i := strings.IndexByte(v, '.')
	if i < 0 {
		return digits(v) && len(v) <= 15
	}
	return digits(v[:i]) && digits(v[i+1:]) && i <= 15 && len(v)-i-1 <= 4
}

func word(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// lowerHex marks the characters of lowercase hex.
var lowerHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdef" {
		t[c] = true
	}
	return t
}()

func isHash(v string) bool {
	if len(v) != 64 {
		return false
	}
	ok := true
	for i := 0; i < 64; i++ {
		ok = ok && lowerHex[v[i]]
	}
	return ok
}

// parseTime parses RFC 3339, quickly for the form the scenario writes
// (2026-11-02T00:00:07Z).
func parseTime(v string) (time.Time, error) {
	if len(v) == 20 && v[4] == '-' && v[7] == '-' && v[10] == 'T' && v[13] == ':' && v[16] == ':' && v[19] == 'Z' {
		y, ok1 := num(v[0:4])
		mo, ok2 := num(v[5:7])
		d, ok3 := num(v[8:10])
		h, ok4 := num(v[11:13])
		mi, ok5 := num(v[14:16])
		sec, ok6 := num(v[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(mo, y) && h < 24 && mi < 60 && sec < 60 {
			return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), nil
		}
	}
	t, err := time.Parse(time.RFC3339, v)
	return t.UTC(), err
}

func num(v string) (int, bool) {
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	return n, true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Reader reads bookings one at a time.
type Reader interface {
	// Next returns the next booking, io.EOF after the last, or a
	// *LineError.
	Next() (*Booking, error)
}

// NewReader returns a reader of format ("jsonl" or "csv") over r.
func NewReader(format string, r io.Reader, o ReaderOptions) (Reader, error) {
	switch format {
	case "jsonl":
		return NewJSONReader(r, o), nil
	case "csv":
		return NewCSVReader(r, o), nil
	}
	return nil, fmt.Errorf("format %q: want jsonl or csv", format)
}

// JSONReader reads bookings.jsonl: one flat JSON object per line whose
// members are the field names with string values (amount may also be a
// JSON number); blank lines are skipped. The booking returned by Next is
// reused by the following call.
type JSONReader struct {
	sc   *bufio.Scanner
	key  []byte
	line int
	st   lineState
}

// NewJSONReader reads JSON lines from r.
func NewJSONReader(r io.Reader, o ReaderOptions) *JSONReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	return &JSONReader{sc: sc, key: o.Key}
}

// Next implements Reader.
func (j *JSONReader) Next() (*Booking, error) {
	for j.sc.Scan() {
		j.line++
		line := bytes.TrimSpace(j.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		j.st = lineState{}
		if err := j.parse(string(line)); err != nil {
			err.Line = j.line
			return nil, err
		}
		if err := j.st.finish(j.key); err != nil {
			err.Line = j.line
			return nil, err
		}
		return &j.st.b, nil
	}
	if err := j.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{Line: j.line + 1, Reason: fmt.Sprintf("longer than %d bytes", MaxLine)}
		}
		return nil, err
	}
	return nil, io.EOF
}

// parse reads one flat object of string members (amount: string or
// number) into j.st.
func (j *JSONReader) parse(p string) *LineError {
	syntax := func(at int, what string) *LineError {
		return &LineError{Reason: fmt.Sprintf("byte %d: %s", at+1, what)}
	}
	i := 0
	ws := func() {
		for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
			i++
		}
	}
	// Lines without a backslash (the generator's) need no unescaping.
	plain := strings.IndexByte(p, '\\') < 0
	str := func() (string, bool) {
		if i >= len(p) || p[i] != '"' {
			return "", false
		}
		start := i
		i++
		if plain {
			q := strings.IndexByte(p[i:], '"')
			if q < 0 {
				return "", false
			}
			i += q + 1
			return p[start+1 : i-1], true
		}
		for {
			q := strings.IndexByte(p[i:], '"')
			if q < 0 {
				return "", false
			}
			seg := p[i : i+q]
			i += q + 1
			// The quote ends the string unless an odd run of
			// backslashes escapes it.
			k := 0
			for k < len(seg) && seg[len(seg)-1-k] == '\\' {
				k++
			}
			if k%2 == 0 {
				break
			}
		}
		var s string
		if json.Unmarshal([]byte(p[start:i]), &s) != nil {
			return "", false
		}
		return s, true
	}
	ws()
	if i >= len(p) || p[i] != '{' {
		return syntax(i, "want a JSON object")
	}
	i++
	ws()
	if i < len(p) && p[i] == '}' {
		i++
	} else {
		for {
			ws()
			k, ok := str()
			if !ok {
				return syntax(i, "want a member name (a string)")
			}
			ws()
			if i >= len(p) || p[i] != ':' {
				return syntax(i, "want ':'")
			}
			i++
			ws()
			var v string
			if i < len(p) && p[i] == '"' {
				if v, ok = str(); !ok {
					return syntax(i, "bad string")
				}
			} else if k == fAmount {
				s := i
				for i < len(p) && (p[i] >= '0' && p[i] <= '9' || p[i] == '.') {
					i++
				}
				v = p[s:i]
			} else {
				v := short(p[i:min(len(p), i+16)])
				if k == fCardholderName || k == fTravellerName || k == fCardNumber {
					v = "(withheld)" // a clear value is never echoed
				}
				return &LineError{Field: k, Value: v, Reason: "want a string"}
			}
			if err := j.st.set(k, v); err != nil {
				return err
			}
			ws()
			if i < len(p) && p[i] == ',' {
				i++
				continue
			}
			if i < len(p) && p[i] == '}' {
				i++
				break
			}
			return syntax(i, "want ',' or '}'")
		}
	}
	ws()
	if i != len(p) {
		return syntax(i, "text after the object")
	}
	return nil
}

// CSVReader reads bookings from CSV (RFC 4180): a header row naming the
// columns with the field names, in any order, then one booking a row. The
// booking returned by Next is reused by the following call.
type CSVReader struct {
	cr     *csv.Reader
	key    []byte
	header []string
	st     lineState
	err    error
}

// NewCSVReader reads CSV from r; the header is read by the first Next.
func NewCSVReader(r io.Reader, o ReaderOptions) *CSVReader {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.ReuseRecord = true
	return &CSVReader{cr: cr, key: o.Key}
}

// Next implements Reader.
func (c *CSVReader) Next() (*Booking, error) {
	if c.err != nil {
		return nil, c.err
	}
	rec, err := c.cr.Read()
	if err != nil {
		if err == io.EOF {
			if c.header == nil {
				c.err = &LineError{Line: 1, Reason: "no header row"}
				return nil, c.err
			}
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.err = &LineError{Line: pe.Line, Reason: pe.Err.Error()}
		} else {
			c.err = err
		}
		return nil, c.err
	}
	line, _ := c.cr.FieldPos(0)
	if c.header == nil {
		seen := map[string]bool{}
		for _, h := range rec {
			if _, ok := fieldOf(h); !ok {
				c.err = &LineError{Line: line, Field: h, Value: short(h), Reason: "unknown column"}
				return nil, c.err
			}
			if seen[h] {
				c.err = &LineError{Line: line, Field: h, Value: short(h), Reason: "column given twice"}
				return nil, c.err
			}
			seen[h] = true
		}
		c.header = append([]string(nil), rec...)
		return c.Next()
	}
	size := 0
	for _, v := range rec {
		size += len(v)
	}
	if size > MaxLine {
		c.err = &LineError{Line: line, Reason: fmt.Sprintf("longer than %d bytes", MaxLine)}
		return nil, c.err
	}
	c.st = lineState{}
	for i, v := range rec {
		if v == "" && (c.header[i] == fAirline || c.header[i] == fDevice) {
			continue // optional columns may be left empty
		}
		if e := c.st.set(c.header[i], v); e != nil {
			e.Line = line
			c.err = e
			return nil, e
		}
	}
	if e := c.st.finish(c.key); e != nil {
		e.Line = line
		c.err = e
		return nil, e
	}
	return &c.st.b, nil
}

// ParseBooking reads one booking from a JSON object with the fields of a
// bookings.jsonl line (white space, new lines included, may surround its
// members), as an inline screening request gives it. Clear names and card
// numbers are hashed under o.Key and dropped; an error is a *LineError
// with Line 1, which withholds their values as the readers do.
func ParseBooking(data []byte, o ReaderOptions) (Booking, error) {
	if len(data) > MaxLine {
		return Booking{}, &LineError{Line: 1, Reason: fmt.Sprintf("longer than %d bytes", MaxLine)}
	}
	var j JSONReader
	if err := j.parse(string(bytes.TrimSpace(data))); err != nil {
		err.Line = 1
		return Booking{}, err
	}
	if err := j.st.finish(o.Key); err != nil {
		err.Line = 1
		return Booking{}, err
	}
	return j.st.b, nil
}

// AppendJSON appends b as a JSON object with the fields of a
// bookings.jsonl line, hashes only (what ParseBooking reads back into an
// equal Booking): clear names and card numbers were never kept. Empty
// optional fields (airline, device) are left out.
func (b *Booking) AppendJSON(dst []byte) []byte {
	str := func(name, v string) {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendQuote(dst, v)
	}
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendQuote(dst, b.ID)
	str(fBooked, b.Booked.UTC().Format(time.RFC3339Nano))
	str(fDeparture, b.Departure.UTC().Format(time.RFC3339Nano))
	str(fOrigin, b.Origin)
	str(fDestination, b.Destination)
	str(fOriginCountry, b.OriginCountry)
	str(fDestinationCountry, b.DestinationCountry)
	str(fCardBIN, b.CardBIN)
	str(fBINCountry, b.BINCountry)
	str(fIPCountry, b.IPCountry)
	str(fClientIP, b.ClientIP.String())
	str(fCardholder, b.Cardholder)
	str(fTraveller, b.Traveller)
	str(fBooker, b.Booker)
	str(fCard, b.Card)
	str(fAmount, strconv.FormatFloat(b.Amount, 'f', -1, 64))
	str(fCurrency, b.Currency)
	str(fChannel, b.Channel)
	if b.Airline != "" {
		str(fAirline, b.Airline)
	}
	if b.Device != "" {
		str(fDevice, b.Device)
	}
	return append(dst, '}')
}
