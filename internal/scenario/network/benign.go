package network

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Benign periodic services: software on many hosts calls home on a timer,
// as regularly as any beacon — time sync, update checks, telemetry,
// safe-browsing list updates, the enterprise's monitoring agent — and some
// keep a push-notification connection open all day. What tells them from
// C2 is prevalence: each runs on a large share of the hosts, against the
// same few names and addresses. None is in the truth; benign.jsonl lists
// them, one line per service, so that a test can check that no detector
// finding points at them:
//
//	{"service":"ntp","names":["0.pool.ntp.org"],"addrs":["..."],"port":123,"proto":"udp","period_s":1024,"hosts":412}
//
// A push service's line has "long":true: each host holds one connection
// at a time, for about the period, and reconnects at once. A reputation
// service's line has "lookups":true: hosts ask the enterprise's resolvers
// (addrs) about file hashes as names under its name — hex labels as long
// as a DNS tunnel's, but from many hosts, a few a working hour, and with
// no connection; period_s is then the mean time between lookups (they
// come as a Poisson process, not on a timer).

// benignService is one benign periodic service.
type benignService struct {
	Service string   `json:"service"`
	Names   []string `json:"names"`
	Addrs   []string `json:"addrs"`
	Port    uint16   `json:"port"`
	Proto   string   `json:"proto"`
	Period  float64  `json:"period_s"`
	Hosts   int      `json:"hosts"`
	Long    bool     `json:"long,omitempty"`
	Lookups bool     `json:"lookups,omitempty"`

	share   float64 // of hosts that run it
	jitter  float64 // relative
	zeekSvc string  // conn.log service
	dests   []int32
	// Bytes each way of one call (medians).
	ob, rb float64
}

// benignSpecs are the services, before their dests exist. names are made
// by the population: a prefix on a generated registrable name, or fixed.
var benignSpecs = []struct {
	service string
	prefix  []string // one name per prefix, under one generated domain; nil for NTP
	fixed   []string
	addrs   int // addresses per name
	port    uint16
	proto   string
	zeekSvc string
	period  float64
	jitter  float64
	share   float64
	ob, rb  float64
	long    bool
	lookups bool
}{
	{service: "ntp", fixed: []string{"0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org", "3.pool.ntp.org"}, addrs: 1,
		port: 123, proto: "udp", zeekSvc: "ntp", period: 1024, jitter: 0.005, share: 0.6, ob: 48, rb: 48},
	{service: "ntp", fixed: []string{"time.cloudflare.com"}, addrs: 2,
		port: 123, proto: "udp", zeekSvc: "ntp", period: 64, jitter: 0.005, share: 0.04, ob: 48, rb: 48},
	{service: "os-update", prefix: []string{"update", "dl.update"}, addrs: 3,
		port: 443, proto: "tcp", zeekSvc: "ssl", period: 4 * 3600, jitter: 0.1, share: 0.9, ob: 1800, rb: 6000},
	{service: "software-update", prefix: []string{"swupdate"}, addrs: 2,
		port: 443, proto: "tcp", zeekSvc: "ssl", period: 6 * 3600, jitter: 0.05, share: 0.5, ob: 1200, rb: 3000},
	{service: "telemetry", prefix: []string{"telemetry", "events"}, addrs: 2,
		port: 443, proto: "tcp", zeekSvc: "ssl", period: 900, jitter: 0.03, share: 0.7, ob: 4000, rb: 600},
	{service: "av-cloud", prefix: []string{"cloud"}, addrs: 2,
		port: 443, proto: "tcp", zeekSvc: "ssl", period: 300, jitter: 0.02, share: 0.6, ob: 900, rb: 500},
	{service: "safe-browsing", prefix: []string{"safebrowsing"}, addrs: 1,
		port: 443, proto: "tcp", zeekSvc: "ssl", period: 1800, jitter: 0.05, share: 0.5, ob: 700, rb: 2500},
	{service: "monitoring-agent", port: 10051, proto: "tcp", period: 120, jitter: 0.001, share: 1, ob: 900, rb: 120},
	{service: "dns-reputation", prefix: []string{"rep"}, port: 53, proto: "udp", zeekSvc: "dns",
		period: 900, share: 0.4, lookups: true},
	{service: "push", prefix: []string{"push", "mtalk"}, addrs: 2,
		port: 5228, proto: "tcp", zeekSvc: "ssl", period: 1680, jitter: 0.05, share: 0.35, ob: 3000, rb: 4000, long: true},
}

// addBenign adds the dests of the benign services.
func (p *population) addBenign(r *rand.Rand) {
	for _, spec := range benignSpecs {
		s := &benignService{
			Service: spec.service, Port: spec.port, Proto: spec.proto, Period: spec.period, Long: spec.long,
			share: spec.share, jitter: spec.jitter, zeekSvc: spec.zeekSvc, ob: spec.ob, rb: spec.rb,
			Lookups: spec.lookups,
		}
		names := spec.fixed
		if spec.prefix != nil {
			domain := p.uniqueName(r, registrable)
			for _, pre := range spec.prefix {
				names = append(names, pre+"."+domain)
			}
		}
		if names == nil { // the enterprise's own monitoring server
			s.dests = []int32{p.byKind[dInternal][intMonitor]}
		}
		for _, name := range names {
			p.names[name] = true
			d := dest{name: name, ttl: int64(between(r, 60, 3600)), kind: dBenign}
			if !spec.lookups {
				d.addr = publicIPv4(r)
			}
			if spec.addrs > 1 {
				d.alts = []netip.Addr{d.addr}
				for range spec.addrs - 1 {
					d.alts = append(d.alts, publicIPv4(r))
				}
			}
			s.dests = append(s.dests, int32(len(p.dests)))
			p.add(d, r)
		}
		p.benign = append(p.benign, s)
	}
}

// agent is a benign service running on one host.
type agent struct {
	svc   *benignService
	host  int
	next  int64
	r     *rand.Rand
	seen  bool
	count *int
}

func (a *agent) at() int64 { return a.next }

func (a *agent) step(g *gen) (bool, error) {
	r, s := a.r, a.svc
	i := s.dests[r.IntN(len(s.dests))]
	d := &g.pop.dests[i]
	if s.Lookups {
		return a.lookup(g, d.name)
	}
	us := g.resolve(r, a.next, a.host, i)
	addr := d.addr
	if len(d.alts) > 1 {
		addr = d.alts[r.IntN(len(d.alts))]
	}
	period := s.Period * (1 + s.jitter*(2*r.Float64()-1))
	orig := g.origin(a.host)
	switch {
	case s.Proto == "udp":
		c := g.conn(us, orig, s.Port, addr, s.Port, "udp", s.zeekSvc)
		datagram(c, int64(s.ob), int64(s.rb), seconds(uniform(r, 0.004, 0.06)))
	case s.Long:
		// Held until the next reconnect, carrying heartbeats and
		// notifications.
		dur := seconds(period - uniform(r, 0.5, 3))
		c := g.conn(us, orig, ephemeral(r), addr, s.Port, "tcp", s.zeekSvc)
		established(c, int64(logNormal(r, s.ob, 0.4, 500, 1e6)), int64(logNormal(r, s.rb, 0.6, 500, 1e7)), dur, "ShADadFf")
		g.tlsHello(r, c, d.name, tlsBrowser)
	default:
		c := g.conn(us, orig, ephemeral(r), addr, s.Port, "tcp", s.zeekSvc)
		established(c, int64(logNormal(r, s.ob, 0.3, 200, 1e6)), int64(logNormal(r, s.rb, 0.5, 100, 1e7)),
			seconds(logNormal(r, 0.3, 0.8, 0.01, 30)), "ShADadFf")
		if s.zeekSvc == "ssl" {
			g.tlsHello(r, c, d.name, tlsBrowser)
		}
	}
	s.count(a)
	a.next += int64(period * 1e6)
	return a.next < g.endUS-lastStep, nil
}

// lookup asks the resolver about a file hash under name, mostly in
// working hours.
func (a *agent) lookup(g *gen, name string) (bool, error) {
	r := a.r
	const hx = "0123456789abcdef"
	b := make([]byte, 0, 64+len(name))
	for range between(r, 32, 40) {
		b = append(b, hx[r.IntN(16)])
	}
	b = append(b, '.')
	for range 8 {
		b = append(b, hx[r.IntN(16)])
	}
	b = append(b, '.')
	b = append(b, name...)
	qtype, answers := int64(qtypeA), []string{"127.0.0." + string(rune('1'+r.IntN(4)))}
	if r.IntN(4) == 0 {
		qtype, answers = qtypeTXT, []string{"TXT 8 " + string(b[:8])}
	}
	g.lookup(r, a.next, a.host, string(b), qtype, rcodeOK, answers, []time.Duration{seconds(uniform(r, 60, 600))}, int64(len(answers[0])+12))
	a.svc.count(a)
	for range 64 { // a new file opened: mostly while someone works
		a.next += int64(r.ExpFloat64() * a.svc.Period / 2 * 1e6)
		if workHours(ts(a.next)) || r.IntN(8) == 0 {
			break
		}
	}
	return a.next < g.endUS-lastStep, nil
}

// count counts a's host the first time it calls.
func (s *benignService) count(a *agent) {
	if !a.seen {
		a.seen = true
		*a.count++
	}
}

// scheduleBenign starts each benign service on its share of the hosts, at
// a random phase.
func (g *gen) scheduleBenign() {
	r := g.run.Rand("network/benign")
	for k, s := range g.pop.benign {
		live := s.dests[:0:0]
		for _, i := range s.dests {
			if !g.pop.dests[i].tainted {
				live = append(live, i)
			}
		}
		s.dests = live
		if len(live) == 0 {
			continue
		}
		ar := g.run.Rand(fmt.Sprintf("network/benign/%d", k))
		for h := range g.hosts {
			if g.excluded[h] || r.Float64() >= s.share {
				continue
			}
			phase := int64(r.Float64() * s.Period * 1e6)
			g.schedule(&agent{svc: s, host: h, next: g.startUS + phase, r: ar, count: &s.Hosts})
		}
	}
}

// writeBenign writes benign.jsonl: the services that ran, with their
// names, addresses and how many hosts used them.
func (g *gen) writeBenign() error {
	w, err := g.run.Create("benign.jsonl")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range g.pop.benign {
		if s.Hosts == 0 {
			continue
		}
		s.Names, s.Addrs = nil, nil
		for _, i := range s.dests {
			d := &g.pop.dests[i]
			s.Names = append(s.Names, d.name)
			if s.Lookups {
				continue
			}
			if len(d.alts) > 1 {
				for _, a := range d.alts {
					s.Addrs = append(s.Addrs, a.String())
				}
			} else {
				s.Addrs = append(s.Addrs, d.addr.String())
			}
		}
		if s.Lookups {
			for _, a := range dnsServers {
				s.Addrs = append(s.Addrs, a.String())
			}
		}
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("benign.jsonl: %w", err)
		}
	}
	return nil
}
