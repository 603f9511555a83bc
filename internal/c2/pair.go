package c2

import (
	"net/netip"
	"slices"
)

// A series holds one pair's connections in its current window, and, for
// address pairs, the chain of back-to-back connections that long-connection
// detection follows. Its memory is bounded: about 350 bytes, plus 8 bytes a
// connection past the third (a 32-bit time offset and a 32-bit byte count,
// packed) up to the strobe limit of the window (86,400 a day: 675 KiB at
// worst); past the limit only the count grows.
type series struct {
	src netip.Addr
	dst netip.Addr // the address; for a name pair, the last address used
	// addrs are a name pair's addresses, the first maxAddrs.
	addrs []netip.Addr
	name  int32 // the name the connections were made to (-1: none)
	// count is the connections in the window, including those past the
	// limit.
	count int32
	// url is a poll's host and URI; urlKey its hash.
	url    string
	urlKey uint64

	start int64 // the window's start, Unix s
	first int64
	last  int64
	// conns are offset<<32 | bytes, in arrival order; the first three
	// live in inl, so that the many pairs of one or two connections
	// allocate nothing more.
	conns []uint64
	inl   [3]uint64
	uids  uidRing

	chain chain // address pairs only
}

func newSeries(src, dst netip.Addr, name int32, ts int64) *series {
	s := &series{src: src, dst: dst, name: name, start: ts, first: ts, last: ts}
	s.conns = s.inl[:0]
	return s
}

// add takes one connection at ts (Unix s) with n bytes sent.
func (s *series) add(ts int64, n uint32, limit int, uid []byte) {
	if s.count == 0 {
		s.first, s.last = ts, ts
	}
	s.count++
	if ts > s.last {
		s.last = ts
	}
	if ts < s.first {
		s.first = ts
	}
	if len(s.conns) < limit {
		s.conns = append(s.conns, uint64(uint32(ts-s.start))<<32|uint64(n))
	}
	s.uids.add(uid)
}

// maxAddrs bounds the addresses a name pair keeps.
const maxAddrs = 8

// reached notes that a name pair's connection went to a.
func (s *series) reached(a netip.Addr) {
	s.dst = a
	if len(s.addrs) < maxAddrs && !slices.Contains(s.addrs, a) {
		s.addrs = append(s.addrs, a)
	}
}

// reset starts a new window at ts, keeping the buffers.
func (s *series) reset(ts int64) {
	s.start = ts
	s.conns = s.conns[:0]
	s.count = 0
	s.first, s.last = ts, ts
	s.uids = uidRing{}
}

// uidRing keeps the first two and the last two uids of a window, as
// evidence a person can look up in the logs, without allocating per
// connection.
type uidRing struct {
	first [2]uidBuf
	last  [2]uidBuf
	n     int
}

// uidBuf holds a Zeek uid ("C" and up to 17 base62 characters; longer
// ones are cut at 20 bytes).
type uidBuf struct {
	b [20]byte
	n uint8
}

func (u *uidBuf) set(b []byte) {
	u.n = uint8(copy(u.b[:], b))
}

func (u *uidBuf) String() string { return string(u.b[:u.n]) }

func (r *uidRing) add(uid []byte) {
	if len(uid) == 0 {
		return
	}
	if r.n < 2 {
		r.first[r.n].set(uid)
	} else {
		r.last[r.n%2].set(uid)
	}
	r.n++
}

// list returns the uids in order, at most four.
func (r *uidRing) list() []string {
	var out []string
	for i := 0; i < r.n && i < 2; i++ {
		out = append(out, r.first[i].String())
	}
	switch {
	case r.n == 3:
		out = append(out, r.last[0].String())
	case r.n > 3:
		out = append(out, r.last[(r.n-2)%2].String(), r.last[(r.n-1)%2].String())
	}
	return out
}

// chain follows connections to one destination that run back to back: a
// connection that starts within the gap of the chain's end extends it. A
// single connection lasting hours is a chain of one. The longest chain of
// at least keepMin is kept in best, allocated only then.
type chain struct {
	start, end int64 // µs
	busy       int64 // µs covered by connections
	bytes      int64
	conns      int32
	firstUID   uidBuf
	lastUID    uidBuf
	best       *chainSpan
}

// chainSpan is the longest chain seen.
type chainSpan struct {
	start, end, busy int64
	conns            int32
	bytes            int64
	uids             []string
}

func (c *chain) add(start, dur, n, gap, keepMin int64, uid []byte) {
	end := start + dur
	if c.conns > 0 && start <= c.end+gap && end >= c.start-gap {
		if end > c.end {
			c.end = end
		}
		if start < c.start {
			c.start = start
		}
		c.busy += dur
		c.conns++
		c.bytes += n
		c.lastUID.set(uid)
		return
	}
	c.keep(keepMin)
	c.start, c.end, c.busy, c.bytes, c.conns = start, end, dur, n, 1
	c.firstUID.set(uid)
	c.lastUID = uidBuf{}
}

// keep makes the current chain the best when it lasts keepMin or more and
// is longer.
func (c *chain) keep(keepMin int64) {
	span := c.end - c.start
	if c.conns == 0 || span < keepMin || (c.best != nil && span <= c.best.end-c.best.start) {
		return
	}
	uids := []string{c.firstUID.String()}
	if c.lastUID.n > 0 {
		uids = append(uids, c.lastUID.String())
	}
	c.best = &chainSpan{start: c.start, end: c.end, busy: c.busy, conns: c.conns, bytes: c.bytes, uids: uids}
}
