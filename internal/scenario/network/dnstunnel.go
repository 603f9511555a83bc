package network

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
)

// DNS tunnels: malware on a host (iodine, dnscat2 and the DNS channels of
// many implants) carries its traffic in the names it looks up under one
// registered domain whose name server the attacker runs. Every query goes
// to the enterprise's resolver like any other (dns.log id.orig_h is the
// host); its name carries data as one or two long labels of base32 or hex
// (30 to 63 characters each) and the answers carry data back, in TXT
// records mostly, or NULL, CNAME or A records. A tunnel works in bursts of
// tens to hundreds of queries, a fraction of a second apart, separated by
// idle minutes to hours in which some implants still poll every few
// seconds.
const (
	dnsTunnelShare   = 0.01 // of hosts
	minTunnelSpan    = 2 * time.Hour
	minTunnelBurst   = 20
	maxTunnelBurst   = 400
	minTunnelIdle    = 60.0   // seconds
	maxTunnelIdle    = 7200.0 // seconds
	minTunnelLabel   = 30
	maxTunnelLabel   = 63
	tunnelPollChance = 0.5 // of tunnels that poll while idle
)

// dnsTunnel is a c2-dns activity.
type dnsTunnel struct {
	id      string
	host    int
	dest    int32 // the dTunnel dest: its name is the registered domain
	hex     bool  // hex labels, not base32
	primary int64 // the query type most queries use
	poll    float64
	r       *rand.Rand
	next    int64
	end     int64
	left    int  // queries left in the current burst or idle polling
	polling bool // idle, polling every poll seconds
	ep      episode
	types   map[int64]int
}

func (t *dnsTunnel) at() int64 { return t.next }

func (t *dnsTunnel) step(g *gen) (bool, error) {
	r, domain := t.r, g.pop.dests[t.dest].name
	qtype := t.primary
	if r.IntN(5) == 0 {
		qtype = []int64{qtypeA, qtypeTXT, qtypeCNAME}[r.IntN(3)]
	}
	name := t.label(r, between(r, minTunnelLabel, maxTunnelLabel))
	if r.IntN(3) == 0 {
		name += "." + t.label(r, between(r, minTunnelLabel, maxTunnelLabel))
	}
	name += "." + domain
	var answers []string
	switch qtype {
	case qtypeTXT:
		data := t.label(r, between(r, 16, 220))
		answers = []string{"TXT " + strconv.Itoa(len(data)) + " " + data}
	case qtypeCNAME:
		answers = []string{t.label(r, between(r, 20, 60)) + "." + domain}
	case qtypeA:
		answers = []string{publicIPv4(r).String()}
	}
	var ttls []time.Duration
	respLen := int64(0)
	if answers != nil {
		ttls = []time.Duration{0}
		respLen = int64(len(answers[0])) + 12
	} else { // NULL: Zeek does not print the record
		respLen = int64(between(r, 40, 220))
	}
	g.lookup(r, t.next, t.host, name, qtype, rcodeOK, answers, ttls, respLen)
	t.ep.saw(t.next)
	t.types[qtype]++
	t.left--
	switch {
	case t.left > 0 && t.polling:
		t.next += int64(t.poll * uniform(r, 0.8, 1.2) * 1e6)
	case t.left > 0:
		t.next += int64(logNormal(r, 0.3, 1, 0.02, 5) * 1e6)
	case t.polling: // the idle time is over: a burst
		t.polling = false
		t.left = between(r, minTunnelBurst, maxTunnelBurst)
		t.next += int64(t.poll * uniform(r, 0.8, 1.2) * 1e6)
	default: // the burst is over: idle, polling if the implant does
		idle := logUniform(r, minTunnelIdle, maxTunnelIdle)
		if t.poll > 0 && idle > 3*t.poll {
			t.polling = true
			t.left = int(idle / t.poll)
			t.next += int64(t.poll * uniform(r, 0.8, 1.2) * 1e6)
		} else {
			t.left = between(r, minTunnelBurst, maxTunnelBurst)
			t.next += int64(idle * 1e6)
		}
	}
	if t.next < t.end && t.next < g.endUS-lastStep {
		return true, nil
	}
	var names []string
	for q := range t.types {
		names = append(names, qtypeName(q))
	}
	slices.Sort(names)
	enc := "base32"
	if t.hex {
		enc = "hex"
	}
	detail := map[string]string{
		"domain":   domain,
		"qtypes":   strings.Join(names, ","),
		"queries":  strconv.Itoa(t.ep.n),
		"encoding": enc,
	}
	if t.poll > 0 {
		detail["poll"] = strconv.FormatFloat(t.poll, 'f', 0, 64) + "s"
	}
	return false, g.truth(t.ep, finding.C2DNS, t.id, g.origin(t.host).String(), detail)
}

// label returns n characters of base32 (lower case) or hex: data as a
// tunnel encodes it.
func (t *dnsTunnel) label(r *rand.Rand, n int) string {
	const b32, hx = "abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdef"
	alpha := b32
	if t.hex {
		alpha = hx
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

// scheduleDNSTunnels plans the DNS tunnels on distinct hosts.
func (g *gen) scheduleDNSTunnels(n int, taken map[int]bool) {
	r := g.run.Rand("network/dnstunnel")
	for i, h := range g.pickHosts(r, n, taken) {
		dest := g.pop.take(dTunnel)
		if dest < 0 {
			break
		}
		t := &dnsTunnel{
			id: fmt.Sprintf("c2-dns-%03d", i+1), host: h, dest: dest,
			hex:     r.IntN(3) == 0,
			primary: []int64{qtypeTXT, qtypeTXT, qtypeTXT, qtypeNULL, qtypeCNAME, qtypeA}[r.IntN(6)],
			r:       g.run.Rand(fmt.Sprintf("network/dnstunnel/%d", i)),
			left:    between(r, minTunnelBurst, maxTunnelBurst),
			types:   map[int64]int{},
		}
		if r.Float64() < tunnelPollChance {
			t.poll = float64(between(r, 2, 30))
		}
		t.next, t.end = g.span(r, minTunnelSpan.Microseconds())
		g.schedule(t)
	}
}
