package c2

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"fusion/internal/finding"
)

// SketchSize is how many distinct values a [DNSTunnels] group counts
// exactly — unique subdomains per (source, domain), sources per domain —
// before it estimates. Past it a group keeps the SketchSize smallest
// 64-bit hashes of the values seen (a k-minimum-values sketch; the
// estimate's relative standard error is about 1/√(SketchSize−2), 9%), so
// a group's hash set never exceeds SketchSize × 8 = 1 KiB.
const SketchSize = 128

// DefaultDNSAllow lists registered domains whose subdomain lookups are
// known to look like tunnels but are not: antivirus and reputation
// services that encode hashes in names (McAfee GTI's *.avqs.mcafee.com,
// Sophos's *.sophosxl.net) and DNS block lists (most of whose queries
// [DNSTunnels] already recognises by their reversed-IP shape). An
// attacker cannot host names under these domains.
var DefaultDNSAllow = []string{
	"mcafee.com",
	"sophosxl.net",
	"spamhaus.org",
	"spamcop.net",
	"sorbs.net",
	"barracudacentral.org",
	"surbl.org",
	"uribl.com",
}

const defaultMinPrevalenceHosts = 3

// DNSTunnels finds DNS tunnelling: a host sending many queries for unique
// names under one registered domain, with long, high-entropy subdomains,
// often of record types that carry data in their answers. Feed it queries
// with Observe, then ask for Findings. The zero value works, with an empty
// allow list; NewDNSTunnels sets the defaults. It is not safe for
// concurrent use.
//
// # Grouping
//
// A query name is lower-cased and stripped of one trailing dot; its
// registered domain is publicsuffix.EffectiveTLDPlusOne (public suffix
// plus one label, private suffixes included, so that each dynamic-DNS
// customer such as x.duckdns.org is a domain of its own). The subdomain is
// what precedes the registered domain. Queries are ignored (and counted
// in Ignored) when the name is empty, an IP address, a single label, a
// public suffix, has an empty label, lies under arpa (reverse lookups) or
// local (mDNS), or its domain is on Allow. A query whose subdomain starts
// with a reversed IPv4 address (four decimal labels) or 32 hex nibble
// labels is an address lookup, as DNS block lists and IP-to-ASN services
// answer them: it is counted but adds nothing to the unique, length and
// entropy figures.
//
// # Scoring
//
// Each (source, domain) group is scored from four sub-scores in [0, 1]:
//
//   - unique: U = (log10 u − 1)/2, clamped, over the number u of unique
//     subdomains: 0 up to 10, 0.5 at 100 (RITA's threshold for C2 over
//     DNS), 1 from 1,000 (RITA's high bucket).
//   - length: L = (m − 12)/28, clamped, over the mean subdomain length m
//     in characters: ordinary subdomains (www, mail, login.live) are under
//     12 characters; tunnels fill labels towards their 63-byte limit, 40
//     or more.
//   - entropy: E = H − 3, clamped, over the mean Shannon entropy H of each
//     subdomain's characters (dots left out), in bits per character:
//     words and short host names stay under 3 bits; base32 and base64
//     payloads reach 4 and more.
//   - qtype: Q, the share of queries of type TXT, NULL, CNAME, MX or ANY,
//     whose answers carry data back (iodine uses NULL, dnscat2 TXT, CNAME
//     and MX); browsers ask for A, AAAA and HTTPS.
//
// The content score is C = (L + E + Q)/3 and the score is P·√(U·C): many
// unique names are needed and so is payload-like content, so neither a
// crawler resolving many short host names nor one odd long name scores.
// P damps prevalence: a domain that many hosts query with many unique
// names is a CDN, telemetry or reputation service, not a tunnel. With h
// the domain's querying hosts and s = h/n their share of the n hosts seen,
// P is 1 when h ≤ MinPrevalenceHosts or s ≤ 5%, falls linearly to 0 at
// s = 25% and is 0 beyond (RITA lowers a score at 50% prevalence and
// raises it at 2%; a tunnel is rarely on a quarter of the hosts). The
// severity is [Severity] of the score.
//
// # Memory
//
// A group holds a fixed 120 bytes or so and its hash set (at most 1 KiB,
// see [SketchSize]); a domain holds its name and a hash set of its hosts
// (at most 1 KiB); the set of all hosts seen is exact (16 bytes a host).
// Nothing grows with the number of queries: a million unique names from
// one host cost one group. Measured with map overhead and a domain of its
// own (BenchmarkDNSGroupMemory): about 400 bytes for a group of a few
// names, 1.4 KiB for a group past SketchSize.
type DNSTunnels struct {
	// Allow lists registered domains never scored; NewDNSTunnels sets it
	// to DefaultDNSAllow. Entries are compared lower-case and without a
	// trailing dot. It is read on the first Observe: set it before.
	Allow []string
	// MinPrevalenceHosts is the number of hosts a domain may have before
	// prevalence damps its score; 0 means the default, 3.
	MinPrevalenceHosts int

	seed    maphash.Seed
	allow   map[string]bool
	groups  map[groupKey]*dnsGroup
	domains map[string]*dnsDomain
	hosts   map[netip.Addr]struct{}
	ignored int
}

type groupKey struct {
	src    netip.Addr
	domain string
}

// dnsGroup is the bounded state of one (source, registered domain).
type dnsGroup struct {
	dom        *dnsDomain
	queries    uint64
	lookups    uint64 // address lookups (reversed IPs)
	dataTypes  uint64 // TXT, NULL, CNAME, MX, ANY
	first      int64  // µs
	last       int64
	sumLen     uint64  // subdomain characters, over non-lookup queries
	sumEntropy float64 // bits per character, over non-lookup queries
	maxLabel   int
	unique     sketch
}

// dnsDomain is what is kept per registered domain across sources.
type dnsDomain struct {
	name  string
	hosts sketch
}

// NewDNSTunnels returns an empty accumulator with the default allow list.
func NewDNSTunnels() *DNSTunnels {
	return &DNSTunnels{
		Allow:              slices.Clone(DefaultDNSAllow),
		MinPrevalenceHosts: defaultMinPrevalenceHosts,
		seed:               maphash.MakeSeed(),
		groups:             map[groupKey]*dnsGroup{},
		domains:            map[string]*dnsDomain{},
		hosts:              map[netip.Addr]struct{}{},
	}
}

// Observe adds one DNS query: its time in Unix microseconds (Zeek's ts ×
// 10⁶), the querying host, the name asked for and the query type's name
// as Zeek writes it (qtype_name: "A", "TXT", "NULL", "*" for ANY, ...).
// Queries it cannot group are counted in Ignored; an invalid src is too.
func (d *DNSTunnels) Observe(tsMicro int64, src netip.Addr, query, qtype string) {
	if !src.IsValid() {
		d.ignored++
		return
	}
	if d.groups == nil { // the zero DNSTunnels, without NewDNSTunnels's allow list
		d.seed = maphash.MakeSeed()
		d.groups = map[groupKey]*dnsGroup{}
		d.domains = map[string]*dnsDomain{}
		d.hosts = map[netip.Addr]struct{}{}
	}
	src = src.Unmap()
	name, domain, ok := d.split(query)
	if !ok {
		d.ignored++
		return
	}
	d.hosts[src] = struct{}{}
	g := d.groups[groupKey{src, domain}]
	if g == nil {
		dom := d.domains[domain]
		if dom == nil {
			domain = strings.Clone(domain) // do not pin the caller's buffer
			dom = &dnsDomain{name: domain}
			d.domains[domain] = dom
		}
		dom.hosts.add(maphash.Comparable(d.seed, src))
		g = &dnsGroup{dom: dom, first: tsMicro, last: tsMicro}
		d.groups[groupKey{src, dom.name}] = g
	}
	g.queries++
	g.first, g.last = min(g.first, tsMicro), max(g.last, tsMicro)
	if dataType(qtype) {
		g.dataTypes++
	}
	sub := ""
	if len(name) > len(domain) {
		sub = name[:len(name)-len(domain)-1]
	}
	if addressLookup(sub) {
		g.lookups++
		return
	}
	g.unique.add(maphash.String(d.seed, sub))
	g.sumLen += uint64(len(sub))
	g.sumEntropy += entropy(sub)
	for label := range strings.SplitSeq(sub, ".") {
		g.maxLabel = max(g.maxLabel, len(label))
	}
}

// Ignored returns the number of queries not grouped.
func (d *DNSTunnels) Ignored() int { return d.ignored }

// Groups returns the number of (source, domain) groups held.
func (d *DNSTunnels) Groups() int { return len(d.groups) }

// split normalises a query name and returns it with its registered
// domain, or ok false when the query is not to be grouped.
func (d *DNSTunnels) split(query string) (name, domain string, ok bool) {
	name = strings.TrimSuffix(strings.TrimSpace(query), ".")
	if name == "" || len(name) > 1024 {
		return "", "", false
	}
	if hasUpper(name) {
		name = strings.ToLower(name)
	}
	// An address ends in a digit (IPv4, most IPv6) or holds a colon; no
	// top-level domain starts with a digit.
	if c := name[len(name)-1]; '0' <= c && c <= '9' || strings.ContainsAny(name, ":[]") {
		if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
			return "", "", false
		}
	}
	if name == "arpa" || strings.HasSuffix(name, ".arpa") || name == "local" || strings.HasSuffix(name, ".local") {
		return "", "", false
	}
	domain, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return "", "", false
	}
	if d.allowed(domain) {
		return "", "", false
	}
	return name, domain, true
}

func (d *DNSTunnels) allowed(domain string) bool {
	if d.allow == nil {
		d.allow = make(map[string]bool, len(d.Allow))
		for _, a := range d.Allow {
			d.allow[strings.ToLower(strings.TrimSuffix(a, "."))] = true
		}
	}
	return d.allow[domain]
}

func hasUpper(s string) bool {
	for i := range len(s) {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// dataType reports whether a query type's answers carry free data.
func dataType(qtype string) bool {
	switch strings.ToUpper(qtype) {
	case "TXT", "NULL", "CNAME", "MX", "ANY", "*":
		return true
	}
	return false
}

// addressLookup reports whether a subdomain is an address lookup: a
// reversed IPv4 address (four decimal labels of at most three digits) or
// a reversed IPv6 address (32 single-hex-digit labels), followed by at
// most three short labels naming the list (zen, bl, origin.asn), as DNS
// block lists and IP-to-ASN services are asked. Payload after the address
// makes it no lookup, so a tunnel cannot hide behind an address prefix.
func addressLookup(sub string) bool {
	v4, v6 := true, true
	n := 0
	for label := range strings.SplitSeq(sub, ".") {
		if v4 && !(len(label) >= 1 && len(label) <= 3 && allDigits(label)) {
			v4 = false
		}
		if v6 && !(len(label) == 1 && isHex(label[0])) {
			v6 = false
		}
		n++
		if v4 && n == 4 {
			if shortTail(sub, n) {
				return true
			}
			v4 = false // may still be the start of an IPv6 address
		}
		if v6 && n == 32 {
			return shortTail(sub, n)
		}
		if !v4 && !v6 {
			return false
		}
	}
	return false
}

// shortTail reports whether what follows the first n labels of sub is at
// most three labels of at most 20 characters.
func shortTail(sub string, n int) bool {
	rest := sub
	for range n {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return true
		}
		rest = rest[i+1:]
	}
	k := 0
	for label := range strings.SplitSeq(rest, ".") {
		k++
		if k > 3 || len(label) > 20 {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// entropy returns the Shannon entropy, in bits per character, of the
// bytes of s other than dots; 0 for none.
func entropy(s string) float64 {
	var counts [256]uint16
	n := 0
	for i := range len(s) {
		if s[i] != '.' {
			counts[s[i]]++
			n++
		}
	}
	if n == 0 {
		return 0
	}
	var h float64
	for i := range len(s) { // visit each symbol once, through the string
		if c := counts[s[i]]; c > 0 && s[i] != '.' {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
			counts[s[i]] = 0
		}
	}
	return h
}

// sketch counts distinct 64-bit hashes: exactly up to SketchSize of them,
// then by the k-minimum-values estimate from the SketchSize smallest.
type sketch struct {
	h    []uint64 // sorted ascending, at most SketchSize
	over bool     // a distinct hash above the kept ones was seen
}

func (s *sketch) add(h uint64) {
	i, found := slices.BinarySearch(s.h, h)
	if found {
		return
	}
	if len(s.h) < SketchSize {
		s.h = slices.Insert(s.h, i, h)
		return
	}
	s.over = true
	if i == len(s.h) {
		return // larger than every kept hash
	}
	copy(s.h[i+1:], s.h[i:len(s.h)-1])
	s.h[i] = h
}

// count returns the number of distinct hashes added, exact while the
// sketch has not overflowed, and whether it is exact.
func (s *sketch) count() (float64, bool) {
	if !s.over {
		return float64(len(s.h)), true
	}
	// (k−1)/x, x the k-th smallest hash as a fraction of 2⁶⁴.
	x := float64(s.h[len(s.h)-1]) / (1 << 64)
	if x <= 0 {
		return float64(len(s.h)), false
	}
	return math.Max(float64(len(s.h)-1)/x, float64(len(s.h))), false
}

// DNSScore is the score of one (source, domain) group and its figures.
type DNSScore struct {
	Src    netip.Addr
	Domain string
	// Score is Prevalence·√(Unique·(Length+Entropy+QType)/3).
	Score                                      float64
	Unique, Length, Entropy, QType, Prevalence float64

	Queries, Lookups uint64
	// Subdomains is the number of unique subdomains, estimated past
	// SketchSize (Exact false).
	Subdomains float64
	Exact      bool
	// MeanLength is the mean subdomain length in characters, MaxLabel the
	// longest label seen, MeanEntropy the mean entropy in bits/character,
	// over the queries that were not address lookups.
	MeanLength, MeanEntropy float64
	MaxLabel                int
	// DataShare is the share of TXT, NULL, CNAME, MX and ANY queries.
	DataShare float64
	// Hosts is the number of hosts that queried the domain (estimated past
	// SketchSize), HostShare their share of all hosts seen.
	Hosts, HostShare float64
	// First and Last are the first and last query times, Unix µs.
	First, Last int64
}

// Scores scores every group, best first (then by source and domain).
func (d *DNSTunnels) Scores() []DNSScore {
	out := make([]DNSScore, 0, len(d.groups))
	for k, g := range d.groups {
		out = append(out, d.score(k, g))
	}
	slices.SortFunc(out, func(a, b DNSScore) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := a.Src.Compare(b.Src); c != 0 {
			return c
		}
		return strings.Compare(a.Domain, b.Domain)
	})
	return out
}

func (d *DNSTunnels) score(k groupKey, g *dnsGroup) DNSScore {
	s := DNSScore{Src: k.src, Domain: k.domain, Queries: g.queries, Lookups: g.lookups, First: g.first, Last: g.last, MaxLabel: g.maxLabel}
	s.Subdomains, s.Exact = g.unique.count()
	if n := g.queries - g.lookups; n > 0 {
		s.MeanLength = float64(g.sumLen) / float64(n)
		s.MeanEntropy = g.sumEntropy / float64(n)
	}
	if g.queries > 0 {
		s.DataShare = float64(g.dataTypes) / float64(g.queries)
	}
	s.Hosts, _ = g.dom.hosts.count()
	s.HostShare = min(s.Hosts/float64(max(len(d.hosts), 1)), 1)

	if s.Subdomains > 0 {
		s.Unique = clamp01((math.Log10(s.Subdomains) - 1) / 2)
	}
	s.Length = clamp01((s.MeanLength - 12) / 28)
	s.Entropy = clamp01(s.MeanEntropy - 3)
	s.QType = clamp01(s.DataShare)
	s.Prevalence = 1
	minHosts := d.MinPrevalenceHosts
	if minHosts <= 0 {
		minHosts = defaultMinPrevalenceHosts
	}
	if s.Hosts > float64(minHosts) && s.HostShare > 0.05 {
		s.Prevalence = clamp01((0.25 - s.HostShare) / 0.20)
	}
	content := (s.Length + s.Entropy + s.QType) / 3
	s.Score = round3(s.Prevalence * math.Sqrt(s.Unique*content))
	return s
}

func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// Findings returns the groups scoring at least minScore as c2-dns
// findings, best first: the entity is the source host, Dst the registered
// domain, Start and End the first and last query.
func (d *DNSTunnels) Findings(minScore float64) []finding.Finding {
	var out []finding.Finding
	for _, s := range d.Scores() {
		if s.Score < minScore || s.Score == 0 {
			continue
		}
		out = append(out, s.Finding())
	}
	return out
}

// Finding returns s as a c2-dns finding.
func (s DNSScore) Finding() finding.Finding {
	src := s.Src.String()
	exact := 0.0
	if s.Exact {
		exact = 1
	}
	return finding.Finding{
		Kind:     finding.C2DNS,
		Entity:   src,
		Start:    time.UnixMicro(s.First).UTC(),
		End:      time.UnixMicro(s.Last).UTC(),
		Src:      src,
		Dst:      s.Domain,
		Score:    s.Score,
		Severity: Severity(s.Score),
		Scores: map[string]float64{
			"unique": s.Unique, "length": s.Length, "entropy": s.Entropy,
			"qtype": s.QType, "prevalence": s.Prevalence,
		},
		Stats: map[string]float64{
			"queries": float64(s.Queries), "address_lookups": float64(s.Lookups),
			"unique_subdomains": math.Round(s.Subdomains), "unique_exact": exact,
			"mean_length": s.MeanLength, "max_label": float64(s.MaxLabel),
			"mean_entropy": s.MeanEntropy, "data_qtype_share": s.DataShare,
			"hosts": math.Round(s.Hosts), "host_share": s.HostShare,
			"span_s": float64(s.Last-s.First) / 1e6,
		},
		Explanation: s.Explain(),
	}
}

// Explain says in words what a DNS score rests on: "2,400 unique names
// under example.com, 52 characters and 4.5 bits/character on average, 80%
// TXT/NULL/CNAME/MX/ANY, 2,410 queries over 3.2 h, 1 of 250 hosts query
// it".
func (s DNSScore) Explain() string {
	var b strings.Builder
	if !s.Exact {
		b.WriteString("about ")
	}
	fmt.Fprintf(&b, "%s unique names under %s, %s characters and %s bits/character on average, %d%% TXT/NULL/CNAME/MX/ANY, %s queries over %s",
		Thousands(int64(math.Round(s.Subdomains))), s.Domain,
		strconv.FormatFloat(math.Round(s.MeanLength), 'f', -1, 64),
		strconv.FormatFloat(math.Round(s.MeanEntropy*10)/10, 'f', -1, 64),
		int(math.Round(s.DataShare*100)), Thousands(int64(s.Queries)),
		Duration(float64(s.Last-s.First)/1e6))
	hosts := int64(math.Round(s.Hosts))
	if hosts == 1 {
		b.WriteString(", queried by this host only")
	} else {
		fmt.Fprintf(&b, ", queried by %s hosts (%d%% of those seen)", Thousands(hosts), int(math.Round(s.HostShare*100)))
	}
	return b.String()
}
