package network

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"fusion/internal/finding"
)

// Long connections: a host holds a connection to one outside address for
// hours — a reverse shell, a VPN-like tunnel, an implant's interactive
// session. Either one connection (one conn.log row, with its start as ts
// and a duration of hours) or a chain of back-to-back connections, each
// minutes to an hour long and a few seconds apart, that together cover
// hours. The bytes trickle: tens of bytes a second each way.
const (
	longConnShare = 0.01 // of hosts
	minLongSpan   = 2 * time.Hour
	maxLongSpan   = 16 * time.Hour
	minChainLink  = 5 * time.Minute
	maxChainLink  = 60 * time.Minute
)

// longConn is a long-connection activity.
type longConn struct {
	id      string
	host    int
	dest    int32
	port    uint16
	service string
	chain   bool
	r       *rand.Rand
	next    int64
	end     int64
	total   time.Duration
	ep      episode
}

func (l *longConn) at() int64 { return l.next }

func (l *longConn) step(g *gen) (bool, error) {
	r, d := l.r, &g.pop.dests[l.dest]
	us := g.resolve(r, l.next, l.host, l.dest)
	dur := time.Duration(l.end-us) * time.Microsecond
	if l.chain {
		dur = min(dur, seconds(uniform(r, minChainLink.Seconds(), maxChainLink.Seconds())))
	}
	c := g.conn(us, g.origin(l.host), ephemeral(r), d.addr, l.port, "tcp", l.service)
	secs := dur.Seconds()
	established(c, int64(secs*logNormal(r, 25, 0.7, 2, 2000))+600, int64(secs*logNormal(r, 60, 0.8, 2, 5000))+900, dur, "ShADadFf")
	if l.service == "ssl" {
		g.tlsHello(r, c, d.tlsName(), tlsMalware)
	}
	l.ep.saw(us)
	l.total += dur
	l.next = us + dur.Microseconds() + int64(between(r, 50_000, 5_000_000))
	if l.chain && l.next < l.end-minChainLink.Microseconds() {
		return true, nil
	}
	detail := map[string]string{
		"dest":        addrPort(d.addr, l.port),
		"connections": strconv.Itoa(l.ep.n),
		"duration":    strconv.FormatInt(int64(l.total.Round(time.Second)/time.Second), 10) + "s",
		"ends":        ts(us).Add(dur).Format(time.RFC3339Nano),
	}
	if l.service != "" {
		detail["service"] = l.service
	}
	if d.name != "" {
		detail["domain"] = d.name
	}
	return false, g.truth(l.ep, finding.LongConn, l.id, g.origin(l.host).String(), detail)
}

// scheduleLongConns plans the long connections on distinct hosts.
func (g *gen) scheduleLongConns(n int, taken map[int]bool) {
	r := g.run.Rand("network/longconn")
	total := g.endUS - g.startUS
	for i, h := range g.pickHosts(r, n, taken) {
		dest := g.pop.take(dC2)
		if dest < 0 {
			break
		}
		ends := []struct {
			port    uint16
			service string
		}{{443, "ssl"}, {443, "ssl"}, {8443, "ssl"}, {22, "ssh"}, {4444, ""}, {8080, ""}}
		e := ends[r.IntN(len(ends))]
		l := &longConn{
			id: fmt.Sprintf("long-connection-%03d", i+1), host: h, dest: dest, port: e.port, service: e.service,
			chain: r.IntN(2) == 0,
			r:     g.run.Rand(fmt.Sprintf("network/longconn/%d", i)),
		}
		// The whole span ends inside the scenario, a little before its
		// end, so that the connection has closed and been logged.
		length := min(int64(logUniform(r, minLongSpan.Seconds(), maxLongSpan.Seconds())*1e6), total*3/4)
		l.next = g.startUS + int64(r.Float64()*float64(total-length-lastStep))
		l.end = l.next + length
		g.schedule(l)
	}
}
