package network

import (
	"cmp"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// destKind says what a destination is for.
type destKind uint8

const (
	dService  destKind = iota // background web service, drawn by popularity
	dMail                     // mail provider (IMAPS)
	dMX                       // mail exchanger the relay delivers to
	dNTP                      // public time server
	dInternal                 // a name of the enterprise's own servers
	dC2                       // command-and-control server of a beacon
	dForum                    // bulletin board a poller reads
	dContact                  // address an indicator domain resolves to
	dDead                     // address that never answers
	dNX                       // name that does not resolve
	dGuard                    // Tor relay with the Guard flag
	dRelay                    // other running Tor relay
	dTunnel                   // registered domain a DNS tunnel queries under
	dBenign                   // endpoint of a benign periodic service (see benign.go)
	numKinds
)

// dest is one destination: a name, an address, or both. Everything
// generated traffic contacts outside the indicator values is a dest, so
// that collisions with indicators can be found and avoided in one place.
type dest struct {
	name    string
	addr    netip.Addr
	answers []string        // DNS answers to an A query: an optional CNAME, then the address
	ttls    []time.Duration // their TTLs
	ttl     int64           // seconds a client caches the answer
	respLen int64           // DNS response payload bytes
	port    uint16          // a Tor relay's ORPort
	kind    destKind
	tainted bool // collides with an indicator: never used
	// sni is the name a TLS client sends when it differs from name (a C2
	// reached by address still sends one).
	sni string
	// alts are all the addresses a name resolves to when there are
	// several (a C2 behind a CDN or fronted): clients connect to any.
	alts []netip.Addr
}

// tlsName returns the name a TLS client sends to d.
func (d *dest) tlsName() string {
	if d.sni != "" {
		return d.sni
	}
	return d.name
}

// population is the world outside the hosts.
type population struct {
	dests    []dest
	services []int32 // dService dests, most popular first
	svcPick  alias   // popularity of services (Zipf)
	byKind   [numKinds][]int32
	corp     string // the enterprise's domain
	uris     []uri
	benign   []*benignService
	taken    [numKinds]int // how many of each kind take has handed out

	names map[string]bool // every name made, to keep them unique
}

// Internal servers, in 10.0.0.0/24; hosts are elsewhere in 10.0.0.0/8.
var (
	dnsServers = []netip.Addr{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("10.0.0.11")}
	dcAddr     = netip.MustParseAddr("10.0.0.5")
	fileServer = netip.MustParseAddr("10.0.0.30")
	mailRelay  = netip.MustParseAddr("10.0.0.25")
	proxyAddr  = netip.MustParseAddr("10.0.0.8")
	jumpHost   = netip.MustParseAddr("10.0.0.40")
	monitorSrv = netip.MustParseAddr("10.0.0.50")
)

// Internal dest slots, in order, in byKind[dInternal].
const (
	intDC = iota
	intFiles
	intProxy
	intJump
	intMail
	intMonitor
)

// sizes of the pools besides services.
type poolSizes struct {
	services, c2, forums, tunnels int
}

const (
	mailProviders = 6
	mxHosts       = 300
	ntpServers    = 4
	contactAddrs  = 512
	deadAddrs     = 256
	nxNames       = 512
	uriPool       = 2048
	// sharedAddrShare is the share of services on an address another
	// service already uses (shared hosting, CDNs).
	sharedAddrShare = 0.15
	// cnameShare is the share of services whose name is a CNAME for a CDN
	// edge name.
	cnameShare = 0.2
	// zipfS is the exponent of service popularity.
	zipfS = 1.0
)

// buildPopulation makes every destination from the random stream r.
func buildPopulation(r *rand.Rand, n poolSizes) *population {
	p := &population{names: map[string]bool{}}
	p.corp = p.uniqueName(r, registrable)
	internal := []struct {
		label string
		addr  netip.Addr
	}{{"dc01", dcAddr}, {"fs01", fileServer}, {"proxy", proxyAddr}, {"jump", jumpHost}, {"mail", mailRelay},
		{"monitor", monitorSrv}}
	for _, in := range internal {
		p.add(dest{name: in.label + "." + p.corp, addr: in.addr, ttl: 1200, kind: dInternal}, r)
	}
	var addrs []netip.Addr
	newAddr := func() netip.Addr {
		if len(addrs) > 0 && r.Float64() < sharedAddrShare {
			return addrs[r.IntN(len(addrs))]
		}
		a := publicIPv4(r)
		addrs = append(addrs, a)
		return a
	}
	ttls := []int64{60, 300, 300, 600, 1800, 3600, 3600, 14400, 86400}
	for range n.services {
		p.add(dest{name: p.uniqueName(r, hostName), addr: newAddr(), ttl: ttls[r.IntN(len(ttls))], kind: dService}, r)
	}
	for range mailProviders {
		p.add(dest{name: "imap." + p.uniqueName(r, registrable), addr: publicIPv4(r), ttl: 3600, kind: dMail}, r)
	}
	for range mxHosts {
		p.add(dest{name: "mx1." + p.uniqueName(r, registrable), addr: publicIPv4(r), ttl: 3600, kind: dMX}, r)
	}
	for range ntpServers {
		p.add(dest{name: "time." + p.uniqueName(r, registrable), addr: publicIPv4(r), ttl: 300, kind: dNTP}, r)
	}
	for i := range n.c2 {
		// Half the C2 servers are reached by name, with a short TTL; the
		// others by address, though their implant still sends a name. A
		// third of those reached by name sit behind a CDN or are fronted:
		// the name resolves to two to four addresses, used in turn. The
		// kinds come in a fixed cycle, fronted first, so that even a small
		// run (which hands C2 servers out in order) has one.
		d := dest{addr: publicIPv4(r), ttl: int64(between(r, 60, 300)), kind: dC2}
		switch i % 6 {
		case 2, 4:
			d.name = p.uniqueName(r, hostName)
		case 0:
			d.name = p.uniqueName(r, hostName)
			d.alts = []netip.Addr{d.addr}
			for range between(r, 1, 3) {
				d.alts = append(d.alts, publicIPv4(r))
			}
		default:
			d.sni = p.uniqueName(r, hostName)
		}
		p.add(d, r)
	}
	for range n.tunnels {
		p.add(dest{name: p.uniqueName(r, registrable), kind: dTunnel}, r)
	}
	p.addBenign(r)
	for range n.forums {
		name := p.uniqueName(r, func(r *rand.Rand) string {
			switch r.IntN(3) {
			case 0:
				return "bbs." + registrable(r)
			case 1:
				return word(r) + "-bbs.jp"
			}
			return "jbbs." + word(r) + ".net"
		})
		p.add(dest{name: name, addr: publicIPv4(r), ttl: int64(between(r, 300, 3600)), kind: dForum}, r)
	}
	for range contactAddrs {
		p.add(dest{addr: publicIPv4(r), ttl: 300, kind: dContact}, r)
	}
	for range deadAddrs {
		p.add(dest{addr: publicIPv4(r), kind: dDead}, r)
	}
	for range nxNames {
		p.add(dest{name: p.uniqueName(r, registrable), kind: dNX}, r)
	}
	p.uris = uriPaths(r, uriPool)
	p.names = nil
	return p
}

// uniqueName draws names until one is new.
func (p *population) uniqueName(r *rand.Rand, f func(*rand.Rand) string) string {
	for {
		n := f(r)
		if !p.names[n] {
			p.names[n] = true
			return n
		}
	}
}

// add appends d, filling in its DNS answer.
func (p *population) add(d dest, r *rand.Rand) {
	if d.name != "" && d.addr.IsValid() {
		ttl := time.Duration(d.ttl) * time.Second
		d.respLen = 16 // the A record, its name compressed
		if len(d.alts) > 1 {
			d.answers = d.answers[:0]
			for _, a := range d.alts {
				d.answers = append(d.answers, a.String())
				d.ttls = append(d.ttls, ttl)
			}
			d.respLen = 16 * int64(len(d.alts))
		} else if d.kind == dService && r.Float64() < cnameShare {
			cname := cdnName(r)
			d.answers = []string{cname, d.addr.String()}
			d.ttls = []time.Duration{ttl, time.Duration(min(d.ttl, 60)) * time.Second}
			d.respLen += 12 + int64(len(cname)) + 2
		} else {
			d.answers = []string{d.addr.String()}
			d.ttls = []time.Duration{ttl}
		}
	}
	i := int32(len(p.dests))
	p.dests = append(p.dests, d)
	p.byKind[d.kind] = append(p.byKind[d.kind], i)
	if d.kind == dService {
		p.services = append(p.services, i)
	}
}

// finish builds the popularity table once tainted dests are known.
func (p *population) finish() {
	w := make([]float64, len(p.services))
	for rank, i := range p.services {
		if !p.dests[i].tainted {
			w[rank] = 1 / math.Pow(float64(rank+1), zipfS)
		}
	}
	p.svcPick = newAlias(w)
	for k := range p.byKind {
		if destKind(k) == dInternal {
			continue // slots are fixed; a tainted one is skipped where used
		}
		p.byKind[k] = slices.DeleteFunc(p.byKind[k], func(i int32) bool { return p.dests[i].tainted })
	}
}

// service draws a background service by popularity.
func (p *population) service(r *rand.Rand) int32 { return p.services[p.svcPick.pick(r)] }

// of draws a usable dest of kind k, or -1 when none is left.
func (p *population) of(r *rand.Rand, k destKind) int32 {
	l := p.byKind[k]
	if len(l) == 0 {
		return -1
	}
	return l[r.IntN(len(l))]
}

// take hands out the dests of kind k in turn, so that activities get
// distinct ones while there are enough; -1 when there are none.
func (p *population) take(k destKind) int32 {
	l := p.byKind[k]
	if len(l) == 0 {
		return -1
	}
	i := l[p.taken[k]%len(l)]
	p.taken[k]++
	return i
}

// internal returns the internal dest in slot s, or -1 if it is tainted.
func (p *population) internal(s int) int32 {
	i := p.byKind[dInternal][s]
	if p.dests[i].tainted {
		return -1
	}
	return i
}

// collisionIndex finds the dests an indicator value would match.
type collisionIndex struct {
	byName map[string][]int32     // a name and each of its parents
	byAddr map[netip.Addr][]int32 // an address
	sorted []addrRef              // addresses in order, for CIDR ranges
}

type addrRef struct {
	addr netip.Addr
	dest int32
}

func (p *population) collisions() *collisionIndex {
	c := &collisionIndex{byName: map[string][]int32{}, byAddr: map[netip.Addr][]int32{}}
	for i := range p.dests {
		d := &p.dests[i]
		if d.name != "" {
			for _, n := range parents(d.name) {
				c.byName[n] = append(c.byName[n], int32(i))
			}
			if len(d.answers) == 2 && len(d.alts) == 0 {
				for _, n := range parents(d.answers[0]) {
					c.byName[n] = append(c.byName[n], int32(i))
				}
			}
		}
		if d.sni != "" {
			for _, n := range parents(d.sni) {
				c.byName[n] = append(c.byName[n], int32(i))
			}
		}
		for _, a := range d.alts[min(1, len(d.alts)):] {
			c.byAddr[a] = append(c.byAddr[a], int32(i))
			c.sorted = append(c.sorted, addrRef{a, int32(i)})
		}
		if d.addr.IsValid() {
			c.byAddr[d.addr] = append(c.byAddr[d.addr], int32(i))
			c.sorted = append(c.sorted, addrRef{d.addr, int32(i)})
		}
	}
	slices.SortFunc(c.sorted, func(a, b addrRef) int {
		return cmp.Or(a.addr.Compare(b.addr), cmp.Compare(a.dest, b.dest))
	})
	return c
}

// inPrefix returns the dests whose address is in pfx.
func (c *collisionIndex) inPrefix(pfx netip.Prefix) []int32 {
	lo := pfx.Masked().Addr()
	i, _ := slices.BinarySearchFunc(c.sorted, lo, func(a addrRef, t netip.Addr) int { return a.addr.Compare(t) })
	var out []int32
	for ; i < len(c.sorted) && pfx.Contains(c.sorted[i].addr); i++ {
		out = append(out, c.sorted[i].dest)
	}
	return out
}
