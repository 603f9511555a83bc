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

// popular reports whether a destination that hosts internal hosts reached
// is a common service: reached by PrevalenceShare of the hosts seen and
// by PrevalenceMin of them.
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
