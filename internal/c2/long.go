package c2

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"fusion/internal/finding"
)

// longConnections reports the longest chain of each address pair that
// lasts at least Config.LongConnection and is busy at least nine tenths of
// its span (back-to-back, not a beacon's short calls).
func (d *Detector) longConnections() []finding.Finding {
	var out []finding.Finding
	for s := range d.addrPairs() {
		s.chain.keep(d.chainKeep)
		if f, ok := d.longFinding(longChain{s.src, s.dst, s.name, s.chain.best}); ok {
			out = append(out, f)
		}
	}
	for _, l := range d.longs {
		if f, ok := d.longFinding(l); ok {
			out = append(out, f)
		}
	}
	return out
}

// longChain is an address pair's longest chain.
type longChain struct {
	src, dst netip.Addr
	name     int32
	best     *chainSpan
}

// longFinding returns l as a long-connection finding, when it is one.
func (d *Detector) longFinding(l longChain) (finding.Finding, bool) {
	b := l.best
	if b == nil {
		return finding.Finding{}, false
	}
	span := b.end - b.start
	if span < d.cfg.LongConnection.Microseconds() || float64(b.busy) < 0.9*float64(span) {
		return finding.Finding{}, false
	}
	if d.popular(d.ipPrev[l.dst]) || d.cfg.Allow.Addr(l.dst) || (l.name >= 0 && (d.popular(d.nmPrev[l.name]) || d.cfg.Allow.Name(d.names[l.name]))) {
		return finding.Finding{}, false
	}
	if n, ok := d.resolved[l.dst]; ok && (d.popular(d.svcPrev[n]) || d.cfg.Allow.Name(d.names[n])) {
		return finding.Finding{}, false
	}
	dst := l.dst.String()
	if l.name >= 0 {
		dst = d.names[l.name]
	}
	hours := float64(span) / 3.6e9
	score := math.Min(1, 0.5+hours/24) // an hour: 0.54; twelve hours or more: 1
	conns := "one connection"
	if b.conns > 1 {
		conns = fmt.Sprintf("%s connections back to back", Thousands(int64(b.conns)))
	}
	return finding.Finding{
		Kind: finding.LongConn, Entity: l.src.String(), Src: l.src.String(), Dst: dst,
		Start: time.UnixMicro(b.start).UTC(), End: time.UnixMicro(b.end).UTC(),
		Score: math.Round(score*1000) / 1000, Severity: Severity(score),
		Stats: map[string]float64{
			"duration_s": math.Round(float64(span) / 1e6), "busy_s": math.Round(float64(b.busy) / 1e6),
			"connections": float64(b.conns), "bytes_sent": float64(b.bytes),
		},
		Explanation: fmt.Sprintf("%s to %s for %s, %s bytes sent", conns, dst, Duration(float64(span)/1e6), Thousands(b.bytes)),
		UIDs:        b.uids,
	}, true
}

// sweepEvery is how many rows Log reads between checks for a sweep.
const sweepEvery = 1 << 20

// maybeSweep sweeps when the logs have moved on a window since the last.
func (d *Detector) maybeSweep() {
	if d.last-d.lastSweep >= int64(d.cfg.Window/time.Second) {
		if d.lastSweep != 0 {
			d.sweep()
		}
		d.lastSweep = d.last
	}
}

// sweep scores and forgets the pairs with no connection for a window: a
// connection of theirs now would start a new window anyway. So a
// Detector that reads for days (serve's) holds the pairs of the last
// window or two, not of every day.
func (d *Detector) sweep() {
	cut := d.last - int64(d.cfg.Window/time.Second)
	forget := func(s *series, kind string) bool {
		if s.last >= cut {
			return false
		}
		if c, ok := d.score(s, kind); ok {
			d.cands = append(d.cands, c)
		}
		return true
	}
	for k, s := range d.ips {
		if forget(s, "") {
			d.keepChain(s)
			delete(d.ips, k)
			d.swept4[k] = struct{}{}
		}
	}
	for k, s := range d.ips6 {
		if forget(s, "") {
			d.keepChain(s)
			delete(d.ips6, k)
			d.swept6[k] = struct{}{}
		}
	}
	for k, s := range d.named {
		if forget(s, "") {
			delete(d.named, k)
			d.sweptNamed[k] = struct{}{}
		}
	}
	for k, s := range d.polls {
		if forget(s, finding.C2Poll) {
			delete(d.polls, k)
			d.sweptPolls[k] = struct{}{}
		}
	}
}

// keepChain keeps a forgotten pair's longest chain when it may be a long
// connection.
func (d *Detector) keepChain(s *series) {
	s.chain.keep(d.chainKeep)
	if b := s.chain.best; b != nil && b.end-b.start >= d.cfg.LongConnection.Microseconds() {
		d.longs = append(d.longs, longChain{s.src, s.dst, s.name, b})
	}
}
