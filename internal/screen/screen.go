// Package screen screens airline card-not-present bookings for fraud
// rings, the job of the airline action days: rules over each booking's
// fields, compiled once, and ring linking over every booking seen.
//
// # Input
//
// Bookings come as JSON lines (the transactions scenario's bookings.jsonl)
// or CSV with a header row; both use the same field names: id, booked,
// departure (RFC 3339), origin, destination (IATA airports),
// origin_country, destination_country, bin_country, ip_country (ISO
// 3166-1 alpha-2), card_bin (6 digits), client_ip, cardholder, traveller,
// booker, card (64 lowercase hex digits: a hash, never a name or card
// number), amount (decimal), currency (ISO 4217), channel (lowercase word),
// and optionally airline (2-character IATA designator) and device (64 hex
// digits). A file may instead give cardholder_name, traveller_name or
// card_number in clear: the reader hashes them at once with HMAC-SHA-256
// under the caller's key (names upper-cased with white space collapsed;
// card numbers as digits, keeping the first 6 as card_bin) and keeps only
// the hashes. Readers are strict: an unknown, repeated, missing or
// malformed field stops the read with a [LineError] naming the line, the
// field, the value (withheld for clear names and card numbers) and why.
//
// # Rules
//
// A rule is a boolean expression in the expr language
// (https://expr-lang.org) over the names of [Vars], with a score and a
// reason; a [Package] holds rules and a threshold, shared as JSON. Every
// expression is compiled once, typed against Vars: a rule that names an
// unknown field or is not boolean is refused with its position.
//
// # Rings
//
// Bookings are linked when they share a card, a cardholder name, a
// booking account or a device within LinkWindow of each other, or a client
// address within IPWindow; linked bookings form rings (connected
// components, by union-find). A ring is scored by its spread: the most
// travellers any of its cards paid for, the most any of its accounts
// booked for, the most airlines any of its cards paid. A booking is
// flagged when its rules' scores plus its ring's score reach the package's
// threshold.
package screen

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/expr-lang/expr/vm"

	"fusion/internal/finding"
)

// Config sets how bookings are linked into rings.
type Config struct {
	// LinkWindow is how far apart two bookings sharing a card, a
	// cardholder name, a booking account or a device may be and still link.
	LinkWindow time.Duration
	// IPWindow is the same for a shared client address.
	IPWindow time.Duration
	// Rings keeps each ring's size and spread up to date as bookings are
	// added, for [Screener.Ring] (inline screening); it costs a map entry
	// per ring of two or more bookings. Batch screening leaves it off and
	// describes rings once, in Findings.
	Rings bool
}

// DefaultConfig links over 30 days by identity and 6 hours by address.
func DefaultConfig() Config {
	return Config{LinkWindow: 30 * 24 * time.Hour, IPWindow: 6 * time.Hour}
}

// Ring scoring: what a ring's spread adds to each of its bookings' score.
const (
	ringNamesMin     = 4 // a card paying for this many travellers starts to count
	ringNamesScore   = 0.15
	ringBookerMin    = 8 // an account booking for this many travellers
	ringBookerScore  = 0.05
	ringAirlineMin   = 2 // a card paying this many airlines
	ringAirlineScore = 0.05
	ringMaxScore     = ringNamesScore + ringBookerScore + ringAirlineScore
)

// Result is the rules' verdict on one booking as it was added.
type Result struct {
	Score float64
	Fired uint64 // bit i: rule i of the package fired
}

// record is what the screener keeps of each booking until Findings.
type record struct {
	parent int32 // union-find: the record's parent, itself at a root
	id     string
	booked int64
	score  float64
	fired  uint64
	card   uint64
	booker uint64
}

type pair [2]uint64

// last is where a link key was last seen.
type last struct {
	at  int64
	idx int32
}

// smallMax is how many distinct values an entity lists before its
// further values go to a shared set.
const smallMax = 32

// distinct counts an entity's distinct values exactly: a short list, then
// the screener's shared set for the busy few.
type distinct struct {
	first [2]uint64 // the first values, without an allocation
	more  []uint64  // the next ones, up to smallMax in all
	n     int32
}

func (d *distinct) add(big map[pair]struct{}, owner, v uint64) int {
	for i := 0; i < int(min(d.n, 2)); i++ {
		if d.first[i] == v {
			return int(d.n)
		}
	}
	for _, x := range d.more {
		if x == v {
			return int(d.n)
		}
	}
	if d.n < 2 {
		d.first[d.n] = v
		d.n++
		return int(d.n)
	}
	if len(d.more) < smallMax-2 {
		d.more = append(d.more, v)
		d.n++
		return int(d.n)
	}
	p := pair{owner, v}
	if _, ok := big[p]; !ok {
		big[p] = struct{}{}
		d.n++
	}
	return int(d.n)
}

// cardState is what the screener knows of a card.
type cardState struct {
	link                          last
	travellers, airlines, holders distinct
}

// bookerState is what the screener knows of a booking account.
type bookerState struct {
	link       last
	travellers distinct
}

// Screener screens a stream of bookings in booking-time order. It is not
// safe for concurrent use.
type Screener struct {
	c    *Compiled
	cfg  Config
	vm   vm.VM
	vars Vars

	cards   map[uint64]*cardState
	bookers map[uint64]*bookerState
	links   map[uint64]last // cardholders and devices
	ips     map[uint64]last // client addresses
	swept   int             // len(links)+len(ips) after the last sweep
	big     map[pair]struct{}
	recs    [][]record // in chunks of chunkLen, so that growing never copies
	n       int32
	rings   map[int32]*ringSpread // by root, with Config.Rings: rings of 2 or more
}

// ringSpread is a ring's size and spread as its bookings were added: each
// count is the one its card or account had when the booking was added.
type ringSpread struct {
	size, cardTravellers, bookerTravellers, cardAirlines int32
}

func (g *ringSpread) merge(o ringSpread) {
	g.size += o.size
	g.cardTravellers = max(g.cardTravellers, o.cardTravellers)
	g.bookerTravellers = max(g.bookerTravellers, o.bookerTravellers)
	g.cardAirlines = max(g.cardAirlines, o.cardAirlines)
}

// New returns a screener running the compiled package c.
func New(c *Compiled, cfg Config) *Screener {
	return &Screener{c: c, cfg: cfg, cards: map[uint64]*cardState{}, bookers: map[uint64]*bookerState{},
		links: map[uint64]last{}, ips: map[uint64]last{}, big: map[pair]struct{}{}, rings: map[int32]*ringSpread{}}
}

// key64 takes the first 16 hex digits of a hash as a number.
func key64(h string) uint64 {
	if len(h) < 16 {
		return xxhash.Sum64String(h)
	}
	var k uint64
	for i := 0; i < 16; i++ {
		k = k<<4 | uint64(hexValue[h[i]])
	}
	return k
}

// hexValue is the value of each hex digit (0 for other bytes, which
// readers refuse).
var hexValue = func() (t [256]uint8) {
	for i, c := range "0123456789abcdef" {
		t[c] = uint8(i)
	}
	return t
}()

// Link kinds, mixed into link keys so that equal hashes of different
// kinds do not link.
const (
	linkCard = iota + 1
	linkHolder
	linkBooker
	linkDevice
	linkIP
)

func tag(kind int, k uint64) uint64 { return k ^ uint64(kind)*0x9E3779B97F4A7C15 }

// Add screens b, which MUST NOT be booked before the bookings added
// earlier for the counts to mean "so far", and remembers it for ring
// linking. b may be reused by the caller afterwards.
func (s *Screener) Add(b *Booking) (Result, error) {
	card, holder, trav, booker := key64(b.Card), key64(b.Cardholder), key64(b.Traveller), key64(b.Booker)
	v := &s.vars
	v.ID, v.Origin, v.Destination = b.ID, b.Origin, b.Destination
	v.OriginCountry, v.DestinationCountry = b.OriginCountry, b.DestinationCountry
	v.CardBIN, v.BINCountry, v.IPCountry = b.CardBIN, b.BINCountry, b.IPCountry
	v.Amount, v.Currency, v.Channel, v.Airline, v.HasDevice = b.Amount, b.Currency, b.Channel, b.Airline, b.Device != ""
	v.LeadHours = b.Departure.Sub(b.Booked).Hours()
	v.IPBINKm = world.countryKm(b.IPCountry, b.BINCountry)
	v.IPOriginKm = world.airportKm(b.IPCountry, b.Origin)
	v.IPDestinationKm = world.airportKm(b.IPCountry, b.Destination)
	v.IPFarKm = min(v.IPBINKm, v.IPOriginKm, v.IPDestinationKm)
	if v.IPBINKm < 0 || v.IPOriginKm < 0 || v.IPDestinationKm < 0 {
		v.IPFarKm = -1
	}
	v.IPForeign = b.IPCountry != b.BINCountry && b.IPCountry != b.OriginCountry && b.IPCountry != b.DestinationCountry
	v.ThirdParty = b.Cardholder != b.Traveller
	cs := s.cards[card]
	if cs == nil {
		cs = &cardState{link: last{at: -1 << 62}}
		s.cards[card] = cs
	}
	bs := s.bookers[booker]
	if bs == nil {
		bs = &bookerState{link: last{at: -1 << 62}}
		s.bookers[booker] = bs
	}
	v.BookerTravellers = bs.travellers.add(s.big, tag(linkBooker, booker), trav)
	v.CardTravellers = cs.travellers.add(s.big, tag(linkCard, card), trav)
	v.CardHolders = cs.holders.add(s.big, tag(linkHolder, card), holder)
	v.CardAirlines = int(cs.airlines.n)
	if b.Airline != "" {
		v.CardAirlines = cs.airlines.add(s.big, tag(linkIP+1, card), uint64(b.Airline[0])<<8|uint64(b.Airline[1]))
	}

	var r Result
	for i, p := range s.c.progs {
		out, err := s.vm.Run(p, v)
		if err != nil {
			return r, fmt.Errorf("booking %s: rule %q: %w", b.ID, s.c.Package.Rules[i].ID, err)
		}
		if out == true {
			r.Fired |= 1 << i
			r.Score += s.c.Package.Rules[i].Score
		}
	}

	idx := s.n
	at := b.Booked.Unix()
	if int(idx)/chunkLen == len(s.recs) {
		s.recs = append(s.recs, make([]record, 0, chunkLen))
	}
	c := &s.recs[len(s.recs)-1]
	*c = append(*c, record{parent: idx, id: strings.Clone(b.ID), booked: at, score: r.Score, fired: r.Fired, card: card, booker: booker})
	s.n++
	lw, iw := int64(s.cfg.LinkWindow/time.Second), int64(s.cfg.IPWindow/time.Second)
	s.linkTo(&cs.link, at, lw, idx)
	s.linkTo(&bs.link, at, lw, idx)
	s.link(s.links, tag(linkHolder, holder), at, lw, idx)
	if b.Device != "" {
		s.link(s.links, tag(linkDevice, key64(b.Device)), at, lw, idx)
	}
	if b.ClientIP.IsValid() {
		s.link(s.ips, ipKey(b.ClientIP), at, iw, idx)
	}
	if len(s.links)+len(s.ips) > 2*s.swept+1<<16 {
		s.sweep(at, lw, iw)
	}
	return r, nil
}

func ipKey(a netip.Addr) uint64 {
	if a.Is4() {
		b := a.As4()
		return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	b := a.As16()
	return xxhash.Sum64(b[:])
}

// sweep forgets link keys last seen more than window before now, which
// can link nothing more; it runs when the keys have doubled since the last
// sweep, so its cost per booking stays constant.
func (s *Screener) sweep(now, window, ipWindow int64) {
	for k, l := range s.links {
		if now-l.at > window {
			delete(s.links, k)
		}
	}
	for k, l := range s.ips {
		if now-l.at > ipWindow {
			delete(s.ips, k)
		}
	}
	s.swept = len(s.links) + len(s.ips)
}

// linkTo joins idx to the booking l last saw if it is within window.
func (s *Screener) linkTo(l *last, at, window int64, idx int32) {
	if at-l.at <= window {
		s.union(l.idx, idx)
	}
	*l = last{at: at, idx: idx}
}

// link joins idx to the last booking with key k in m if it is within window.
func (s *Screener) link(m map[uint64]last, k uint64, at, window int64, idx int32) {
	if l, ok := m[k]; ok && at-l.at <= window {
		s.union(l.idx, idx)
	}
	m[k] = last{at: at, idx: idx}
}

func (s *Screener) find(i int32) int32 {
	for s.rec(i).parent != i {
		r := s.rec(i)
		r.parent = s.rec(r.parent).parent
		i = r.parent
	}
	return i
}

// union joins two rings; the root is the earlier booking, so a ring is
// named after its first booking.
func (s *Screener) union(a, b int32) {
	ra, rb := s.find(a), s.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	s.rec(rb).parent = ra
	if s.cfg.Rings {
		g := s.spread(ra)
		g.merge(*s.spread(rb))
		s.rings[ra] = g
		delete(s.rings, rb)
	}
}

// spread returns root's ring spread: the kept one, or for a booking alone
// its card's and account's counts as they are now (as Findings takes them).
func (s *Screener) spread(root int32) *ringSpread {
	if g := s.rings[root]; g != nil {
		return g
	}
	r := s.rec(root)
	cs, bs := s.cards[r.card], s.bookers[r.booker]
	return &ringSpread{size: 1, cardTravellers: cs.travellers.n, bookerTravellers: bs.travellers.n, cardAirlines: cs.airlines.n}
}

// Ring returns the ring of the booking added last, as it stands: its id,
// size and spread (each count the largest any of its cards or accounts
// had when one of its bookings was added, which Findings, counting at the
// end, may exceed) and what it adds to the score. It needs Config.Rings;
// without it, or before the first Add, it returns the zero Ring.
func (s *Screener) Ring() Ring {
	if !s.cfg.Rings || s.n == 0 {
		return Ring{}
	}
	root := s.find(s.n - 1)
	sp := s.spread(root)
	g := Ring{ID: "ring-" + s.rec(root).id, Size: int(sp.size), CardTravellers: int(sp.cardTravellers),
		BookerTravellers: int(sp.bookerTravellers), CardAirlines: int(sp.cardAirlines)}
	g.Score = g.score()
	return g
}

// Threshold is the score at which the package flags a booking.
func (s *Screener) Threshold() float64 { return s.c.Package.Threshold }

// RuleOf returns rule i of the package the screener runs.
func (s *Screener) RuleOf(i int) Rule { return s.c.Package.Rules[i] }

// Ring is a group of linked bookings and its spread.
type Ring struct {
	ID               string // "ring-" and its first booking's id
	Size             int    // bookings
	CardTravellers   int    // the most travellers one of its cards paid for
	BookerTravellers int    // the most travellers one of its accounts booked for
	CardAirlines     int    // the most airlines one of its cards paid
	Score            float64
}

// score is what the ring's spread adds to each of its bookings.
func (g *Ring) score() float64 {
	var s float64
	if g.CardTravellers >= ringNamesMin {
		s += ringNamesScore
	}
	if g.BookerTravellers >= ringBookerMin {
		s += ringBookerScore
	}
	if g.CardAirlines >= ringAirlineMin {
		s += ringAirlineScore
	}
	return s
}

// Len is how many bookings have been added.
func (s *Screener) Len() int { return int(s.n) }

// chunkLen is how many records a chunk holds.
const chunkLen = 1 << 16

func (s *Screener) rec(i int32) *record { return &s.recs[i/chunkLen][i%chunkLen] }

// Findings links the bookings added so far into rings and returns one
// fraud-ring finding for every booking whose rules' score plus its ring's
// score reaches the package's threshold, in the order added.
func (s *Screener) Findings() []finding.Finding {
	// Only the rings of bookings that the most a ring can add would take
	// to the threshold are worth describing.
	p := s.c.Package
	rings := s.describe(func(i int32) bool { return s.rec(i).score+ringMaxScore >= p.Threshold-1e-9 })
	var out []finding.Finding
	for i := range s.n {
		r := s.rec(i)
		g := rings[s.find(i)]
		if g == nil {
			continue
		}
		total := r.score + g.Score
		if total < p.Threshold-1e-9 {
			continue
		}
		at := time.Unix(r.booked, 0).UTC()
		f := finding.Finding{Kind: finding.FraudRing, Start: at, End: at, Entity: r.id,
			Score: round3(total), Scores: map[string]float64{"ring": round3(g.Score)},
			Detail: map[string]string{"ring": g.ID, "package": p.ID + "@" + strconv.Itoa(p.Version)},
			Stats: map[string]float64{"ring_size": float64(g.Size), "ring_card_travellers": float64(g.CardTravellers),
				"ring_booker_travellers": float64(g.BookerTravellers), "ring_card_airlines": float64(g.CardAirlines)}}
		var ids, reasons []string
		for j, rule := range p.Rules {
			if r.fired&(1<<j) != 0 {
				ids = append(ids, rule.ID)
				reasons = append(reasons, rule.Reason)
				f.Scores[rule.ID] = rule.Score
			}
		}
		f.Detail["rules"] = strings.Join(ids, ",")
		f.Explanation = fmt.Sprintf("%s; in %s: %d bookings, up to %d travellers on one card, %d for one account, %d airlines on one card",
			orNone(reasons), g.ID, g.Size, g.CardTravellers, g.BookerTravellers, g.CardAirlines)
		out = append(out, f)
	}
	return out
}

// Verdict is a booking's screening once every booking is added: the
// rules that fired, its ring as Findings describes it, and whether the
// rules' score plus the ring's reaches the threshold.
type Verdict struct {
	ID      string
	Score   float64 // the rules' score plus the ring's
	Fired   uint64  // bit i: rule i of the package fired
	Ring    *Ring   // shared by the ring's bookings; a booking alone has a ring of size 1
	Flagged bool
}

// Verdicts returns the verdict on every booking added so far, in the
// order added. It describes every ring, where Findings describes only
// those a ring's score could take to the threshold; for a few thousand
// bookings (an action day's) it costs about what adding them did.
func (s *Screener) Verdicts() []Verdict {
	p := s.c.Package
	rings := s.describe(func(int32) bool { return true })
	out := make([]Verdict, s.n)
	for i := range s.n {
		r := s.rec(i)
		g := rings[s.find(i)]
		total := r.score + g.Score
		out[i] = Verdict{ID: r.id, Score: round3(total), Fired: r.fired, Ring: g, Flagged: total >= p.Threshold-1e-9}
	}
	return out
}

// describe returns the rings of the bookings that want says are worth
// describing, by root, with their size and spread counted at the end.
func (s *Screener) describe(want func(i int32) bool) map[int32]*Ring {
	rings := map[int32]*Ring{}
	for i := range s.n {
		if want(i) {
			if root := s.find(i); rings[root] == nil {
				rings[root] = &Ring{ID: "ring-" + s.rec(root).id}
			}
		}
	}
	for i := range s.n {
		r := s.rec(i)
		g := rings[s.find(i)]
		if g == nil {
			continue
		}
		g.Size++
		cs, bs := s.cards[r.card], s.bookers[r.booker]
		g.CardTravellers = max(g.CardTravellers, int(cs.travellers.n))
		g.BookerTravellers = max(g.BookerTravellers, int(bs.travellers.n))
		g.CardAirlines = max(g.CardAirlines, int(cs.airlines.n))
	}
	for _, g := range rings {
		g.Score = g.score()
	}
	return rings
}

func orNone(reasons []string) string {
	if len(reasons) == 0 {
		return "no rule fired"
	}
	return strings.Join(slices.Clip(reasons), "; ")
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
