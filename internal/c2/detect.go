package c2

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

// Config is what a Detector is told.
type Config struct {
	// Window is the span a pair is scored over (RITA: 24 h). A pair's
	// window starts at its first connection; when a connection comes
	// after the window, the window is scored and a new one starts.
	Window time.Duration
	// MinScore is the lowest beacon or poll score reported.
	MinScore float64
	// MaxJitter is the largest median absolute deviation of a beacon's or
	// poll's intervals, as a share of their median: a beacon is periodic,
	// and RITA's mean lets a steady but irregular pair (a mail relay's
	// deliveries every hour or so) through on its histogram and duration.
	// Uniform jitter of ±30% has a deviation of 15%.
	MaxJitter float64
	// ShortSpan and ShortMinScore: a pair that does not reach MinScore
	// over its window, active for at least ShortSpan but less than half
	// the window, with at least 10 distinct times, is scored again over
	// its own span and reported when that reaches ShortMinScore.
	ShortSpan     time.Duration
	ShortMinScore float64
	// Internal are the networks whose hosts are watched; connections from
	// them to addresses outside them are scored. Default: the private,
	// shared, link-local and unique-local ranges.
	Internal []netip.Prefix
	// Allow are destinations never reported.
	Allow *Allowlist
	// Prevalence: a destination reached by at least PrevalenceShare of the
	// internal hosts seen, and by at least PrevalenceMin of them, is a
	// popular service and not reported (NTP pools, update services,
	// telemetry, safe-browsing polls are periodic too).
	PrevalenceShare float64
	PrevalenceMin   int
	// LongConnection is the shortest chain of back-to-back connections (or
	// single connection) reported as a long connection; ChainGap the
	// longest pause between two connections of one chain.
	LongConnection time.Duration
	ChainGap       time.Duration
	// DNSMinScore is the lowest DNS tunnelling score reported.
	DNSMinScore float64
	// Params are the beacon scoring parameters.
	Params Params
}

// DefaultConfig returns the defaults: a 24-hour window, RITA's parameters,
// score at least 0.8 with intervals deviating at most 30% (0.9 for pairs
// active an hour to half a window, scored over their span), popular at 5%
// of hosts and at least 5, long connections of an hour with pauses of at
// most 10 s, and DefaultAllowlist.
func DefaultConfig() Config {
	return Config{
		Window:          24 * time.Hour,
		MinScore:        0.8,
		MaxJitter:       0.3,
		Allow:           DefaultAllowlist(),
		ShortSpan:       time.Hour,
		ShortMinScore:   0.9,
		Internal:        privateNets,
		PrevalenceShare: 0.05,
		PrevalenceMin:   5,
		LongConnection:  time.Hour,
		ChainGap:        10 * time.Second,
		DNSMinScore:     0.7,
		Params:          DefaultParams(),
	}
}

var privateNets = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// Check reports the first bad setting, naming it.
func (c Config) Check() error {
	switch {
	case c.Window < time.Minute || c.Window > 30*24*time.Hour:
		return fmt.Errorf("window: %s is not between 1m and 720h", c.Window)
	case c.MinScore < 0 || c.MinScore > 1 || math.IsNaN(c.MinScore):
		return fmt.Errorf("min score: %v is not between 0 and 1", c.MinScore)
	case !(c.MaxJitter > 0 && c.MaxJitter <= 1):
		return fmt.Errorf("max jitter: %v is not a share above 0 and at most 1", c.MaxJitter)
	case c.ShortMinScore < 0 || c.ShortMinScore > 1 || math.IsNaN(c.ShortMinScore):
		return fmt.Errorf("short min score: %v is not between 0 and 1", c.ShortMinScore)
	case c.ShortSpan < time.Minute:
		return fmt.Errorf("short span: %s is shorter than 1m", c.ShortSpan)
	case c.DNSMinScore < 0 || c.DNSMinScore > 1 || math.IsNaN(c.DNSMinScore):
		return fmt.Errorf("dns min score: %v is not between 0 and 1", c.DNSMinScore)
	case c.PrevalenceShare <= 0 || c.PrevalenceShare > 1 || math.IsNaN(c.PrevalenceShare):
		return fmt.Errorf("prevalence: %v is not a share above 0 and at most 1", c.PrevalenceShare)
	case c.PrevalenceMin < 1:
		return fmt.Errorf("prevalence minimum: %d is not at least 1", c.PrevalenceMin)
	case c.LongConnection < time.Minute:
		return fmt.Errorf("long connection: %s is shorter than 1m", c.LongConnection)
	case c.ChainGap < 0 || c.ChainGap > c.LongConnection:
		return fmt.Errorf("chain gap: %s is not between 0 and the long-connection length %s", c.ChainGap, c.LongConnection)
	}
	return c.Params.Check()
}

type ipKey struct{ src, dst netip.Addr }

// shortMinUnique is the fewest distinct times a pair scored over its own
// span needs.
const shortMinUnique = 10

// v6Key is an address pair that is not two IPv4 addresses; two IPv4
// addresses are packed into a uint64 key, whose map is faster.
type v6Key [32]byte

func pairKey(src, dst netip.Addr) (uint64, v6Key, bool) {
	if src.Is4() && dst.Is4() {
		a, b := src.As4(), dst.As4()
		return uint64(a[0])<<56 | uint64(a[1])<<48 | uint64(a[2])<<40 | uint64(a[3])<<32 |
			uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3]), v6Key{}, true
	}
	var k v6Key
	a, b := src.As16(), dst.As16()
	copy(k[:16], a[:])
	copy(k[16:], b[:])
	return 0, k, false
}

type nameKey struct {
	src  netip.Addr
	name int32
}

type pollKey struct {
	src netip.Addr
	url uint64
}

// A Detector finds command-and-control traffic in Zeek logs: beacons
// (c2-beacon) by address pair and by name pair (TLS SNI, HTTP Host,
// proxied CONNECT), bulletin-board polling (c2-poll) by host and URL, DNS
// tunnels (c2-dns) and long connections. Feed it logs with Log, names
// first (http, ssl), then dns and conn; then call Findings. A Detector is
// not safe for concurrent use.
type Detector struct {
	cfg    Config
	scorer *Scorer
	// spanScorers score pairs over their own span, by number of bins.
	spanScorers map[int]*Scorer
	limit       int // connections kept per window
	// chainGap and chainKeep are Config.ChainGap and a quarter of
	// Config.LongConnection, in µs.
	chainGap, chainKeep int64
	// Scratch for scoring.
	offsets []int32
	sizes   []uint32
	runs    []uint64

	seed maphash.Seed

	// Names: TLS server names and HTTP hosts, interned.
	names   []string
	nameIDs map[string]int32
	// byUID maps a connection's uid (hashed) to the name it was made to.
	byUID map[uint64]int32

	ips   map[uint64]*series
	ips6  map[v6Key]*series
	named map[nameKey]*series
	polls map[pollKey]*series

	hosts  map[netip.Addr]struct{} // internal hosts seen
	ipPrev map[netip.Addr]int32    // destination address → hosts reaching it
	nmPrev map[int32]int32         // name → hosts reaching it
	urPrev map[uint64]int32        // poll URL → hosts polling it
	// resolved maps an address to the name dns.log last saw resolve to
	// it; svcPrev, computed when findings are asked for, counts the hosts
	// reaching each such name over all its addresses.
	resolved map[netip.Addr]int32
	svcPrev  map[int32]int32

	// Pairs idle for a window are scored and forgotten (see sweep); the
	// keys of those forgotten are kept, 8 to 32 bytes each, so that a
	// pair that comes back is not counted twice for prevalence, and
	// their long-connection chains are kept in longs.
	lastSweep  int64
	swept4     map[uint64]struct{}
	swept6     map[v6Key]struct{}
	sweptNamed map[nameKey]struct{}
	sweptPolls map[pollKey]struct{}
	longs      []longChain

	dns *DNSTunnels

	cands []candidate
	first int64 // first and last event, Unix s
	last  int64

	// Counts, for the summary.
	Events map[string]int
}

// New returns a Detector with cfg, or the error Config.Check gives.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	sc, err := NewScorer(cfg.Params)
	if err != nil {
		return nil, err
	}
	limit := int(cfg.Params.StrobePerDay * int64(cfg.Window/time.Second) / 86400)
	return &Detector{
		cfg: cfg, scorer: sc, limit: limit, seed: maphash.MakeSeed(),
		chainGap: cfg.ChainGap.Microseconds(), chainKeep: cfg.LongConnection.Microseconds() / 4,
		nameIDs: map[string]int32{}, byUID: map[uint64]int32{},
		ips: map[uint64]*series{}, ips6: map[v6Key]*series{}, named: map[nameKey]*series{}, polls: map[pollKey]*series{},
		hosts: map[netip.Addr]struct{}{}, ipPrev: map[netip.Addr]int32{}, nmPrev: map[int32]int32{}, urPrev: map[uint64]int32{},
		resolved: map[netip.Addr]int32{},
		swept4:   map[uint64]struct{}{}, swept6: map[v6Key]struct{}{}, sweptNamed: map[nameKey]struct{}{}, sweptPolls: map[pollKey]struct{}{},
		dns:    NewDNSTunnels(),
		Events: map[string]int{},
	}, nil
}

func (d *Detector) internal(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range d.cfg.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (d *Detector) name(s string) int32 {
	if id, ok := d.nameIDs[s]; ok {
		return id
	}
	id := int32(len(d.names))
	d.names = append(d.names, s)
	d.nameIDs[s] = id
	return id
}

func (d *Detector) seen(ts int64) {
	if d.first == 0 || ts < d.first {
		d.first = ts
	}
	if ts > d.last {
		d.last = ts
	}
}

// ErrLogKind is returned for a log that is not conn, http, ssl or dns.
var ErrLogKind = errors.New("not a conn, http, ssl or dns log")

// Log reads one Zeek log (TSV or JSON lines) to its end. Its kind is its
// path: the #path header, or for JSON the _path field or a guess from the
// fields. An error names the line and the field.
func (d *Detector) Log(zr *zeek.Reader) error {
	if !zr.Next() {
		return zr.Err()
	}
	kind := zr.Path()
	if kind == "" {
		switch {
		case zr.Index("server_name") >= 0:
			kind = "ssl"
		case zr.Index("query") >= 0:
			kind = "dns"
		case zr.Index("method") >= 0:
			kind = "http"
		case zr.Index("orig_bytes") >= 0 || zr.Index("duration") >= 0:
			kind = "conn"
		}
	}
	var step func(*zeek.Reader) error
	switch kind {
	case "conn":
		var f connFields
		step = func(zr *zeek.Reader) error { return d.conn(zr, &f) }
	case "http":
		var f httpFields
		step = func(zr *zeek.Reader) error { return d.http(zr, &f) }
	case "ssl":
		var f sslFields
		step = func(zr *zeek.Reader) error { return d.ssl(zr, &f) }
	case "dns":
		var f dnsFields
		step = func(zr *zeek.Reader) error { return d.dnsQuery(zr, &f) }
	default:
		return fmt.Errorf("path %q: %w", kind, ErrLogKind)
	}
	n := 0
	for ok := true; ok; ok = zr.Next() {
		if err := step(zr); err != nil {
			return err
		}
		n++
		if n%sweepEvery == 0 {
			d.maybeSweep()
		}
	}
	d.maybeSweep()
	d.Events[kind] += n
	return zr.Err()
}

// connFields are a conn log's field indexes, looked up again when the
// reader's fields change (a new header block).
type connFields struct {
	fields                              []string
	uid, orig, resp, bytes, ipBytes, du int
}

func (f *connFields) at(zr *zeek.Reader) {
	if fs := zr.Fields(); len(fs) == len(f.fields) && (len(fs) == 0 || &fs[0] == &f.fields[0]) {
		return
	}
	f.fields = zr.Fields()
	f.uid, f.orig, f.resp = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("id.resp_h")
	f.bytes, f.ipBytes, f.du = zr.Index("orig_bytes"), zr.Index("orig_ip_bytes"), zr.Index("duration")
}

func (d *Detector) conn(zr *zeek.Reader, f *connFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok {
		return err
	}
	dst, ok, err := zr.AddrField(f.resp)
	if err != nil || !ok {
		return err
	}
	if !d.internal(src) {
		return nil
	}
	// A connection is named by its TLS server name or HTTP host; through
	// a proxy (an internal address) only by its name.
	uid := zr.Bytes(f.uid)
	name := int32(-1)
	if len(uid) > 0 && len(d.byUID) > 0 {
		h := maphash.Bytes(d.seed, uid)
		if id, ok := d.byUID[h]; ok {
			delete(d.byUID, h)
			name = id
		}
	}
	toInternal := d.internal(dst)
	if toInternal && name < 0 {
		return nil
	}
	// RITA sizes a connection by orig_ip_bytes; orig_bytes when absent.
	n, ok, err := zr.CountField(f.ipBytes)
	if err != nil {
		return err
	}
	if !ok {
		if n, _, err = zr.CountField(f.bytes); err != nil {
			return err
		}
	}
	dur, hasDur, err := zr.IntervalField(f.du)
	if err != nil {
		return err
	}
	ts := t.Unix()
	d.seen(ts)
	size := ClampBytes(n)
	if !toInternal {
		k4, k6, is4 := pairKey(src, dst)
		var s *series
		if is4 {
			s = d.ips[k4]
		} else {
			s = d.ips6[k6]
		}
		if s == nil {
			s = newSeries(src, dst, -1, ts)
			if is4 {
				d.ips[k4] = s
			} else {
				d.ips6[k6] = s
			}
			swept := false
			if is4 {
				_, swept = d.swept4[k4]
			} else {
				_, swept = d.swept6[k6]
			}
			if !swept {
				d.ipPrev[dst]++
			}
			d.hosts[src] = struct{}{}
		}
		if name >= 0 {
			s.name = name
		}
		d.addTo(s, ts, size, uid, "")
		if hasDur {
			s.chain.add(t.UnixMicro(), dur.Microseconds(), n, d.chainGap, d.chainKeep, uid)
		}
	}
	if name >= 0 {
		ns := d.named[nameKey{src, name}]
		if ns == nil {
			ns = newSeries(src, dst, name, ts)
			d.named[nameKey{src, name}] = ns
			if _, ok := d.sweptNamed[nameKey{src, name}]; !ok {
				d.nmPrev[name]++
			}
			d.hosts[src] = struct{}{}
		}
		ns.reached(dst)
		d.addTo(ns, ts, size, uid, "")
	}
	return nil
}

// addTo adds a connection to s, scoring and starting a new window first
// when it falls past the current one.
func (d *Detector) addTo(s *series, ts int64, n uint32, uid []byte, kind string) {
	if ts >= s.start+int64(d.cfg.Window/time.Second) {
		if c, ok := d.score(s, kind); ok {
			d.cands = append(d.cands, c)
		}
		s.reset(ts)
	} else if ts < s.start {
		ts = s.start // late by less than a window: counted at the window's start
	}
	s.add(ts, n, d.limit, uid)
}

type httpFields struct {
	fields                                     []string
	uid, orig, resp, method, host, uri, rbytes int
}

func (f *httpFields) at(zr *zeek.Reader) {
	if fs := zr.Fields(); len(fs) == len(f.fields) && (len(fs) == 0 || &fs[0] == &f.fields[0]) {
		return
	}
	f.fields = zr.Fields()
	f.uid, f.orig, f.resp = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("id.resp_h")
	f.method, f.host, f.uri, f.rbytes = zr.Index("method"), zr.Index("host"), zr.Index("uri"), zr.Index("response_body_len")
}

// http takes a request: its connection is named by its Host header (or,
// for a proxied CONNECT, by the host it tunnels to), and a GET is a step
// of a possible poll of its URL.
func (d *Detector) http(zr *zeek.Reader, f *httpFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	dst, _, err := zr.AddrField(f.resp)
	if err != nil {
		return err
	}
	method := zr.Bytes(f.method)
	host := hostOnly(zr.Bytes(f.host))
	if string(method) == "CONNECT" {
		host = hostOnly(zr.Bytes(f.uri))
	}
	if len(host) == 0 {
		return nil // no name: the address pair covers it
	}
	if _, err := netip.ParseAddr(string(host)); err == nil {
		return nil // a literal address
	}
	id := d.name(strings.ToLower(string(host)))
	if uid := zr.Bytes(f.uid); len(uid) > 0 {
		d.byUID[maphash.Bytes(d.seed, uid)] = id
	}
	uri := zr.Bytes(f.uri)
	// A poll is a GET to the outside, or through a proxy (an absolute URI).
	if string(method) != "GET" || (dst.IsValid() && d.internal(dst) && !hasScheme(uri)) {
		return nil
	}
	rb, _, err := zr.CountField(f.rbytes)
	if err != nil {
		return err
	}
	ts := t.Unix()
	d.seen(ts)
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(d.names[id])
	h.WriteByte(0)
	h.Write(uri)
	k := pollKey{src, h.Sum64()}
	s := d.polls[k]
	if s == nil {
		s = newSeries(src, dst, id, ts)
		s.url, s.urlKey = d.names[id]+string(uri), k.url
		d.polls[k] = s
		if _, ok := d.sweptPolls[k]; !ok {
			d.urPrev[k.url]++
		}
	}
	d.addTo(s, ts, ClampBytes(rb), zr.Bytes(f.uid), finding.C2Poll)
	return nil
}

// hasScheme reports whether a URI is absolute (http://...), as a proxy
// is asked for it.
func hasScheme(uri []byte) bool {
	s := strings.ToLower(string(uri[:min(len(uri), 8)]))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// hostOnly returns a Host header or CONNECT target without its port.
func hostOnly(b []byte) []byte {
	if len(b) > 0 && b[0] == '[' { // [v6]:port
		if i := strings.IndexByte(string(b), ']'); i > 0 {
			return b[1:i]
		}
		return nil
	}
	if i := strings.LastIndexByte(string(b), ':'); i >= 0 && strings.Count(string(b), ":") == 1 {
		b = b[:i]
	}
	for len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

type sslFields struct {
	fields           []string
	uid, orig, sname int
}

func (f *sslFields) at(zr *zeek.Reader) {
	if fs := zr.Fields(); len(fs) == len(f.fields) && (len(fs) == 0 || &fs[0] == &f.fields[0]) {
		return
	}
	f.fields = zr.Fields()
	f.uid, f.orig, f.sname = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("server_name")
}

// ssl names a TLS connection by its SNI.
func (d *Detector) ssl(zr *zeek.Reader, f *sslFields) error {
	f.at(zr)
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	sni := hostOnly(zr.Bytes(f.sname))
	uid := zr.Bytes(f.uid)
	if len(sni) == 0 || len(uid) == 0 {
		return nil
	}
	if _, err := netip.ParseAddr(string(sni)); err == nil {
		return nil
	}
	d.byUID[maphash.Bytes(d.seed, uid)] = d.name(strings.ToLower(string(sni)))
	return nil
}

type dnsFields struct {
	fields                       []string
	orig, query, qtypeN, answers int
}

func (f *dnsFields) at(zr *zeek.Reader) {
	if fs := zr.Fields(); len(fs) == len(f.fields) && (len(fs) == 0 || &fs[0] == &f.fields[0]) {
		return
	}
	f.fields = zr.Fields()
	f.orig, f.query, f.qtypeN, f.answers = zr.Index("id.orig_h"), zr.Index("query"), zr.Index("qtype_name"), zr.Index("answers")
}

// dnsQuery feeds a lookup to the tunnel scorer.
func (d *Detector) dnsQuery(zr *zeek.Reader, f *dnsFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	q := zr.Bytes(f.query)
	if len(q) == 0 {
		return nil
	}
	d.seen(t.Unix())
	qtype := zr.Bytes(f.qtypeN)
	d.dns.Observe(t.UnixMicro(), src, string(q), string(qtype))
	// The addresses a name resolves to serve that name: a service on
	// several addresses (anycast, round robin) counts its hosts together.
	if string(qtype) == "A" || string(qtype) == "AAAA" {
		var name int32 = -1
		zr.EachSet(f.answers, func(b []byte) {
			if a, ok := parseAnswer(b); ok {
				if name < 0 {
					name = d.name(strings.ToLower(strings.TrimSuffix(string(q), ".")))
				}
				d.resolved[a] = name
			}
		})
	}
	return nil
}

// parseAnswer returns a dns.log answer that is an address.
func parseAnswer(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > 45 || !(b[0] >= '0' && b[0] <= '9' || b[0] >= 'a' && b[0] <= 'f' || b[0] == ':') {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}

// A candidate is a scored window of one pair.
type candidate struct {
	kind    string
	src     netip.Addr
	dst     string
	dstAddr netip.Addr
	name    int32 // the name of the destination, or -1
	byName  bool  // a name pair (dst is the name)
	urlKey  uint64
	window  Window // what the score rests on
	// intervals is the histogram of intervals (Finding.Intervals).
	intervals []int
	// noHistogram: the score left the histogram out (too few connections).
	noHistogram bool
	// addrs are a name pair's addresses.
	addrs []string
	res   Result
	uids  []string
	url   string
}

// score scores s's window and returns it as a candidate when it scores.
func (d *Detector) score(s *series, kind string) (candidate, bool) {
	if int(s.count) < d.cfg.Params.MinUnique {
		return candidate{}, false
	}
	w := Window{Start: s.start, End: s.start + int64(d.cfg.Window/time.Second)}
	if d.last > s.start && d.last < w.End {
		w.End = d.last // the data ends inside the window
	}
	if w.End <= w.Start {
		return candidate{}, false
	}
	d.offsets, d.sizes = unpack(s.conns, d.offsets, d.sizes)
	series := Series{Base: s.start, Offsets: d.offsets, Bytes: d.sizes}
	r, err := d.scorer.Score(series, w)
	if err != nil || r.Strobe {
		return candidate{}, false
	}
	scored := w
	histogramLeftOut := false
	if r.Score < d.cfg.MinScore {
		// RITA's histogram and duration scores ask for a day of activity:
		// a pair active for a few hours, or only in office hours, cannot
		// reach the threshold however regular it is. Its longest active
		// stretch (split at silences of four median intervals, and at
		// least ShortSpan) is scored again over its own span, when that
		// span and its connections are enough to rest on, and must then
		// reach the stricter ShortMinScore.
		gap := max(int64(d.cfg.ShortSpan/time.Second), int64(4*r.IntervalMedian))
		run := d.longestRun(s, gap)
		span := Window{Start: s.start + int64(run[0]>>32), End: s.start + int64(run[len(run)-1]>>32)}
		if distinct(run) < shortMinUnique || span.Len() < int64(d.cfg.ShortSpan/time.Second) || span.Len() > int64(d.cfg.Window/time.Second)/2 {
			return candidate{}, false
		}
		d.offsets, d.sizes = unpack(run, d.offsets, d.sizes)
		series = Series{Base: s.start, Offsets: d.offsets, Bytes: d.sizes}
		sc, bins := d.spanScorer(distinct(run))
		r, err = sc.Score(series, span)
		if err != nil || r.Strobe {
			return candidate{}, false
		}
		if r.Unique < 2*bins {
			// Under two connections a bin, the histogram shows the
			// jitter more than any pattern (ten hourly connections with
			// 30% jitter leave bins empty and doubled): it is left out,
			// and the score is the mean of the other three.
			r.Histogram = 0
			r.Score = math.Round((r.Timestamp+r.Size+r.Duration)/3*1000) / 1000
			histogramLeftOut = true
		}
		if r.Score < d.cfg.ShortMinScore {
			return candidate{}, false
		}
		scored = span
	}
	if r.IntervalMAD > d.cfg.MaxJitter*r.IntervalMedian {
		return candidate{}, false
	}
	c := candidate{kind: kind, src: s.src, dstAddr: s.dst, name: s.name, res: r, uids: s.uids.list(), url: s.url, urlKey: s.urlKey, window: scored,
		intervals: intervalHistogram(d.offsets), noHistogram: histogramLeftOut}
	switch {
	case kind == finding.C2Poll:
		c.dst = s.url
	case kind == "" && s.url == "" && s.name >= 0 && d.named[nameKey{s.src, s.name}] == s:
		c.kind, c.byName, c.dst = finding.C2Beacon, true, d.names[s.name]
		for _, a := range s.addrs {
			c.addrs = append(c.addrs, a.String())
		}
	default:
		c.kind, c.dst = finding.C2Beacon, s.dst.String()
	}
	return c, true
}

// longestRun returns the longest stretch of s's connections, in time
// order, in which no two distinct times are more than gap seconds apart.
// It sorts a copy of the connections in the Detector's scratch.
func (d *Detector) longestRun(s *series, gap int64) []uint64 {
	d.runs = append(d.runs[:0], s.conns...)
	slices.Sort(d.runs) // by offset: the high 32 bits
	best, start := d.runs[:1], 0
	for i := 1; i <= len(d.runs); i++ {
		if i == len(d.runs) || int64(d.runs[i]>>32)-int64(d.runs[i-1]>>32) > gap {
			if d.runs[i-1]>>32-d.runs[start]>>32 > best[len(best)-1]>>32-best[0]>>32 {
				best = d.runs[start:i]
			}
			start = i
		}
	}
	return best
}

// distinct counts the distinct times among sorted packed connections.
func distinct(run []uint64) int {
	n := 0
	for i := range run {
		if i == 0 || run[i]>>32 != run[i-1]>>32 {
			n++
		}
	}
	return n
}

// unpack writes packed connections into the scorer's form.
func unpack(conns []uint64, offsets []int32, bytes []uint32) ([]int32, []uint32) {
	offsets, bytes = offsets[:0], bytes[:0]
	for _, c := range conns {
		offsets = append(offsets, int32(c>>32))
		bytes = append(bytes, uint32(c))
	}
	return offsets, bytes
}

// spanScorer returns the scorer for a pair of unique distinct times scored
// over its own span: one histogram bin per interval, at most the window's
// bins, so that a regular pair fills its bins evenly (over a window, the
// bins are hours; over a span of ten hourly connections, 24 bins would be
// half empty).
func (d *Detector) spanScorer(unique int) (*Scorer, int) {
	bins := min(d.cfg.Params.Bins, max(d.cfg.Params.DurationMinBins, unique-1))
	if sc := d.spanScorers[bins]; sc != nil {
		return sc, bins
	}
	p := d.cfg.Params
	p.Bins = bins
	p.BimodalMinBins = min(p.BimodalMinBins, bins)
	sc, err := NewScorer(p)
	if err != nil {
		return d.scorer, d.cfg.Params.Bins // cannot happen: p differs from a checked Params only in bins within its range
	}
	if d.spanScorers == nil {
		d.spanScorers = map[int]*Scorer{}
	}
	d.spanScorers[bins] = sc
	return sc, bins
}

// IntervalBins is the number of bins of Finding.Intervals: four to an
// octave, from 1 s to 2^18 s (three days).
const IntervalBins = 72

// IntervalBin returns the lower edge, in seconds, of bin i of
// Finding.Intervals: 2^(i/4). Bin 0 also holds intervals under a second,
// the last bin every longer interval.
func IntervalBin(i int) float64 { return math.Exp2(float64(i) / 4) }

// intervalHistogram counts the intervals between the distinct times among
// offsets (which it sorts) in IntervalBins bins, trailing empty bins cut.
func intervalHistogram(offsets []int32) []int {
	slices.Sort(offsets)
	h := make([]int, IntervalBins)
	last := -1
	for i := 1; i < len(offsets); i++ {
		gap := offsets[i] - offsets[i-1]
		if gap == 0 {
			continue
		}
		b := int(math.Floor(4 * math.Log2(float64(gap))))
		b = min(max(b, 0), IntervalBins-1)
		h[b]++
		last = max(last, b)
	}
	return h[:last+1]
}

// addrPairs yields every address pair's series.
func (d *Detector) addrPairs() func(yield func(*series) bool) {
	return func(yield func(*series) bool) {
		for _, s := range d.ips {
			if !yield(s) {
				return
			}
		}
		for _, s := range d.ips6 {
			if !yield(s) {
				return
			}
		}
	}
}

// Stats are a Detector's sizes, for its summary.
type Stats struct {
	AddrPairs, NamePairs, Polls, Hosts int
	// Span is the time from the first event to the last.
	Span time.Duration
}

// Stats returns the Detector's sizes now.
func (d *Detector) Stats() Stats {
	return Stats{AddrPairs: len(d.ips) + len(d.ips6), NamePairs: len(d.named), Polls: len(d.polls), Hosts: len(d.hosts),
		Span: time.Duration(d.last-d.first) * time.Second}
}

// countServices counts, for each name dns.log resolved, the internal
// hosts that connected to any of its addresses.
func (d *Detector) countServices() {
	d.svcPrev = map[int32]int32{}
	if len(d.resolved) == 0 {
		return
	}
	seen := map[nameKey]bool{}
	for s := range d.addrPairs() {
		n, ok := d.resolved[s.dst]
		if !ok || seen[nameKey{s.src, n}] {
			continue
		}
		seen[nameKey{s.src, n}] = true
		d.svcPrev[n]++
	}
}

// popularAddr reports whether a destination is reached by so many of the
// internal hosts that it is a common service.
func (d *Detector) popular(hosts int32) bool {
	need := int32(math.Ceil(d.cfg.PrevalenceShare * float64(len(d.hosts))))
	return hosts >= int32(d.cfg.PrevalenceMin) && hosts >= need
}

// Findings returns what was found so far: the windows already closed and
// every open window scored as it stands, merged per kind, source and
// destination across windows, highest score first. It changes nothing,
// so a Detector that keeps reading (serve's) can be asked again later.
func (d *Detector) Findings() []finding.Finding {
	cands := slices.Clone(d.cands)
	open := func(s *series, kind string) {
		if c, ok := d.score(s, kind); ok {
			cands = append(cands, c)
		}
	}
	for s := range d.addrPairs() {
		open(s, "")
	}
	for _, s := range d.named {
		open(s, "")
	}
	for _, s := range d.polls {
		open(s, finding.C2Poll)
	}

	d.countServices()

	// Polls: the hosts and addresses polled, per source, so that the same
	// traffic is not also called a beacon.
	polled := map[ipKey]bool{}
	polledName := map[nameKey]bool{}
	var out []finding.Finding
	keep := func(c candidate) bool {
		if d.cfg.Allow.Addr(c.dstAddr) || (c.name >= 0 && d.cfg.Allow.Name(d.names[c.name])) {
			return false
		}
		switch {
		case c.kind == finding.C2Poll:
			return !d.popular(d.urPrev[c.urlKey]) && !d.popular(d.nmPrev[c.name])
		case c.byName:
			return !d.popular(d.nmPrev[c.name])
		default:
			if n, ok := d.resolved[c.dstAddr]; ok && (d.popular(d.svcPrev[n]) || d.cfg.Allow.Name(d.names[n])) {
				return false
			}
			return !d.popular(d.ipPrev[c.dstAddr]) && (c.name < 0 || !d.popular(d.nmPrev[c.name]))
		}
	}
	var kept []candidate
	for _, c := range cands {
		if !keep(c) {
			continue
		}
		if c.kind == finding.C2Poll {
			polled[ipKey{c.src, c.dstAddr}] = true
			polledName[nameKey{c.src, c.name}] = true
		}
		kept = append(kept, c)
	}
	// A name pair's beacon covers the address pairs it was reached over.
	named := map[nameKey]bool{}
	for _, c := range kept {
		if c.byName {
			named[nameKey{c.src, c.name}] = true
		}
	}
	var final []candidate
	for _, c := range kept {
		if c.kind == finding.C2Beacon {
			if polled[ipKey{c.src, c.dstAddr}] || (c.name >= 0 && polledName[nameKey{c.src, c.name}]) {
				continue
			}
			if !c.byName && c.name >= 0 && named[nameKey{c.src, c.name}] {
				continue
			}
		}
		final = append(final, c)
	}
	out = append(out, merge(final)...)
	out = append(out, d.longConnections()...)
	for _, f := range d.dns.Findings(d.cfg.DNSMinScore) {
		if !d.cfg.Allow.Name(f.Dst) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b finding.Finding) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Entity, b.Entity); c != 0 {
			return c
		}
		return a.Start.Compare(b.Start)
	})
	return out
}

// merge makes one finding per kind, source and destination: the windows'
// times joined, the best window's scores and figures, the counts summed.
func merge(cands []candidate) []finding.Finding {
	type key struct {
		kind, dst string
		src       netip.Addr
	}
	idx := map[key]int{}
	var out []finding.Finding
	var best []float64
	for _, c := range cands {
		k := key{c.kind, c.dst, c.src}
		f := c.res.Finding(c.src.String(), c.dst)
		f.Kind, f.UIDs, f.Intervals, f.DstAddrs = c.kind, c.uids, c.intervals, c.addrs
		f.Stats["window_s"] = float64(c.window.Len())
		if c.noHistogram {
			delete(f.Scores, "histogram")
		}
		f.Stats["windows"] = 1
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, f)
			best = append(best, c.res.Score)
			continue
		}
		g := &out[i]
		total := g.Stats["connections"] + f.Stats["connections"]
		windows := g.Stats["windows"] + 1
		if f.Start.Before(g.Start) {
			g.Start = f.Start
		}
		if f.End.After(g.End) {
			g.End = f.End
		}
		if c.res.Score > best[i] {
			best[i] = c.res.Score
			g.Score, g.Severity, g.Scores, g.Stats, g.Explanation, g.UIDs, g.Intervals = f.Score, f.Severity, f.Scores, f.Stats, f.Explanation, f.UIDs, f.Intervals
		}
		g.Stats["connections_all_windows"] = total
		g.Stats["windows"] = windows
	}
	return out
}

// longConnections reports the longest chain of each address pair that
// lasts at least Config.LongConnection and is busy at least nine tenths of
// its span (back-to-back, not a beacon's short calls).
func (d *Detector) longConnections() []finding.Finding {
	var out []finding.Finding
	for s := range d.addrPairs() {
		s.chain.keep(d.chainKeep)
		if f, ok := d.longFinding(longChain{s.src, s.dst, s.name, s.chain.best}); ok {
			out = append(out, f)
		}
	}
	for _, l := range d.longs {
		if f, ok := d.longFinding(l); ok {
			out = append(out, f)
		}
	}
	return out
}

// longChain is an address pair's longest chain.
type longChain struct {
	src, dst netip.Addr
	name     int32
	best     *chainSpan
}

// longFinding returns l as a long-connection finding, when it is one.
func (d *Detector) longFinding(l longChain) (finding.Finding, bool) {
	b := l.best
	if b == nil {
		return finding.Finding{}, false
	}
	span := b.end - b.start
	if span < d.cfg.LongConnection.Microseconds() || float64(b.busy) < 0.9*float64(span) {
		return finding.Finding{}, false
	}
	if d.popular(d.ipPrev[l.dst]) || d.cfg.Allow.Addr(l.dst) || (l.name >= 0 && (d.popular(d.nmPrev[l.name]) || d.cfg.Allow.Name(d.names[l.name]))) {
		return finding.Finding{}, false
	}
	if n, ok := d.resolved[l.dst]; ok && (d.popular(d.svcPrev[n]) || d.cfg.Allow.Name(d.names[n])) {
		return finding.Finding{}, false
	}
	dst := l.dst.String()
	if l.name >= 0 {
		dst = d.names[l.name]
	}
	hours := float64(span) / 3.6e9
	score := math.Min(1, 0.5+hours/24) // an hour: 0.54; twelve hours or more: 1
	conns := "one connection"
	if b.conns > 1 {
		conns = fmt.Sprintf("%s connections back to back", Thousands(int64(b.conns)))
	}
	return finding.Finding{
		Kind: finding.LongConn, Entity: l.src.String(), Src: l.src.String(), Dst: dst,
		Start: time.UnixMicro(b.start).UTC(), End: time.UnixMicro(b.end).UTC(),
		Score: math.Round(score*1000) / 1000, Severity: Severity(score),
		Stats: map[string]float64{
			"duration_s": math.Round(float64(span) / 1e6), "busy_s": math.Round(float64(b.busy) / 1e6),
			"connections": float64(b.conns), "bytes_sent": float64(b.bytes),
		},
		Explanation: fmt.Sprintf("%s to %s for %s, %s bytes sent", conns, dst, Duration(float64(span)/1e6), Thousands(b.bytes)),
		UIDs:        b.uids,
	}, true
}

// sweepEvery is how many rows Log reads between checks for a sweep.
const sweepEvery = 1 << 20

// maybeSweep sweeps when the logs have moved on a window since the last.
func (d *Detector) maybeSweep() {
	if d.last-d.lastSweep >= int64(d.cfg.Window/time.Second) {
		if d.lastSweep != 0 {
			d.sweep()
		}
		d.lastSweep = d.last
	}
}

// sweep scores and forgets the pairs with no connection for a window: a
// connection of theirs now would start a new window anyway. So a
// Detector that reads for days (serve's) holds the pairs of the last
// window or two, not of every day.
func (d *Detector) sweep() {
	cut := d.last - int64(d.cfg.Window/time.Second)
	forget := func(s *series, kind string) bool {
		if s.last >= cut {
			return false
		}
		if c, ok := d.score(s, kind); ok {
			d.cands = append(d.cands, c)
		}
		return true
	}
	for k, s := range d.ips {
		if forget(s, "") {
			d.keepChain(s)
			delete(d.ips, k)
			d.swept4[k] = struct{}{}
		}
	}
	for k, s := range d.ips6 {
		if forget(s, "") {
			d.keepChain(s)
			delete(d.ips6, k)
			d.swept6[k] = struct{}{}
		}
	}
	for k, s := range d.named {
		if forget(s, "") {
			delete(d.named, k)
			d.sweptNamed[k] = struct{}{}
		}
	}
	for k, s := range d.polls {
		if forget(s, finding.C2Poll) {
			delete(d.polls, k)
			d.sweptPolls[k] = struct{}{}
		}
	}
}

// keepChain keeps a forgotten pair's longest chain when it may be a long
// connection.
func (d *Detector) keepChain(s *series) {
	s.chain.keep(d.chainKeep)
	if b := s.chain.best; b != nil && b.end-b.start >= d.cfg.LongConnection.Microseconds() {
		d.longs = append(d.longs, longChain{s.src, s.dst, s.name, b})
	}
}
