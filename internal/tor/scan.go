package tor

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

// SessionGap is the longest pause between two Tor connections of one host
// that still counts as one session.
const SessionGap = 30 * time.Minute

// Scanner finds Tor use in Zeek logs: connections to a relay's ORPort or
// DirPort at an address where the directory listed that relay within Window
// of the connection, and DNS lookups of .onion names (which only a
// misconfigured Tor client or a curious user makes).
type Scanner struct {
	Dir    *Directory
	Window time.Duration
	open   map[netip.Addr]*finding.Finding
	out    []finding.Finding
	first  time.Time // of the records read
	last   time.Time
}

// Span returns the times of the first and last log records read; ok is
// false when none had a time.
func (s *Scanner) Span() (first, last time.Time, ok bool) {
	return s.first, s.last, !s.first.IsZero()
}

// NewScanner returns a scanner over d.
func NewScanner(d *Directory, window time.Duration) *Scanner {
	return &Scanner{Dir: d, Window: window, open: map[netip.Addr]*finding.Finding{}}
}

// Log reads one Zeek conn or dns log (TSV or JSON, gzip or not).
func (s *Scanner) Log(r *zeek.Reader) error {
	var orig, resp, port, query = -1, -1, -1, -1
	n := -1
	for r.Next() {
		if len(r.Fields()) != n {
			n = len(r.Fields())
			orig, resp, port, query = r.Index("id.orig_h"), r.Index("id.resp_h"), r.Index("id.resp_p"), r.Index("query")
		}
		if orig < 0 {
			continue
		}
		host, err := netip.ParseAddr(string(r.Bytes(orig)))
		if err != nil {
			continue
		}
		t := r.Time()
		if !t.IsZero() {
			if s.first.IsZero() || t.Before(s.first) {
				s.first = t
			}
			if t.After(s.last) {
				s.last = t
			}
		}
		if query >= 0 {
			if q := strings.ToLower(strings.TrimSuffix(string(r.Bytes(query)), ".")); strings.HasSuffix(q, ".onion") || q == "onion" {
				f := s.session(host, t)
				if !slices.Contains(f.Onions, q) {
					f.Onions = append(f.Onions, q)
				}
			}
			continue
		}
		if resp < 0 || port < 0 {
			continue
		}
		dst, err := netip.ParseAddr(string(r.Bytes(resp)))
		if err != nil {
			continue
		}
		p, err := strconv.ParseUint(string(r.Bytes(port)), 10, 16)
		if err != nil {
			continue
		}
		iv, ok := s.Dir.RelayAt(dst, uint16(p), t, s.Window)
		if !ok {
			continue
		}
		f := s.session(host, t)
		f.Connections++
		relay := iv.Nickname + " (" + iv.Fingerprint + ") " + netip.AddrPortFrom(dst.Unmap(), uint16(p)).String()
		if len(f.Relays) < 16 && !slices.Contains(f.Relays, relay) {
			f.Relays = append(f.Relays, relay)
		}
	}
	return r.Err()
}

// session returns host's open finding, extended to t, or a new one when
// the last was more than SessionGap ago.
func (s *Scanner) session(host netip.Addr, t time.Time) *finding.Finding {
	f := s.open[host]
	if f != nil && (t.Sub(f.End) > SessionGap || f.Start.Sub(t) > SessionGap) {
		s.out = append(s.out, *f)
		f = nil
	}
	if f == nil {
		f = &finding.Finding{Kind: finding.TorUse, Entity: host.String(), Start: t, End: t}
		s.open[host] = f
	}
	if t.Before(f.Start) {
		f.Start = t
	}
	if t.After(f.End) {
		f.End = t
	}
	return f
}

// Findings returns every session found, ordered by start time and host:
// kind tor-use, the entity the host's address, with the connections to
// relays, the relays and the .onion names looked up.
func (s *Scanner) Findings() []finding.Finding {
	out := slices.Clone(s.out)
	for _, f := range s.open {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b finding.Finding) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Entity, b.Entity)
	})
	return out
}
