package network

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/zeek"
)

// Intel contacts: hosts reach values of an indicator set (the records.jsonl
// of an intel scenario) — an address, a domain, a plain-HTTP URL — in
// episodes of one to four contacts a few seconds to two minutes apart;
// episodes take the values in a random order, each once before any twice.
// Episodes start at random, more often in office hours, at
// --intel-rate per host and day (DefaultIntelRate: five a day in the default
// run).
//
// Up to maxIntelValues values of each type are kept, by reservoir sampling
// over the whole file, so memory does not depend on its size. HTTPS URLs
// are not contacted: without TLS interception a URL inside TLS is not in
// the logs (one with the target of a plain-HTTP URL contacted matches that
// request, since URLs match whatever their scheme, and gets a truth line). Every other value of the set is kept out of normal traffic: a
// background destination that a value would match (an address, a CIDR
// range, a domain or one of its parents, a URL's host) is not used.
const (
	intelFile      = "records.jsonl"
	maxIntelValues = 64
	minEpisodes    = 3
	maxContacts    = 4
)

// intelValue is a value hosts may contact.
type intelValue struct {
	typ     observable.Type
	value   string // canonical, as in the set
	name    string // the name looked up, if any
	addr    netip.Addr
	answers []string
	ttls    []time.Duration
	port    uint16
	uri     string // a URL's path and query
	// related are other values of the set a contact also matches, by
	// the kind of observable they match: a name or an address.
	relatedNames []string
	relatedAddrs []string
	// relatedURLs are other URLs of the set with the same target (host,
	// port, path and query): the same URL over another scheme.
	relatedURLs []string
}

// scanIntel reads the records of dir, calling f with each canonical value
// of a type the network kind uses (ipv4, cidr, domain, url) and whether it
// covers subdomains. It returns the file's SHA-256.
func scanIntel(dir string, f func(o observable.Observable, subdomains bool)) (string, error) {
	path := filepath.Join(dir, intelFile)
	file, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("intel records: %w", err)
	}
	defer file.Close()
	canon, err := observable.New(make([]byte, 32)) // no card values are read
	if err != nil {
		return "", err
	}
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(file, h), 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("intel records %s: line %d: %w", path, n, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var in intel.RecordInput
			if jerr := json.Unmarshal(line, &in); jerr != nil {
				return "", fmt.Errorf("intel records %s: line %d: %w", path, n, jerr)
			}
			if t := observable.Type(strings.ToLower(in.Type)); t == "" || t == observable.IPv4 ||
				t == observable.CIDR || t == observable.Domain || t == observable.URL {
				if o, perr := canon.Parse(t, in.Value); perr == nil {
					f(o, in.Subdomains != nil && *in.Subdomains)
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reservoir keeps a uniform sample of the values offered to it.
type reservoir struct {
	seen int
	vals []observable.Observable
}

func (s *reservoir) offer(r *rand.Rand, o observable.Observable) {
	s.seen++
	if len(s.vals) < maxIntelValues {
		s.vals = append(s.vals, o)
	} else if j := r.IntN(s.seen); j < maxIntelValues {
		s.vals[j] = o
	}
}

// loadIntel reads the indicator set twice: first to taint colliding
// destinations and hosts and to sample values, then to find the other
// values a contact with a sampled one matches.
func (g *gen) loadIntel(dir string) ([]intelValue, error) {
	col := g.pop.collisions()
	r := g.run.Rand("network/intel/sample")
	var ips, domains, urls reservoir
	taint := func(ids []int32) {
		for _, i := range ids {
			g.pop.dests[i].tainted = true
		}
	}
	sum, err := scanIntel(dir, func(o observable.Observable, _ bool) {
		switch o.Type {
		case observable.IPv4:
			a, err := netip.ParseAddr(o.Value)
			if err != nil {
				return
			}
			taint(col.byAddr[a])
			g.excludePrefix(netip.PrefixFrom(a, 32))
			ips.offer(r, o)
		case observable.CIDR:
			p, err := netip.ParsePrefix(o.Value)
			if err != nil || !p.Addr().Is4() {
				return
			}
			taint(col.inPrefix(p))
			g.excludePrefix(p)
		case observable.Domain:
			taint(col.byName[o.Value])
			domains.offer(r, o)
		case observable.URL:
			u, err := url.Parse(o.Value)
			if err != nil {
				return
			}
			host := u.Hostname()
			if a, err := netip.ParseAddr(host); err == nil {
				taint(col.byAddr[a])
				g.excludePrefix(netip.PrefixFrom(a, 32))
			} else {
				taint(col.byName[host])
			}
			if u.Scheme == "http" {
				urls.offer(r, o)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	g.run.Input(filepath.Join(dir, intelFile), sum)
	g.pop.finish()

	// Turn the samples into contactable values, in a fixed order.
	var vals []intelValue
	for _, o := range slices.Concat(ips.vals, domains.vals, urls.vals) {
		v := intelValue{typ: o.Type, value: o.Value}
		switch o.Type {
		case observable.IPv4:
			v.addr = netip.MustParseAddr(o.Value)
			v.port = 443
		case observable.Domain:
			v.name, v.port = o.Value, 443
		case observable.URL:
			u, err := url.Parse(o.Value)
			if err != nil || u.Hostname() == "" {
				continue
			}
			v.port = 80
			if p := u.Port(); p != "" {
				n, err := strconv.ParseUint(p, 10, 16)
				if err != nil || n == 0 {
					continue
				}
				v.port = uint16(n)
			}
			v.uri = u.EscapedPath()
			if v.uri == "" {
				v.uri = "/"
			}
			if u.RawQuery != "" {
				v.uri += "?" + u.RawQuery
			}
			if a, err := netip.ParseAddr(u.Hostname()); err == nil {
				if !a.Is4() {
					continue
				}
				v.addr = a
			} else {
				v.name = u.Hostname()
			}
		}
		if v.name != "" {
			i := g.pop.of(r, dContact)
			if i < 0 {
				continue
			}
			v.addr = g.pop.dests[i].addr
			v.answers = []string{v.addr.String()}
			v.ttls = []time.Duration{300 * time.Second}
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return nil, nil
	}
	return vals, g.relate(dir, vals)
}

// relate finds, for each value, the other values of the set a contact
// with it matches: the domain a URL's host is (or is under, for a record
// covering subdomains), the address or range a URL's address is in, the
// URLs of the same target over another scheme.
func (g *gen) relate(dir string, vals []intelValue) error {
	names := map[string][]int{}     // a name looked up, and its parents
	addrs := map[netip.Addr][]int{} // an address connected to
	targets := map[string][]int{}   // a URL's target
	var sorted []netip.Addr
	for i, v := range vals {
		if v.typ == observable.URL {
			t := observable.URLTarget(v.value)
			targets[t] = append(targets[t], i)
		}
		if v.name != "" {
			for _, n := range parents(v.name) {
				names[n] = append(names[n], i)
			}
		} else {
			addrs[v.addr] = append(addrs[v.addr], i)
			sorted = append(sorted, v.addr)
		}
	}
	slices.SortFunc(sorted, netip.Addr.Compare)
	add := func(list *[]string, self, value string) {
		if value != self && !slices.Contains(*list, value) {
			*list = append(*list, value)
		}
	}
	_, err := scanIntel(dir, func(o observable.Observable, subdomains bool) {
		switch o.Type {
		case observable.URL:
			for _, i := range targets[observable.URLTarget(o.Value)] {
				add(&vals[i].relatedURLs, vals[i].value, o.Value)
			}
		case observable.Domain:
			for _, i := range names[o.Value] {
				if vals[i].name == o.Value || subdomains {
					add(&vals[i].relatedNames, vals[i].value, o.Value)
				}
			}
		case observable.IPv4:
			if a, err := netip.ParseAddr(o.Value); err == nil {
				for _, i := range addrs[a] {
					add(&vals[i].relatedAddrs, vals[i].value, o.Value)
				}
			}
		case observable.CIDR:
			p, err := netip.ParsePrefix(o.Value)
			if err != nil {
				return
			}
			j, _ := slices.BinarySearchFunc(sorted, p.Masked().Addr(), netip.Addr.Compare)
			for ; j < len(sorted) && p.Contains(sorted[j]); j++ {
				for _, i := range addrs[sorted[j]] {
					add(&vals[i].relatedAddrs, vals[i].value, o.Value)
				}
				for j+1 < len(sorted) && sorted[j+1] == sorted[j] {
					j++
				}
			}
		}
	})
	return err
}

// excludePrefix keeps hosts whose address is in p out of the traffic, so
// that an indicator for an internal address is never matched.
func (g *gen) excludePrefix(p netip.Prefix) {
	if !p.Overlaps(netip.MustParsePrefix("10.0.0.0/8")) || p.Bits() < 16 {
		return
	}
	// Hosts are 200 per /24 from 10.10.0.0 (see hostAddr).
	for i := 0; i < g.hosts; i += 200 {
		net := netip.PrefixFrom(hostAddr(i), 24).Masked()
		if !net.Overlaps(p) {
			continue
		}
		for j := i; j < min(i+200, g.hosts); j++ {
			if p.Contains(hostAddr(j)) {
				if g.excluded == nil {
					g.excluded = map[int]bool{}
				}
				g.excluded[j] = true
			}
		}
	}
}

// contact is one intel-contact episode.
type contact struct {
	id   string
	v    *intelValue
	host int
	left int
	next int64
	r    *rand.Rand
	// When the value itself, its name and its address were seen.
	valEp, nameEp, addrEp episode
}

func (c *contact) at() int64 { return c.next }

func (c *contact) step(g *gen) (bool, error) {
	r, v := c.r, c.v
	us := c.next
	if v.name != "" {
		if g.cache.miss(c.host, nameKey(v.name), us, 300) {
			done := g.lookup(r, us, c.host, v.name, qtypeA, rcodeOK, v.answers, v.ttls, 16)
			c.nameEp.saw(us)
			if v.typ == observable.Domain {
				c.valEp.saw(us)
			}
			us = done + int64(between(r, 200, 20000))
		}
	}
	orig := g.origin(c.host)
	port := ephemeral(r)
	if v.typ == observable.URL {
		conn := g.conn(us, orig, port, v.addr, v.port, "tcp", "http")
		at := us + int64(between(r, 20000, 150000))
		host := v.name
		if host == "" {
			host = v.addr.String()
		}
		body := int64(logNormal(r, 20000, 1.5, 200, 5e6))
		h := g.https.add(at)
		*h = zeek.HTTP{
			TS: ts(at), UID: conn.UID, OrigH: orig, OrigP: port, RespH: v.addr, RespP: v.port,
			TransDepth: 1, Method: "GET", Host: host, URI: v.uri, Version: "1.1",
			UserAgent:      userAgents[splitmix(uint64(c.host))%uint64(len(userAgents))],
			RequestBodyLen: 0, ResponseBodyLen: body, StatusCode: 200, StatusMsg: "OK", InfoCode: zeek.Unset,
			Tags: emptySet, RespFUIDs: g.one.of(g.fuids.uid()), RespMIMETypes: mimeSlice("application/octet-stream"),
		}
		established(conn, int64(between(r, 300, 600)), body+300, time.Duration(at-us)*time.Microsecond+seconds(uniform(r, 0.05, 2)), "ShADadFf")
		// The http.log line names the URL, its host and its address at
		// the time of the request, after the connection began: every
		// value related to them is seen then too.
		c.valEp.saw(at)
		c.addrEp.saw(at)
		if v.name != "" {
			c.nameEp.saw(at)
		}
	} else {
		p := v.port
		if v.typ == observable.IPv4 && r.IntN(5) == 0 {
			p = 8443
		}
		conn := g.conn(us, orig, port, v.addr, p, "tcp", "ssl")
		tcpState(r, conn, int64(logNormal(r, 1200, 0.8, 300, 1e6)), int64(logNormal(r, 6000, 1.2, 200, 5e7)),
			seconds(logNormal(r, 0.8, 1, 0.01, 300)))
		if v.typ == observable.IPv4 {
			c.valEp.saw(us)
		}
		// The handshake names the domain (a client that connects to an
		// address sends no name).
		if at := g.tlsHello(r, conn, v.name, tlsBrowser); at >= 0 && v.name != "" {
			c.nameEp.saw(at)
			if v.typ == observable.Domain {
				c.valEp.saw(at)
			}
		}
	}
	c.addrEp.saw(us)
	c.left--
	c.next = us + int64(between(r, 5, 120))*1e6
	if c.left > 0 && c.next < g.endUS-lastStep {
		return true, nil
	}
	detail := map[string]string{"host": orig.String(), "type": string(v.typ)}
	if err := g.truth(c.valEp, finding.IntelContact, c.id, v.value, detail); err != nil {
		return false, err
	}
	for k, rel := range v.relatedNames {
		d := map[string]string{"host": orig.String(), "via": v.value}
		if err := g.truth(c.nameEp, finding.IntelContact, c.id+"-n"+strconv.Itoa(k+1), rel, d); err != nil {
			return false, err
		}
	}
	for k, rel := range v.relatedURLs {
		d := map[string]string{"host": orig.String(), "via": v.value}
		if err := g.truth(c.valEp, finding.IntelContact, c.id+"-u"+strconv.Itoa(k+1), rel, d); err != nil {
			return false, err
		}
	}
	for k, rel := range v.relatedAddrs {
		d := map[string]string{"host": orig.String(), "via": v.value}
		if err := g.truth(c.addrEp, finding.IntelContact, c.id+"-a"+strconv.Itoa(k+1), rel, d); err != nil {
			return false, err
		}
	}
	return false, nil
}

// spawner starts intel-contact episodes at times drawn from the office
// rhythm: n sorted uniform draws over the cumulative activity of the run
// (generated one after another, so nothing is stored), each mapped back to
// a time by walking the run minute by minute.
type spawner struct {
	vals  []intelValue
	r     *rand.Rand
	left  int     // episodes still to start
	u     float64 // the current draw, in activity-seconds
	total float64 // activity-seconds in the whole run
	// The walk: activity-seconds up to walkUS.
	walkUS  int64
	walkSum float64
	next    int64
	n       int
	order   []int // values in the order episodes take them; reshuffled each round
}

func (s *spawner) at() int64 { return s.next }

// value returns the value of the next episode: every value once, in a
// random order, before any value again.
func (s *spawner) value() *intelValue {
	k := s.n % len(s.vals)
	if k == 0 {
		if s.order == nil {
			s.order = make([]int, len(s.vals))
			for i := range s.order {
				s.order[i] = i
			}
		}
		s.r.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	}
	return &s.vals[s.order[k]]
}

// advance draws the next episode time; it returns false when none is left.
func (s *spawner) advance(g *gen) bool {
	if s.left == 0 {
		return false
	}
	// The next of left sorted uniforms on [u, total).
	s.u += (s.total - s.u) * (1 - math.Pow(s.r.Float64(), 1/float64(s.left)))
	s.left--
	for {
		step := min(int64(60e6), g.endUS-s.walkUS)
		if step <= 0 {
			return false
		}
		add := level(ts(s.walkUS)) * float64(step) / 1e6
		if s.walkSum+add >= s.u {
			frac := (s.u - s.walkSum) / add
			s.next = s.walkUS + int64(frac*float64(step))
			return s.next < g.endUS-lastStep
		}
		s.walkUS += step
		s.walkSum += add
	}
}

func (s *spawner) step(g *gen) (bool, error) {
	r := s.r
	if hosts := g.pickHosts(r, 1, map[int]bool{}); len(hosts) == 1 {
		v := s.value()
		s.n++
		g.schedule(&contact{
			id: fmt.Sprintf("intel-contact-%04d", s.n), v: v, host: hosts[0],
			left: between(r, 1, maxContacts), next: s.next, r: g.run.Rand(fmt.Sprintf("network/intel/contact/%d", s.n)),
		})
	}
	return s.advance(g), nil
}

// scheduleIntel plans the episodes.
func (g *gen) scheduleIntel(vals []intelValue) {
	if len(vals) == 0 {
		return
	}
	days := float64(g.endUS-g.startUS) / 86400e6
	n := max(minEpisodes, int(math.Round(g.run.Params.IntelRate*float64(g.hosts)*days)))
	s := &spawner{vals: vals, r: g.run.Rand("network/intel/episodes"), left: n, walkUS: g.startUS}
	for us := g.startUS; us < g.endUS; us += 60e6 {
		s.total += level(ts(us)) * float64(min(int64(60e6), g.endUS-us)) / 1e6
	}
	if s.advance(g) {
		g.schedule(s)
	}
}
