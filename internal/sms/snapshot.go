package sms

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A snapshot is a Guard's learnt state as bytes, for a hub to keep in its
// store and rebuild its guards from when it starts: per app its request
// count, baselines, countries, carriers and client addresses; the number
// blocks with their recent requests and counters; the blocks in force,
// their history and the closed episodes; the key of the address and
// user-agent hashes. Not in it: the configuration (the Guard loading it
// has its own), the shared prefixes (the hub rebuilds them from the
// records) and the analysis cache (filled again as numbers come).
//
// The format is this package's own (no library encodes unexported state
// without mirror types for each struct): "fusion-sms-state", a version
// byte, then varints, length-prefixed strings and fixed windows, in the
// order Save writes them. Load checks every length, count and value it
// reads against the bounds the engine keeps, and refuses what does not
// fit, naming it.

const (
	snapshotMagic   = "fusion-sms-state"
	snapshotVersion = 1
	// maxSnapshotString bounds a string in a snapshot: app names are at
	// most 128 bytes (ParseRequest), carriers and prefixes shorter.
	maxSnapshotString = 256
)

// ErrSnapshot is the error of a snapshot Load cannot read.
var ErrSnapshot = errors.New("sms state snapshot")

// Save returns the Guard's state as a snapshot.
func (g *Guard) Save() []byte {
	b, _ := g.SaveChanged(0)
	return b
}

// SaveChanged returns the Guard's state as a snapshot and a version that
// names that state (versions start at 1); when the state is still that
// of version since, it returns nil and since: there is nothing new to
// save.
func (g *Guard) SaveChanged(since uint64) ([]byte, uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	version := g.changes + 1
	if version == since {
		return nil, version
	}
	e := &encoder{b: append(make([]byte, 0, 1<<16), snapshotMagic...)}
	e.b = append(e.b, snapshotVersion)
	e.u(g.key)
	e.u(uint64(len(g.apps)))
	for _, a := range g.apps {
		e.s(a.name)
		e.u(a.requests)
		e.baseline(&a.total)
		e.u(uint64(len(a.countries)))
		for name, c := range a.countries {
			e.s(name)
			e.counts(&c.Counts)
			e.baseline(&c.base)
		}
		e.u(uint64(len(a.carriers)))
		for name, c := range a.carriers {
			e.s(name)
			e.counts(c)
		}
		e.u(uint64(len(a.ips)))
		for k, s := range a.ips {
			e.b = binary.LittleEndian.AppendUint64(e.b, k)
			for i := range s.times {
				e.u(uint64(s.times[i]))
				e.b = append(e.b, s.regions[i][0], s.regions[i][1])
			}
		}
	}
	r := g.ranges
	e.u(uint64(len(r.prefixes)))
	for p, b := range r.prefixes {
		e.s(p)
		e.number(&b.num)
		e.u(uint64(b.numLen))
		e.i(b.suspect)
		e.i(b.suspectLast)
		e.i(b.last)
		e.u(uint64(b.next))
		e.u(uint64(len(b.recent)))
		for _, x := range b.recent {
			e.i(x.t)
			e.u(uint64(x.suffix))
			e.bool(x.verified)
			e.u(uint64(x.ip))
			e.u(uint64(x.ua))
		}
		e.bool(b.c != nil)
		if b.c != nil {
			for i := range 2 {
				e.window(&b.c.req[i])
				e.window(&b.c.ver[i])
			}
		}
	}
	e.u(uint64(len(r.blocks)))
	for p, ep := range r.blocks {
		e.s(p)
		e.episode(ep)
	}
	e.u(uint64(len(r.parents)))
	for p, until := range r.parents {
		e.s(p)
		e.i(until)
	}
	e.u(uint64(len(r.history)))
	for p, h := range r.history {
		e.s(p)
		e.u(uint64(h.level))
		e.i(h.last)
	}
	e.u(uint64(len(g.episodes)))
	for _, ep := range g.episodes {
		e.episode(ep)
	}
	e.u(uint64(g.dropped))
	return e.b, version
}

// Load replaces the Guard's state with a snapshot's. On an error the
// Guard is left as it was. Apps take their settings from the Guard's
// configuration; state past the Guard's bounds (a snapshot of a Guard
// with larger ones) is refused.
func (g *Guard) Load(data []byte) error {
	d := &decoder{b: data}
	if len(data) < len(snapshotMagic)+1 || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return fmt.Errorf("%w: not a snapshot (no %q at its start)", ErrSnapshot, snapshotMagic)
	}
	if v := data[len(snapshotMagic)]; v != snapshotVersion {
		return fmt.Errorf("%w: version %d, this build reads %d", ErrSnapshot, v, snapshotVersion)
	}
	d.b = data[len(snapshotMagic)+1:]
	fresh, err := New(g.cfg, g.shared)
	if err != nil {
		return err
	}
	fresh.key = d.u()
	nApps := d.count("apps", g.cfg.MaxApps+1)
	for range nApps {
		name := d.s("app name")
		if d.err != nil {
			break
		}
		if fresh.apps[name] != nil {
			d.fail("app %q twice", name)
			break
		}
		a := fresh.app(name)
		if a.name != name {
			d.fail("more apps than this guard's %d", g.cfg.MaxApps)
			break
		}
		a.requests = d.u()
		d.baseline(&a.total)
		for range d.count("countries", 1<<12) {
			name := d.s("country")
			c := &country{}
			d.counts(&c.Counts)
			d.baseline(&c.base)
			a.countries[name] = c
		}
		for range d.count("carriers", 1<<16) {
			name := d.s("carrier")
			c := &Counts{}
			d.counts(c)
			a.carriers[name] = c
		}
		for range d.count("addresses", g.cfg.MaxIPs) {
			k := d.u64()
			var s ipState
			for i := range s.times {
				s.times[i] = uint32(d.bounded("address time", math.MaxUint32))
				s.regions[i] = [2]byte{d.byte(), d.byte()}
			}
			a.ips[k] = s
		}
	}
	r := fresh.ranges
	for range d.count("blocks", g.cfg.MaxPrefixes) {
		p := d.prefix("block")
		b := &block{}
		d.number(&b.num)
		b.numLen = uint8(d.bounded("number length", 16))
		b.suspect, b.suspectLast, b.last = d.i(), d.i(), d.i()
		b.next = int(d.bounded("ring position", ringSize-1))
		n := d.count("recent requests", ringSize)
		if n < ringSize && b.next != 0 {
			d.fail("block %s: ring position %d with %d requests", p, b.next, n)
		}
		b.recent = make([]entry, n, max(n, 4))
		for i := range b.recent {
			x := &b.recent[i]
			x.t = d.i()
			x.suffix = uint16(d.bounded("suffix", 999))
			x.verified = d.bool()
			x.ip = uint32(d.bounded("address hash", math.MaxUint32))
			x.ua = uint32(d.bounded("user agent hash", math.MaxUint32))
		}
		if d.bool() {
			b.c = &blockCounts{}
			for i := range 2 {
				d.window(&b.c.req[i])
				d.window(&b.c.ver[i])
			}
			fresh.busy++
		}
		if d.err != nil {
			break
		}
		r.prefixes[p] = b
	}
	if fresh.busy > g.cfg.MaxBusy {
		d.fail("%d busy blocks, more than this guard's %d", fresh.busy, g.cfg.MaxBusy)
	}
	for range d.count("blocks in force", g.cfg.MaxEpisodes+len(r.prefixes)) {
		p := d.prefix("block in force")
		ep := d.episode()
		if d.err != nil {
			break
		}
		if ep.prefix != p {
			d.fail("block in force %s holds the episode of %s", p, ep.prefix)
			break
		}
		r.blocks[p] = ep
	}
	for range d.count("parents", g.cfg.MaxEpisodes+len(r.prefixes)) {
		p := d.prefix("parent")
		r.parents[p] = d.i()
	}
	for range d.count("history", g.cfg.MaxEpisodes+len(r.prefixes)) {
		p := d.prefix("history")
		r.history[p] = blockHistory{level: int(d.bounded("level", 64)), last: d.i()}
	}
	for range d.count("episodes", g.cfg.MaxEpisodes) {
		ep := d.episode()
		if d.err != nil {
			break
		}
		fresh.episodes = append(fresh.episodes, ep)
	}
	fresh.dropped = int(d.bounded("dropped episodes", math.MaxInt32))
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the end", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.key = fresh.key
	g.apps, g.ranges, g.busy = fresh.apps, fresh.ranges, fresh.busy
	g.episodes, g.dropped = fresh.episodes, fresh.dropped
	g.changes++
	return nil
}

type encoder struct{ b []byte }

func (e *encoder) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) i(v int64)  { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) f(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
func (e *encoder) s(v string) { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) window(w *Window) {
	e.i(w.last)
	for _, n := range w.n {
		e.u(uint64(n))
	}
}

func (e *encoder) counts(c *Counts) {
	for i := range c.Req {
		e.window(&c.Req[i])
		e.window(&c.Ver[i])
	}
}

func (e *encoder) baseline(b *baseline) {
	e.i(b.hour)
	e.f(b.cur)
	e.f(b.ver)
	e.f(b.hourly)
	e.f(b.conv)
	e.u(uint64(b.hours))
}

func (e *encoder) number(n *Number) {
	e.s(n.Region)
	e.u(uint64(n.Type))
	e.s(n.Carrier)
}

func (e *encoder) episode(ep *episode) {
	e.s(ep.app)
	e.s(ep.prefix)
	e.s(ep.rule)
	e.u(uint64(ep.reasons))
	e.s(ep.country)
	e.s(ep.carrier)
	e.u(uint64(ep.numberType))
	for _, v := range []int64{ep.start, ep.placed, ep.until, ep.last} {
		e.i(v)
	}
	for _, v := range []int{ep.level, ep.free, ep.evidence, ep.matured, ep.entered, ep.blocked} {
		e.u(uint64(v))
	}
}

// decoder reads a snapshot; the first error sticks and every later read
// returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrSnapshot, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) f(what string) float64 {
	v := math.Float64frombits(d.u64())
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.fail("%s %v: not a finite number", what, v)
		return 0
	}
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool() bool {
	switch v := d.byte(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("boolean %d: not 0 or 1", v)
		return false
	}
}

// bounded reads an unsigned varint of at most limit.
func (d *decoder) bounded(what string, limit uint64) uint64 {
	v := d.u()
	if v > limit {
		d.fail("%s %d: more than %d", what, v, limit)
		return 0
	}
	return v
}

// count reads a number of items of at most limit; each is at least a byte,
// so that a count cannot promise more than the bytes left.
func (d *decoder) count(what string, limit int) int {
	v := d.bounded(what, uint64(limit))
	if v > uint64(len(d.b)) {
		d.fail("%d %s in %d bytes", v, what, len(d.b))
		return 0
	}
	return int(v)
}

func (d *decoder) s(what string) string {
	n := d.bounded(what+" length", maxSnapshotString)
	if d.err != nil {
		return ""
	}
	if uint64(len(d.b)) < n {
		d.fail("truncated %s", what)
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

// prefix reads an E.164 prefix: "+" and 1 to 15 digits.
func (d *decoder) prefix(what string) string {
	p := d.s(what)
	if d.err != nil {
		return ""
	}
	if checkPrefix(p) != nil {
		d.fail("%s %q: not an E.164 prefix", what, p)
		return ""
	}
	return p
}

func (d *decoder) window(w *Window) {
	w.last = d.i()
	w.total = 0
	for i := range w.n {
		w.n[i] = uint32(d.bounded("window count", math.MaxUint32))
		w.total += uint64(w.n[i])
	}
}

func (d *decoder) counts(c *Counts) {
	for i := range c.Req {
		d.window(&c.Req[i])
		d.window(&c.Ver[i])
	}
}

func (d *decoder) baseline(b *baseline) {
	b.hour = d.i()
	b.cur, b.ver, b.hourly, b.conv = d.f("baseline count"), d.f("baseline count"), d.f("baseline volume"), d.f("baseline conversion")
	b.hours = int(d.bounded("baseline hours", math.MaxInt32))
}

func (d *decoder) number(n *Number) {
	n.Region = d.s("region")
	n.Type = NumberType(d.bounded("number type", uint64(Unknown)))
	n.Carrier = d.s("carrier")
}

func (d *decoder) episode() *episode {
	ep := &episode{app: d.s("episode app"), prefix: d.prefix("episode prefix"), rule: d.s("episode rule"),
		reasons: Reasons(d.bounded("reasons", math.MaxUint32)), country: d.s("episode country"), carrier: d.s("episode carrier"),
		numberType: NumberType(d.bounded("number type", uint64(Unknown)))}
	ep.start, ep.placed, ep.until, ep.last = d.i(), d.i(), d.i(), d.i()
	ep.level = int(d.bounded("level", 64))
	ep.free = int(d.bounded("free digits", 4))
	ep.evidence = int(d.bounded("evidence", math.MaxInt32))
	ep.matured = int(d.bounded("matured", math.MaxInt32))
	ep.entered = int(d.bounded("entered", math.MaxInt32))
	ep.blocked = int(d.bounded("blocked", math.MaxInt32))
	if d.err == nil && ep.free != 3 && ep.free != 4 {
		d.fail("episode of %s: %d free digits, not 3 or 4", ep.prefix, ep.free)
	}
	if d.err == nil && len(ep.prefix) <= ep.free {
		d.fail("episode prefix %q too short", ep.prefix)
	}
	return ep
}
