package network

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

// Beacons: malware on a host calls its command-and-control server every
// period seconds, give or take a few percent, with small, regular byte
// counts, for hours or days.
const (
	beaconShare     = 0.01 // of hosts
	minBeaconPeriod = 60   // seconds
	maxBeaconPeriod = 900
	minBeaconJitter = 0.01
	maxBeaconJitter = 0.05
	minBeaconSpan   = 2 * time.Hour

	// Pollers read a bulletin board for commands, as the remote-control
	// malware of the 2012 Japanese false-arrest cases did.
	pollShare     = 0.005
	minPollPeriod = 300
	maxPollPeriod = 1800
	minPollJitter = 0.02
	maxPollJitter = 0.08
	minPollSpan   = 3 * time.Hour
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
	next   int64
	end    int64
	r      *rand.Rand
	ep     episode
	// Byte counts of a beacon, and the board a poller reads.
	ob, rb int64
	uri    string
	body   int64
	sni    string // the name a TLS beacon sends
}

func (b *beacon) at() int64 { return b.next }

func (b *beacon) step(g *gen) (bool, error) {
	r, d := b.r, &g.pop.dests[b.dest]
	us := g.resolve(r, b.next, b.host, b.dest)
	orig := g.origin(b.host)
	port := ephemeral(r)
	if b.kind == finding.C2Poll {
		c := g.conn(us, orig, port, d.addr, b.port, "tcp", "http")
		at := us + int64(between(r, 20000, 150000))
		b.body += int64(r.IntN(600)) // the thread grows
		h := g.https.add(at)
		*h = zeek.HTTP{
			TS: ts(at), UID: c.UID, OrigH: orig, OrigP: port, RespH: d.addr, RespP: b.port,
			TransDepth: 1, Method: "GET", Host: d.name, URI: b.uri, Version: "1.1", UserAgent: pollUserAgent,
			RequestBodyLen: 0, ResponseBodyLen: b.body, StatusCode: 200, StatusMsg: "OK", InfoCode: zeek.Unset,
			Tags: emptySet, RespFUIDs: g.one.of(g.fuids.uid()), RespMIMETypes: mimeSlice("text/html"),
		}
		established(c, int64(between(r, 380, 420)), b.body+int64(between(r, 280, 320)),
			time.Duration(at-us)*time.Microsecond+seconds(uniform(r, 0.05, 0.4)), "ShADadFf")
	} else {
		c := g.conn(us, orig, port, d.addr, b.port, "tcp", "ssl")
		rb := b.rb + int64(r.IntN(int(b.rb/20)+1))
		if r.IntN(50) == 0 { // a task: the server sends more
			rb = int64(between(r, 2000, 20000))
		}
		established(c, b.ob+int64(r.IntN(int(b.ob/30)+1)), rb, seconds(uniform(r, 0.08, 0.6)), "ShADadFf")
		g.tlsHello(r, c, b.sni, tlsMalware)
	}
	b.ep.saw(us)
	b.next += int64(b.period * (1 + b.jitter*(2*r.Float64()-1)) * 1e6)
	if b.next < b.end && b.next < g.endUS-lastStep {
		return true, nil
	}
	detail := map[string]string{
		"dest":   d.addr.String() + ":" + strconv.Itoa(int(b.port)),
		"period": strconv.FormatFloat(b.period, 'f', 0, 64) + "s",
		"jitter": strconv.FormatFloat(b.jitter*100, 'f', 1, 64) + "%",
	}
	if d.name != "" {
		detail["domain"] = d.name
	}
	if b.uri != "" {
		detail["uri"] = b.uri
	}
	return false, g.truth(b.ep, b.kind, b.id, g.origin(b.host).String(), detail)
}

// scheduleBeacons plans the beacons and pollers on distinct hosts.
func (g *gen) scheduleBeacons(nBeacon, nPoll int, taken map[int]bool) {
	r := g.run.Rand("network/beacons")
	for i, h := range g.pickHosts(r, nBeacon, taken) {
		dest := g.pop.of(r, dC2)
		if dest < 0 {
			break
		}
		ports := [...]uint16{443, 443, 443, 8443, 8080}
		b := &beacon{
			kind: finding.C2Beacon, id: fmt.Sprintf("c2-beacon-%03d", i+1), host: h, dest: dest,
			port:   ports[r.IntN(len(ports))],
			period: float64(between(r, minBeaconPeriod, maxBeaconPeriod)),
			jitter: uniform(r, minBeaconJitter, maxBeaconJitter),
			r:      g.run.Rand(fmt.Sprintf("network/beacon/%d", i)),
			ob:     int64(between(r, 180, 420)), rb: int64(between(r, 90, 350)),
		}
		if b.sni = g.pop.dests[dest].name; b.sni == "" {
			b.sni = hostName(r)
		}
		b.next, b.end = g.span(r, minBeaconSpan.Microseconds())
		g.schedule(b)
	}
	for i, h := range g.pickHosts(r, nPoll, taken) {
		dest := g.pop.of(r, dForum)
		if dest < 0 {
			break
		}
		board := word(r)
		b := &beacon{
			kind: finding.C2Poll, id: fmt.Sprintf("c2-poll-%03d", i+1), host: h, dest: dest, port: 80,
			period: float64(between(r, minPollPeriod, maxPollPeriod)),
			jitter: uniform(r, minPollJitter, maxPollJitter),
			r:      g.run.Rand(fmt.Sprintf("network/poll/%d", i)),
			uri:    "/bbs/read.cgi/" + board + "/" + strconv.Itoa(1340000000+r.IntN(10000000)) + "/l50",
			body:   int64(between(r, 20000, 60000)),
		}
		b.next, b.end = g.span(r, minPollSpan.Microseconds())
		g.schedule(b)
	}
}
