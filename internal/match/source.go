package match

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"fusion/internal/zeek"
)

// Source yields the events of a log, one at a time, and the values of each
// event worth looking up.
type Source interface {
	// Next advances to the next event; false at the end or on an error.
	Next() bool
	// Row calls emit for each value of the current event (see
	// Extractor.Row for how long a value stays valid).
	Row(emit func(Observation))
	// UID is the event's identifier if the log has one (Zeek's uid).
	UID() string
	// Err is the error that stopped Next, or nil at the end of the input.
	Err() error
}

// Formats are the log formats NewSource reads.
var Formats = []string{"zeek", "zeek-conn", "zeek-dns", "zeek-http", "zeek-json", "jsonl", "csv"}

// NewSource returns a source reading r in format: one of Formats. The zeek
// formats and jsonl read TSV or JSON lines alike, gzip-compressed or not;
// zeek-conn, zeek-dns and zeek-http also check that the log is of that kind
// (when it names its kind), zeek-json and jsonl that it is JSON lines.
func NewSource(r io.Reader, format string) (Source, error) {
	switch format {
	case "csv":
		return newCSVSource(r)
	case "zeek", "zeek-conn", "zeek-dns", "zeek-http", "zeek-json", "jsonl":
	default:
		return nil, fmt.Errorf("format %q: not one of %s", format, strings.Join(Formats, ", "))
	}
	zr, err := zeek.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &zeekSource{r: zr, x: NewExtractor(zr), format: format, uid: -1}, nil
}

type zeekSource struct {
	r       *zeek.Reader
	x       *Extractor
	format  string
	checked bool
	uid     int
	nField  int
	err     error
}

func (s *zeekSource) Next() bool {
	if s.err != nil || !s.r.Next() {
		return false
	}
	if !s.checked {
		s.checked = true
		if err := s.check(); err != nil {
			s.err = err
			return false
		}
	}
	if n := len(s.r.Fields()); n != s.nField {
		s.nField, s.uid = n, s.r.Index("uid")
	}
	return true
}

// check compares the log's kind and form with the format asked for.
func (s *zeekSource) check() error {
	switch s.format {
	case "zeek-json", "jsonl":
		if !s.r.JSON() {
			return fmt.Errorf("format %s: the input is not JSON lines (line %d starts a Zeek TSV log)", s.format, s.r.Line())
		}
	case "zeek-conn", "zeek-dns", "zeek-http":
		want := strings.TrimPrefix(s.format, "zeek-")
		if got := s.r.Path(); got != "" && got != want {
			return fmt.Errorf("format %s: the input is a Zeek %s log", s.format, got)
		}
	}
	return nil
}

func (s *zeekSource) Row(emit func(Observation)) { s.x.Row(emit) }

func (s *zeekSource) UID() string {
	if s.uid < 0 || s.r.Unset(s.uid) {
		return ""
	}
	return s.r.Field(s.uid)
}

func (s *zeekSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.r.Err()
}

// csvSource reads comma-separated values with a header line. A column named
// ts, time, timestamp or @timestamp gives the event time (RFC 3339 or Unix
// seconds); columns named like Zeek's address, name and URL fields are
// looked up as such; every other column's values are looked up by their
// detected type.
type csvSource struct {
	r     *csv.Reader
	cols  []column
	tsCol int
	uid   int
	rec   []string
	err   error
}

type column struct {
	name string
	kind Kind
}

// csvKinds maps column names to the kind of value they hold.
var csvKinds = map[string]Kind{
	"ip": KindIP, "src": KindIP, "dst": KindIP, "src_ip": KindIP, "dst_ip": KindIP, "client_ip": KindIP,
	"source_ip": KindIP, "destination_ip": KindIP, "id.orig_h": KindIP, "id.resp_h": KindIP,
	"domain": KindDomain, "host": KindDomain, "hostname": KindDomain, "query": KindDomain, "server_name": KindDomain,
	"url": KindURL,
}

// skipColumns are never looked up: times, ports, counters and identifiers.
var skipColumns = map[string]bool{
	"uid": true, "id.orig_p": true, "id.resp_p": true, "src_port": true, "dst_port": true, "proto": true,
	"bytes": true, "packets": true, "duration": true, "orig_bytes": true, "resp_bytes": true,
}

func newCSVSource(r io.Reader) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // every row as wide as the header
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("csv: empty input: a header line naming the columns is required")
	}
	if err != nil {
		return nil, fmt.Errorf("csv: header: %w", err)
	}
	s := &csvSource{r: cr, tsCol: -1, uid: -1}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if name == "" {
			name = "column" + strconv.Itoa(i+1)
		}
		switch name {
		case "ts", "time", "timestamp", "@timestamp":
			if s.tsCol < 0 {
				s.tsCol = i
			}
			s.cols = append(s.cols, column{name: name, kind: 255})
			continue
		case "uid":
			s.uid = i
		}
		if skipColumns[name] {
			s.cols = append(s.cols, column{name: name, kind: 255})
			continue
		}
		s.cols = append(s.cols, column{name: name, kind: csvKinds[name]})
	}
	return s, nil
}

func (s *csvSource) Next() bool {
	if s.err != nil {
		return false
	}
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		s.err = fmt.Errorf("csv: %w", err)
		return false
	}
	s.rec = rec
	return true
}

func (s *csvSource) Row(emit func(Observation)) {
	var t time.Time
	if s.tsCol >= 0 {
		t = parseTime(s.rec[s.tsCol])
	}
	for i, c := range s.cols {
		v := strings.TrimSpace(s.rec[i])
		if c.kind == 255 || v == "" || v == "-" {
			continue
		}
		kind := c.kind
		if kind == KindDomain || kind == KindAny {
			if _, err := netip.ParseAddr(v); err == nil {
				kind = KindIP
			}
		}
		emit(Observation{Time: t, Field: c.name, Kind: kind, Value: v})
	}
}

// parseTime reads an RFC 3339 time or Unix seconds (with a fraction), or
// returns the zero time.
func parseTime(v string) time.Time {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC()
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	}
	return time.Time{}
}

func (s *csvSource) UID() string {
	if s.uid < 0 {
		return ""
	}
	return s.rec[s.uid]
}

func (s *csvSource) Err() error { return s.err }
