package network

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"fusion/internal/finding"
	"fusion/internal/tor"
)

// Tor users run a Tor client for sessions of 20 minutes to 4 hours, mostly
// in office hours: the client keeps a TLS connection to its entry guard (a
// relay with the Guard flag, the same one across sessions, as Tor keeps its
// guards) and sometimes opens one to another relay. One truth line per
// session.
const (
	torShare       = 0.02 // of hosts
	minTorSession  = 20 * time.Minute
	maxTorSession  = 4 * time.Hour
	sessionsPerDay = 0.7
	// otherRelayShare is the share of sessions that also contact a relay
	// other than the guard (a directory fetch or a second guard).
	otherRelayShare = 0.3
)

// addRelays loads the consensus at path and adds its running relays as
// dests: those with the Guard flag as dGuard, the others as dRelay. It
// returns the file's SHA-256 for the run's inputs.
func (p *population) addRelays(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("tor consensus: %w", err)
	}
	sum := sha256.Sum256(raw)
	c, err := tor.ParseConsensus(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("tor consensus %s: %w", path, err)
	}
	n := 0
	for _, rl := range c.Relays {
		if !rl.Address.Is4() || rl.ORPort == 0 || !rl.HasFlag("Running") || !rl.HasFlag("Valid") {
			continue
		}
		k := dRelay
		if rl.HasFlag("Guard") {
			k = dGuard
		}
		p.add(dest{addr: rl.Address, port: rl.ORPort, kind: k}, nil)
		n++
	}
	if n == 0 || len(p.byKind[dGuard]) == 0 {
		return "", fmt.Errorf("tor consensus %s: no running guard relay", path)
	}
	return hex.EncodeToString(sum[:]), nil
}

// torSession is one stretch of Tor use.
type torSession struct{ from, to int64 }

// torUser is a tor-use activity.
type torUser struct {
	id       string
	host     int
	guard    int32
	sessions []torSession // in order, not overlapping
	cur      int
	next     int64
	r        *rand.Rand
	ep       episode
}

func (t *torUser) at() int64 { return t.next }

func (t *torUser) step(g *gen) (bool, error) {
	r := t.r
	s := t.sessions[t.cur]
	if t.next == s.from && r.Float64() < otherRelayShare {
		if i := g.pop.torRelay(r); i >= 0 && i != t.guard {
			t.relayConn(g, t.next+int64(between(r, 1e5, 5e6)), i, seconds(uniform(r, 2, 120)))
		}
	}
	// One connection to the guard, until the session ends or the
	// connection is renewed.
	left := time.Duration(s.to-t.next) * time.Microsecond
	dur := min(left, seconds(uniform(r, 600, 3600)))
	t.relayConn(g, t.next, t.guard, dur)
	t.next += dur.Microseconds() + int64(between(r, 1e6, 30e6))
	if t.next < s.to && t.next < g.endUS-lastStep {
		return true, nil
	}
	// The session is over.
	d := &g.pop.dests[t.guard]
	err := g.truth(t.ep, finding.TorUse, t.id+"-"+strconv.Itoa(t.cur+1), g.origin(t.host).String(),
		map[string]string{"guard": d.addr.String() + ":" + strconv.Itoa(int(d.port))})
	t.ep = episode{}
	t.cur++
	if err != nil || t.cur == len(t.sessions) || t.sessions[t.cur].from >= g.endUS-lastStep {
		return false, err
	}
	t.next = t.sessions[t.cur].from
	return true, nil
}

// relayConn writes a TLS connection to relay i carrying Tor cells for dur.
func (t *torUser) relayConn(g *gen, us int64, i int32, dur time.Duration) {
	r, d := t.r, &g.pop.dests[i]
	c := g.conn(us, g.origin(t.host), ephemeral(r), d.addr, d.port, "tcp", "ssl")
	secs := dur.Seconds()
	ob := int64(secs*logNormal(r, 1500, 0.8, 200, 1e5)) + 2000
	rb := int64(secs*logNormal(r, 12000, 1, 500, 2e6)) + 5000
	// Tor sends fixed 514-byte cells: byte counts are multiples of them
	// after the TLS handshake.
	ob, rb = ob-ob%514+517, rb-rb%514+1448
	established(c, ob, rb, dur, "ShADadFf")
	g.tlsHello(r, c, torSNI(r), tlsTor)
	t.ep.saw(us)
}

// torRelay draws a relay: a guard most of the time, as clients build
// circuits through guards.
func (p *population) torRelay(r *rand.Rand) int32 {
	if r.IntN(10) < 9 || len(p.byKind[dRelay]) == 0 {
		return p.of(r, dGuard)
	}
	return p.of(r, dRelay)
}

// scheduleTor plans the Tor users.
func (g *gen) scheduleTor(n int, taken map[int]bool) {
	if len(g.pop.byKind[dGuard]) == 0 {
		return
	}
	r := g.run.Rand("network/tor")
	days := float64(g.endUS-g.startUS) / 86400e6
	for i, h := range g.pickHosts(r, n, taken) {
		u := &torUser{
			id: fmt.Sprintf("tor-use-%03d", i+1), host: h, guard: g.pop.of(r, dGuard),
			r: g.run.Rand(fmt.Sprintf("network/tor/%d", i)),
		}
		count := max(1, poisson(r, sessionsPerDay*days))
		for range count {
			u.sessions = append(u.sessions, g.torSession(r))
		}
		slices.SortFunc(u.sessions, func(a, b torSession) int { return int(a.from - b.from) })
		// Merge overlapping sessions.
		merged := u.sessions[:1]
		for _, s := range u.sessions[1:] {
			last := &merged[len(merged)-1]
			if s.from <= last.to {
				last.to = max(last.to, s.to)
				continue
			}
			merged = append(merged, s)
		}
		u.sessions = merged
		u.next = u.sessions[0].from
		g.schedule(u)
	}
}

// torSession draws a session, in office hours three times out of four.
func (g *gen) torSession(r *rand.Rand) torSession {
	length := int64(math.Exp(uniform(r, math.Log(minTorSession.Seconds()), math.Log(maxTorSession.Seconds()))) * 1e6)
	length = min(length, g.endUS-g.startUS)
	var from int64
	for try := 0; try < 20; try++ {
		from = g.startUS + int64(r.Float64()*float64(g.endUS-g.startUS-length))
		if r.IntN(4) == 0 || workHours(ts(from)) {
			break
		}
	}
	return torSession{from: from, to: from + length}
}
