package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

// Beacons: malware on a host calls its command-and-control server every
// period seconds (10 s to an hour, drawn log-uniformly), give or take up
// to 30%, for hours or days. How the sleep varies differs between
// implants:
//
//   - uniform: each sleep is period × (1 ± jitter), uniformly;
//   - sleeps: as uniform, and now and then (one call in twelve) a long
//     random sleep of 2 to 10 periods, as operators tell implants to
//     lie low;
//   - office: as uniform, but only on weekdays from 08:00 to 18:00: the
//     implant sleeps overnight and at weekends to hide in the day's
//     traffic.
//
// Most beacons send and receive nearly the same few hundred bytes each
// time; some vary their sizes widely (log-normal, padding or chunks of
// collected data). A third of the C2 servers reached by name resolve to
// two to four addresses (a CDN or domain fronting) and the beacon uses
// them in turn, with the same name in its TLS handshake, so grouping by
// address alone splits the beacon.
const (
	beaconShare     = 0.02 // of hosts
	minBeaconPeriod = 10   // seconds
	maxBeaconPeriod = 3600
	maxBeaconJitter = 0.30
	minBeaconSpan   = 2 * time.Hour
	// longSleepChance is the chance, per call, that a "sleeps" beacon
	// sleeps 2 to 10 periods instead of one.
	longSleepChance = 1.0 / 12

	// Pollers read a bulletin board for commands, as the remote-control
	// malware of the 2012 Japanese false-arrest cases did. People read the
	// same boards: a few other hosts browse each poller's board at human
	// times (see boardReader).
	pollShare     = 0.01
	minPollPeriod = 300
	maxPollPeriod = 1800
	minPollJitter = 0.02
	maxPollJitter = 0.15
	minPollSpan   = 3 * time.Hour
	minReaders    = 3
	maxReaders    = 8
)

// Beacon sleep modes.
const (
	sleepUniform = "uniform"
	sleepLong    = "sleeps"
	sleepOffice  = "office"
)

// beacon is a c2-beacon or c2-poll activity.
type beacon struct {
	kind   string
	id     string
	host   int
	dest   int32
	port   uint16
	period float64 // seconds
	jitter float64
	mode   string
	next   int64
	end    int64
	r      *rand.Rand
	ep     episode
	// Byte counts of a beacon, how widely they vary (the sigma of a
	// log-normal; 0 for the usual few percent), and the name it sends.
	ob, rb int64
	sizeSD float64
	sni    string
	turn   int // which of the dest's addresses is next
	used   map[netip.Addr]bool
	// The board a poller reads and the user agent it sends.
	uri  string
	body int64
	ua   string
}

func (b *beacon) at() int64 { return b.next }

func (b *beacon) step(g *gen) (bool, error) {
	r, d := b.r, &g.pop.dests[b.dest]
	us := g.resolve(r, b.next, b.host, b.dest)
	orig := g.origin(b.host)
	port := ephemeral(r)
	addr := d.addr
	if len(d.alts) > 1 {
		addr = d.alts[b.turn%len(d.alts)]
		b.turn += 1 + r.IntN(len(d.alts))
	}
	b.used[addr] = true
	if b.kind == finding.C2Poll {
		c := g.conn(us, orig, port, addr, b.port, "tcp", "http")
		at := us + int64(between(r, 20000, 150000))
		b.body += int64(r.IntN(600)) // the thread grows
		h := g.https.add(at)
		*h = zeek.HTTP{
			TS: ts(at), UID: c.UID, OrigH: orig, OrigP: port, RespH: addr, RespP: b.port,
			TransDepth: 1, Method: "GET", Host: d.name, URI: b.uri, Version: "1.1", UserAgent: b.ua,
			RequestBodyLen: 0, ResponseBodyLen: b.body, StatusCode: 200, StatusMsg: "OK", InfoCode: zeek.Unset,
			Tags: emptySet, RespFUIDs: g.one.of(g.fuids.uid()), RespMIMETypes: mimeSlice("text/html"),
		}
		established(c, int64(between(r, 380, 420)), b.body+int64(between(r, 280, 320)),
			time.Duration(at-us)*time.Microsecond+seconds(uniform(r, 0.05, 0.4)), "ShADadFf")
	} else {
		c := g.conn(us, orig, port, addr, b.port, "tcp", "ssl")
		ob, rb := b.ob+int64(r.IntN(int(b.ob/30)+1)), b.rb+int64(r.IntN(int(b.rb/20)+1))
		if b.sizeSD > 0 {
			ob = int64(logNormal(r, float64(b.ob), b.sizeSD, 120, 2e6))
			rb = int64(logNormal(r, float64(b.rb), b.sizeSD, 60, 2e6))
		}
		if r.IntN(50) == 0 { // a task: the server sends more
			rb = int64(between(r, 2000, 20000))
		}
		established(c, ob, rb, seconds(uniform(r, 0.08, 0.6)), "ShADadFf")
		g.tlsHello(r, c, b.sni, tlsMalware)
	}
	b.ep.saw(us)
	b.next = b.after(b.next)
	if b.next < b.end && b.next < g.endUS-lastStep {
		return true, nil
	}
	detail := map[string]string{
		"dest":   addrPort(d.addr, b.port),
		"period": strconv.FormatFloat(b.period, 'f', 0, 64) + "s",
		"jitter": strconv.FormatFloat(b.jitter*100, 'f', 1, 64) + "%",
	}
	if len(b.used) > 1 {
		var all []string
		for _, a := range d.alts {
			if b.used[a] {
				all = append(all, addrPort(a, b.port))
			}
		}
		detail["dests"] = strings.Join(all, ",")
	}
	if d.name != "" {
		detail["domain"] = d.name
	}
	if b.kind == finding.C2Beacon {
		detail["sni"] = b.sni
		detail["sleep"] = b.mode
		if b.sizeSD > 0 {
			detail["size"] = "varies"
		}
	}
	if b.uri != "" {
		detail["uri"] = b.uri
		detail["user_agent"] = b.ua
		if b.mode == sleepOffice {
			detail["sleep"] = b.mode
		}
	}
	return false, g.truth(b.ep, b.kind, b.id, g.origin(b.host).String(), detail)
}

// after returns when the call after one at us happens.
func (b *beacon) after(us int64) int64 {
	r := b.r
	sleep := b.period * (1 + b.jitter*(2*r.Float64()-1))
	if b.mode == sleepLong && r.Float64() < longSleepChance {
		sleep = b.period * uniform(r, 2, 10)
	}
	next := us + int64(sleep*1e6)
	if b.mode == sleepOffice && !workHours(ts(next)) {
		next = nextWorkStart(next) + int64(r.Float64()*float64(30*time.Minute/time.Microsecond))
	}
	return next
}

// nextWorkStart returns the start (08:00 UTC) of the next weekday working
// period after us.
func nextWorkStart(us int64) int64 {
	t := ts(us)
	day := time.Date(t.Year(), t.Month(), t.Day(), 8, 0, 0, 0, time.UTC)
	if !t.Before(day) {
		day = day.AddDate(0, 0, 1)
	}
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	return day.UnixMicro()
}

func addrPort(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

// logUniform draws from lo to hi with a uniform logarithm.
func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return math.Exp(uniform(r, math.Log(lo), math.Log(hi)))
}

// scheduleBeacons plans the beacons and pollers on distinct hosts, and the
// people who read the pollers' boards.
func (g *gen) scheduleBeacons(nBeacon, nPoll int, taken map[int]bool) {
	r := g.run.Rand("network/beacons")
	for i, h := range g.pickHosts(r, nBeacon, taken) {
		dest := g.pop.take(dC2)
		if dest < 0 {
			break
		}
		ports := [...]uint16{443, 443, 443, 8443, 8080}
		b := &beacon{
			kind: finding.C2Beacon, id: fmt.Sprintf("c2-beacon-%03d", i+1), host: h, dest: dest,
			port:   ports[r.IntN(len(ports))],
			period: math.Round(logUniform(r, minBeaconPeriod, maxBeaconPeriod)),
			jitter: uniform(r, 0, maxBeaconJitter),
			// The modes come in a cycle so that even a few beacons show
			// each of them.
			mode: [...]string{sleepUniform, sleepOffice, sleepLong, sleepUniform}[i%4],
			r:    g.run.Rand(fmt.Sprintf("network/beacon/%d", i)),
			ob:   int64(between(r, 180, 420)), rb: int64(between(r, 90, 350)),
			sni:  g.pop.dests[dest].tlsName(),
			used: map[netip.Addr]bool{},
		}
		if i%3 == 1 {
			b.sizeSD = uniform(r, 0.3, 1)
		}
		b.next, b.end = g.span(r, minBeaconSpan.Microseconds())
		if b.mode == sleepOffice {
			// An implant that keeps office hours runs from its first
			// working day to the end.
			b.next, b.end = g.startUS+int64(r.Float64()*float64(4*time.Hour/time.Microsecond)), g.endUS
		}
		if b.mode == sleepOffice && !workHours(ts(b.next)) {
			b.next = nextWorkStart(b.next) + int64(r.Float64()*float64(time.Hour/time.Microsecond))
		}
		g.schedule(b)
	}
	for i, h := range g.pickHosts(r, nPoll, taken) {
		dest := g.pop.take(dForum)
		if dest < 0 {
			break
		}
		board := word(r)
		thread := "/bbs/read.cgi/" + board + "/" + strconv.Itoa(1340000000+r.IntN(10000000)) + "/"
		b := &beacon{
			kind: finding.C2Poll, id: fmt.Sprintf("c2-poll-%03d", i+1), host: h, dest: dest, port: 80,
			period: float64(between(r, minPollPeriod, maxPollPeriod)),
			jitter: uniform(r, minPollJitter, maxPollJitter),
			mode:   sleepUniform,
			r:      g.run.Rand(fmt.Sprintf("network/poll/%d", i)),
			uri:    thread + "l50",
			body:   int64(between(r, 20000, 60000)),
			ua:     pollUserAgent,
			used:   map[netip.Addr]bool{},
		}
		if r.IntN(2) == 0 { // the malware borrows the host's browser's user agent
			b.ua = browserAgent(h)
		}
		b.next, b.end = g.span(r, minPollSpan.Microseconds())
		if r.IntN(3) == 0 {
			b.mode = sleepOffice
			b.next, b.end = g.startUS+int64(r.Float64()*float64(4*time.Hour/time.Microsecond)), g.endUS
			if !workHours(ts(b.next)) {
				b.next = nextWorkStart(b.next) + int64(r.Float64()*float64(time.Hour/time.Microsecond))
			}
		}
		g.schedule(b)
		for j := range between(r, minReaders, maxReaders) {
			reader := r.IntN(g.hosts)
			if reader == h || g.excluded[reader] {
				continue
			}
			br := &boardReader{
				host: reader, dest: dest, board: "/bbs/read.cgi/" + board + "/", thread: thread,
				r: g.run.Rand(fmt.Sprintf("network/poll/%d/reader/%d", i, j)),
			}
			br.next = br.nextSession(g, g.startUS)
			g.schedule(br)
		}
	}
}

// browserAgent is the user agent of host h's web browser: the one its
// plain-HTTP traffic sends when that is a browser's, else another browser.
func browserAgent(h int) string {
	i := splitmix(uint64(h)) % uint64(len(userAgents))
	if i >= browsers {
		i = splitmix(uint64(h)+1) % browsers
	}
	return userAgents[i]
}

// boardReader is a person on another host who reads a poller's board:
// a few sessions a working day, each a handful of page views (the board's
// index, the poller's thread among others, seconds to minutes apart) with
// the host's browser. Board readers are not in the truth.
type boardReader struct {
	host          int
	dest          int32
	board, thread string
	r             *rand.Rand
	next          int64
	left          int // page views left in this session
}

func (br *boardReader) at() int64 { return br.next }

// nextSession returns when the reader next sits down to read the board:
// about every two hours of the working day, now and then outside it.
func (br *boardReader) nextSession(g *gen, us int64) int64 {
	r := br.r
	for range 64 {
		us += int64(r.ExpFloat64() * 2 * 3600e6)
		if workHours(ts(us)) || r.IntN(10) == 0 {
			break
		}
	}
	br.left = between(r, 2, 12)
	return us
}

func (br *boardReader) step(g *gen) (bool, error) {
	r, d := br.r, &g.pop.dests[br.dest]
	us := g.resolve(r, br.next, br.host, br.dest)
	orig, port := g.origin(br.host), ephemeral(r)
	c := g.conn(us, orig, port, d.addr, 80, "tcp", "http")
	at := us + int64(between(r, 20000, 150000))
	page := br.board
	switch x := r.IntN(10); {
	case x < 4:
		page = br.thread + "l50"
	case x < 6:
		page = br.thread
	case x < 9:
		page = br.board + strconv.Itoa(1340000000+r.IntN(10000000)) + "/"
	}
	body := int64(logNormal(r, 40000, 0.6, 3000, 500000))
	h := g.https.add(at)
	*h = zeek.HTTP{
		TS: ts(at), UID: c.UID, OrigH: orig, OrigP: port, RespH: d.addr, RespP: 80,
		TransDepth: 1, Method: "GET", Host: d.name, URI: page, Referrer: "http://" + d.name + br.board,
		Version: "1.1", UserAgent: browserAgent(br.host),
		RequestBodyLen: 0, ResponseBodyLen: body, StatusCode: 200, StatusMsg: "OK", InfoCode: zeek.Unset,
		Tags: emptySet, RespFUIDs: g.one.of(g.fuids.uid()), RespMIMETypes: mimeSlice("text/html"),
	}
	established(c, int64(between(r, 450, 700)), body+int64(between(r, 280, 320)),
		time.Duration(at-us)*time.Microsecond+seconds(uniform(r, 0.05, 2)), "ShADadFf")
	br.left--
	if br.left > 0 {
		br.next += int64(logNormal(r, 40, 1, 3, 900) * 1e6)
	} else {
		br.next = br.nextSession(g, br.next)
	}
	return br.next < g.endUS-lastStep, nil
}
