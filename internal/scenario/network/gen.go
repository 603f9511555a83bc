package network

import (
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"time"

	"fusion/internal/scenario"
	"fusion/internal/zeek"
)

var errTooManyRows = errors.New("network: too many rows in one time slice")

// gen is one generation in progress.
type gen struct {
	run      *scenario.Run
	hosts    int
	startUS  int64
	endUS    int64
	pop      *population
	hostPick alias // how busy each host is
	excluded map[int]bool

	bg    *rand.Rand // background traffic
	cache dnsCache
	uids  uidPool
	fuids uidPool
	one   oneOf

	conns table[zeek.Conn]
	dnss  table[zeek.DNS]
	https table[zeek.HTTP]
	ssls  table[zeek.SSL]
	certs certChains

	acts actHeap
	seq  int
}

// Origins: hosts are 0..hosts-1; the servers that originate traffic come
// after them.
const (
	originDC = iota
	originMailRelay
	originProxy
	originServers
)

// hostAddr returns the address of host i: 200 hosts per /24 from
// 10.10.0.0, at .20 to .219.
func hostAddr(i int) netip.Addr {
	s := i / 200
	return netip.AddrFrom4([4]byte{10, byte(10 + s/256), byte(s % 256), byte(20 + i%200)})
}

// origin returns the address of origin o (a host or a server).
func (g *gen) origin(o int) netip.Addr {
	if o < g.hosts {
		return hostAddr(o)
	}
	switch o - g.hosts {
	case originDC:
		return dcAddr
	case originMailRelay:
		return mailRelay
	}
	return proxyAddr
}

func (g *gen) resolver(o int) netip.Addr { return dnsServers[o%len(dnsServers)] }

func ephemeral(r *rand.Rand) uint16 { return uint16(49152 + r.IntN(16384)) }

// ts converts microseconds to a time.
func ts(us int64) time.Time { return time.UnixMicro(us).UTC() }

// isLocal reports whether a is in the enterprise (Site::local_nets).
func isLocal(a netip.Addr) bool { return a.Is4() && a.As4()[0] == 10 }

// conn adds a connection row with its endpoints; the caller sets the rest.
func (g *gen) conn(us int64, orig netip.Addr, oport uint16, resp netip.Addr, rport uint16, proto, service string) *zeek.Conn {
	c := g.conns.add(us)
	*c = zeek.Conn{
		TS: ts(us), UID: g.uids.uid(),
		OrigH: orig, OrigP: oport, RespH: resp, RespP: rport,
		Proto: proto, Service: service,
		LocalOrig: zeek.BoolOf(isLocal(orig)), LocalResp: zeek.BoolOf(isLocal(resp)),
	}
	return c
}

// Header sizes for ip_bytes: IPv4 and TCP with timestamps, IPv4 and UDP.
const (
	tcpOverhead = 52
	udpOverhead = 28
	mss         = 1380
)

// established fills a TCP connection that carried ob and rb payload bytes
// over dur and closed normally.
func established(c *zeek.Conn, ob, rb int64, dur time.Duration, history string) {
	c.ConnState, c.History = "SF", history
	c.Duration, c.OrigBytes, c.RespBytes = dur, ob, rb
	c.RespPkts = rb/mss + 3
	c.OrigPkts = ob/mss + c.RespPkts/2 + 3
	c.OrigIPBytes = ob + c.OrigPkts*tcpOverhead
	c.RespIPBytes = rb + c.RespPkts*tcpOverhead
}

// tcpState fills a background TCP connection: mostly a normal exchange,
// sometimes reset, unanswered, refused or still open.
func tcpState(r *rand.Rand, c *zeek.Conn, ob, rb int64, dur time.Duration) {
	x := r.IntN(1000)
	switch {
	case x < 700:
		established(c, ob, rb, dur, "ShADadFf")
	case x < 850:
		established(c, ob, rb, dur, "ShADadfF")
	case x < 880:
		established(c, ob, rb, dur, "ShADdaFf")
	case x < 935:
		established(c, ob, rb, dur, "ShADadR")
		c.ConnState = "RSTO"
	case x < 965:
		established(c, ob, rb, dur, "ShADadr")
		c.ConnState = "RSTR"
	case x < 980:
		established(c, ob, rb, dur, "ShADad")
		c.ConnState = "S1"
	case x < 992:
		unanswered(r, c)
	default:
		refused(r, c)
	}
}

// unanswered fills a SYN that got no reply (S0): one SYN, or retries over
// a few seconds.
func unanswered(r *rand.Rand, c *zeek.Conn) {
	c.ConnState, c.History = "S0", "S"
	c.OrigPkts = int64(between(r, 1, 3))
	c.OrigIPBytes = c.OrigPkts * 60
	if c.OrigPkts == 1 {
		c.Duration, c.OrigBytes, c.RespBytes = zeek.Unset, zeek.Unset, zeek.Unset
	} else {
		c.Duration = time.Duration(c.OrigPkts-1) * time.Duration(uniform(r, 0.9, 1.1)*float64(time.Second)) * 2
		c.OrigBytes, c.RespBytes = 0, 0
	}
}

// refused fills a SYN answered with a reset (REJ).
func refused(r *rand.Rand, c *zeek.Conn) {
	c.ConnState, c.History = "REJ", "Sr"
	c.Duration = time.Duration(uniform(r, 0.0002, 0.06) * float64(time.Second))
	c.OrigBytes, c.RespBytes = 0, 0
	c.OrigPkts, c.OrigIPBytes, c.RespPkts, c.RespIPBytes = 1, 60, 1, 40
}

// datagram fills a UDP exchange of one packet each way.
func datagram(c *zeek.Conn, ob, rb int64, dur time.Duration) {
	c.ConnState, c.History = "SF", "Dd"
	c.Duration, c.OrigBytes, c.RespBytes = dur, ob, rb
	c.OrigPkts, c.RespPkts = 1, 1
	c.OrigIPBytes, c.RespIPBytes = ob+udpOverhead, rb+udpOverhead
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}

// DNS record types and codes.
const (
	qtypeA     = 1
	qtypeCNAME = 5
	qtypeNULL  = 10
	qtypeTXT   = 16
	qtypeAAAA  = 28
	rcodeOK    = 0
	rcodeNX    = 3
)

// qtypeName returns Zeek's name of a query type.
func qtypeName(qtype int64) string {
	switch qtype {
	case qtypeCNAME:
		return "CNAME"
	case qtypeNULL:
		return "NULL"
	case qtypeTXT:
		return "TXT"
	case qtypeAAAA:
		return "AAAA"
	}
	return "A"
}

// lookup writes a DNS query from origin o for name at us (a connection to
// the resolver and its dns.log row) and returns when the answer arrived.
// answers and ttls are nil for an empty answer.
func (g *gen) lookup(r *rand.Rand, us int64, o int, name string, qtype int64, rcode int64, answers []string, ttls []time.Duration, respLen int64) int64 {
	rtt := time.Duration(uniform(r, 150, 1500)) * time.Microsecond // the resolver's cache
	if r.IntN(10) < 3 {
		rtt = seconds(logNormal(r, 0.03, 0.8, 0.004, 1.5)) // a recursive lookup
	}
	orig, res := g.origin(o), g.resolver(o)
	port := ephemeral(r)
	qlen := int64(12 + len(name) + 2 + 4)
	c := g.conn(us, orig, port, res, 53, "udp", "dns")
	datagram(c, qlen, qlen+respLen, rtt)
	d := g.dnss.add(us)
	*d = zeek.DNS{
		TS: c.TS, UID: c.UID, OrigH: orig, OrigP: port, RespH: res, RespP: 53, Proto: "udp",
		TransID: int64(r.IntN(65536)), RTT: rtt, Query: name,
		QClass: 1, QClassName: "C_INTERNET", QType: qtype, QTypeName: qtypeName(qtype),
		RCode: rcode, RCodeName: "NOERROR",
		AA: zeek.False, TC: zeek.False, RD: zeek.True, RA: zeek.True, Z: 0,
		Answers: answers, TTLs: ttls, Rejected: zeek.False,
	}
	if rcode == rcodeNX {
		d.RCodeName = "NXDOMAIN"
	}
	return us + rtt.Microseconds()
}

// resolve looks dest i up from origin o unless o has it cached, and
// returns when the connection that needed it can start.
func (g *gen) resolve(r *rand.Rand, us int64, o int, i int32) int64 {
	d := &g.pop.dests[i]
	if d.name == "" || !g.cache.miss(o, uint64(i)|1<<40, us, d.ttl) {
		return us
	}
	done := g.lookup(r, us, o, d.name, qtypeA, rcodeOK, d.answers, d.ttls, d.respLen)
	if r.IntN(5) == 0 { // Windows asks for AAAA too; the enterprise has no IPv6
		g.lookup(r, us+int64(r.IntN(300)), o, d.name, qtypeAAAA, rcodeOK, nil, nil, 0)
	}
	return done + int64(between(r, 200, 20000))
}

// dnsCache remembers, per origin and name, until when an answer is cached.
// It is direct-mapped with a fixed size, so its memory does not grow with
// the run; a collision only costs an extra lookup, as an evicted entry
// would in a real client.
type dnsCache struct {
	slots []cacheSlot
	mask  uint64
	start int64 // microseconds; expiries are seconds from here
}

type cacheSlot struct {
	tag uint32
	exp uint32
}

func newDNSCache(hosts int, startUS int64) dnsCache {
	n := 1 << 12
	for n < hosts*64 && n < 1<<22 {
		n <<= 1
	}
	return dnsCache{slots: make([]cacheSlot, n), mask: uint64(n - 1), start: startUS}
}

// miss reports whether origin o must look key up at us, and if so caches
// the answer for ttl seconds.
func (c *dnsCache) miss(o int, key uint64, us, ttl int64) bool {
	h := splitmix(key ^ uint64(o)*0x9e3779b97f4a7c15)
	s := &c.slots[h&c.mask]
	tag := uint32(h>>32) | 1
	now := uint32((us - c.start) / 1e6)
	if s.tag == tag && s.exp > now {
		return false
	}
	s.tag, s.exp = tag, now+uint32(max(ttl, 1))
	return true
}

// nameKey is the cache key of a name that is not a dest.
func nameKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64() &^ (1 << 40)
}
