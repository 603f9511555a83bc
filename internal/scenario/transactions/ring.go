package transactions

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Ring behaviour.
const (
	maxCardUses     = 14   // most travellers a card books for before it is dropped
	populationCards = 0.4  // compromised cards that belong to customers we also see
	ringBusiness    = 0.3  // rings like expensive tickets
	ringWeb         = 0.65 // the rest mobile app and call centre
	ringMobile      = 0.30
	ringAwake       = 0.15 // relative activity outside the ring's working hours
	ringTries       = 16
	minTravellers   = 16 // > maxCardUses, so a card always finds a new traveller
	maxTravellers   = 128
	longActiveDay   = 0.5  // chance a long ring works on a given day
	globalNetwork   = 0.25 // weight of a global airline's far airports for rings
)

// Ring kinds, as the truth's detail names them.
const (
	ShortRing = "short" // days, 1-3 cards at a time, one airline per card
	LongRing  = "long"  // weeks, every card reused over the ring's life on 2-4 airlines
)

// Long rings.
const (
	// LongRingShare is the share of rings that are long.
	LongRingShare = 0.4
	// MinLongDays and MaxLongDays bound a long ring's life in days.
	MinLongDays = 14
	MaxLongDays = 42
	// MinCardAirlines and MaxCardAirlines bound the airlines a long ring's
	// card is used on.
	MinCardAirlines = 2
	MaxCardAirlines = 4
)

// ring is one fraud ring at work: its proxies, accounts, the travellers it
// sells tickets to, and the compromised cards it is using.
type ring struct {
	id    string
	num   int
	r     *rand.Rand
	times ordered
	next  float64 // time of its next booking, seconds from the start
	left  int64   // bookings still to make
	long  bool

	airlines airlineChoice                          // airlines with a network far from the ring
	devices  []byte                                 // hexLen each
	details  [MaxCardAirlines + 1]map[string]string // truth detail by card airlines

	ipCountry  int
	ips        []uint32
	bookers    []byte // hexLen each
	travellers []byte // hexLen each, distinct
	unassigned int64  // bookings not yet given to a card
	cards      []ringCard
	cardsMade  uint64
}

// ringCard is a compromised card in use.
type ringCard struct {
	ids      []byte // cardholder then card, hexLen each
	bin      int
	booker   int
	left     int64
	used     []int // travellers it has booked for
	airlines []int // it is used on each in turn
	detail   map[string]string
}

func (c *ringCard) holder() []byte { return c.ids[:hexLen] }
func (c *ringCard) card() []byte   { return c.ids[hexLen:] }

// newRing sets up ring num for size bookings between start and start+dur
// seconds after the scenario start, at.
func newRing(t *tables, pop *population, h *hasher, r *rand.Rand, choices *airlineChoices, num int, long bool, at time.Time, start, dur float64, size int64) (*ring, error) {
	g := &ring{id: "ring-" + strconv.Itoa(num), num: num, r: r, left: size, unassigned: size, long: long}
	var err error
	if g.ipCountry, err = ringCountry(t, r); err != nil {
		return nil, err
	}
	if g.airlines, err = choices.far(t, g.ipCountry); err != nil {
		return nil, err
	}

	// The ring works in its own daytime, wherever that is.
	offset := int(math.Round(t.countries[g.ipCountry].lon / 15))
	// A long ring works in bursts: on about half of its days, always on
	// its first and last.
	hours := int(math.Ceil(dur / 3600))
	days := (hours + 23) / 24
	weights := make([]float64, hours)
	off := false
	for i := range weights {
		if long && i%24 == 0 {
			d := i / 24
			off = d > 0 && d < days-1 && r.Float64() >= longActiveDay
		}
		local := at.Add(time.Duration(start)*time.Second + time.Duration(i)*time.Hour).Hour()
		switch local = (local + offset + 24) % 24; {
		case off:
		case local >= 9:
			weights[i] = 1
		default:
			weights[i] = ringAwake
		}
	}
	g.times = newOrdered(weights, dur/float64(hours), start, size)

	// A short ring hides behind more proxies and devices; a long one
	// keeps using the same few for weeks.
	nips, ndev := 2+r.IntN(4), 3+r.IntN(4)
	if long {
		nips, ndev = 1+r.IntN(2), 1+r.IntN(2)
	}
	for range nips {
		g.ips = append(g.ips, randomIP(t, g.ipCountry, r))
	}
	g.devices = make([]byte, ndev*hexLen)
	for i := range ndev {
		h.identity(g.devices[i*hexLen:], "ring-device", uint64(num)<<8|uint64(i))
	}
	nb := 1 + r.IntN(3)
	g.bookers = make([]byte, nb*hexLen)
	for i := range nb {
		h.identity(g.bookers[i*hexLen:], "ring-account", uint64(num)<<8|uint64(i))
	}
	nt := int(min(maxTravellers, max(minTravellers, size/3)))
	g.travellers = make([]byte, 0, nt*hexLen)
	var name []byte
	var sum [hexLen]byte
	for len(g.travellers) < nt*hexLen {
		name = randomName(name[:0], r, r.IntN(len(surnames)))
		h.name(sum[:], name)
		if !g.hasTraveller(sum[:]) {
			g.travellers = append(g.travellers, sum[:]...)
		}
	}
	// A short ring uses one to three cards at a time; a long ring has all
	// its cards from the start and spreads every card's uses over its life.
	ncards := 1 + r.IntN(3)
	if long {
		ncards = int(size)
	}
	for range ncards {
		if g.unassigned == 0 {
			break
		}
		g.cards = append(g.cards, g.newCard(t, pop, h))
	}
	return g, nil
}

// ringCountry picks where a ring works from: any country far enough from
// some airports and card issuers. It is uniform, so that the scenario does
// not cast any country as a source of fraud.
func ringCountry(t *tables, r *rand.Rand) (int, error) {
	ok := func(c int) bool { return len(t.far[c]) >= 2 && len(t.farCountries[c]) > 0 }
	for range ringTries {
		if c := r.IntN(len(t.countries)); ok(c) {
			return c, nil
		}
	}
	from := r.IntN(len(t.countries))
	for i := range t.countries {
		if c := (from + i) % len(t.countries); ok(c) {
			return c, nil
		}
	}
	return 0, errors.New("no country is far enough from the airports to host a fraud ring")
}

func (g *ring) hasTraveller(h []byte) bool {
	for i := 0; i < len(g.travellers); i += hexLen {
		if bytes.Equal(g.travellers[i:i+hexLen], h) {
			return true
		}
	}
	return false
}

// newCard compromises a card for the ring's next bookings. Its BIN country
// is far from the ring's.
func (g *ring) newCard(t *tables, pop *population, h *hasher) ringCard {
	r := g.r
	uses := int64(MinCardUses + r.IntN(maxCardUses-MinCardUses+1))
	if g.unassigned-uses < MinCardUses {
		uses = g.unassigned
	}
	g.unassigned -= uses
	c := ringCard{ids: make([]byte, 2*hexLen), booker: r.IntN(len(g.bookers) / hexLen), left: uses}
	na, kind := 1, ShortRing
	if g.long {
		na, kind = MinCardAirlines+r.IntN(MaxCardAirlines-MinCardAirlines+1), LongRing
	}
	na = min(na, len(g.airlines.list))
	for len(c.airlines) < na {
		if a := g.airlines.draw(r); !slices.Contains(c.airlines, a) {
			c.airlines = append(c.airlines, a)
		}
	}
	if g.details[na] == nil {
		g.details[na] = map[string]string{"ring": g.id, "ring_kind": kind, "airlines": strconv.Itoa(na)}
	}
	c.detail = g.details[na]
	if r.Float64() < populationCards {
		for range ringTries {
			p := r.IntN(len(pop.head))
			if t.countryFar(g.ipCountry, t.bins[pop.bin[p]].country) {
				copy(c.ids, pop.person(p, slotName))
				copy(c.ids[hexLen:], pop.person(p, slotCard))
				c.bin = int(pop.bin[p])
				return c
			}
		}
	}
	issuer := -1
	for range ringTries {
		if x := t.homes.draw(r); t.countryFar(g.ipCountry, x) {
			issuer = x
			break
		}
	}
	if issuer < 0 {
		far := t.farCountries[g.ipCountry]
		issuer = int(far[r.IntN(len(far))])
	}
	c.bin = randomBIN(t, issuer, r)
	h.name(c.ids, randomName(nil, r, r.IntN(len(surnames))))
	h.identity(c.ids[hexLen:], "victim-card", uint64(g.num)<<24|g.cardsMade)
	g.cardsMade++
	return c
}

// fill completes b, whose booked time is set, with the ring's next booking,
// and returns the truth's detail for it.
func (g *ring) fill(t *tables, pop *population, h *hasher, b *booking) map[string]string {
	r := g.r
	ci := r.IntN(len(g.cards))
	c := &g.cards[ci]
	detail := c.detail
	tr := g.traveller(c)
	b.traveller = g.travellers[tr*hexLen : (tr+1)*hexLen]
	b.cardholder, b.card = c.holder(), c.card()
	b.booker = g.bookers[c.booker*hexLen : (c.booker+1)*hexLen]
	b.bin = c.bin
	b.ipCountry = g.ipCountry
	b.ip = g.ips[r.IntN(len(g.ips))]
	d := r.IntN(len(g.devices) / hexLen)
	b.device = g.devices[d*hexLen : (d+1)*hexLen]
	// The card takes its airlines in turn, so that it uses every one.
	b.airline = c.airlines[len(c.used)%len(c.airlines)]
	var dist float64
	b.origin, b.dest, dist = g.route(t, b.airline)
	lead := 3600 + r.Int64N(46*3600)
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, r.Float64() < ringBusiness, r)
	switch x := r.Float64(); {
	case x < ringWeb:
		b.channel = chanWeb
	case x < ringWeb+ringMobile:
		b.channel = chanMobile
	default:
		b.channel = chanCallCentre
	}

	c.used = append(c.used, tr)
	g.left--
	if c.left--; c.left == 0 {
		// The card is spent; the booking keeps its identities, which
		// newCard does not overwrite (it allocates).
		if g.unassigned > 0 {
			*c = g.newCard(t, pop, h)
		} else {
			g.cards = slices.Delete(g.cards, ci, ci+1)
		}
	}
	return detail
}

// traveller picks a traveller the card has not booked for and who is not
// its holder.
func (g *ring) traveller(c *ringCard) int {
	n := len(g.travellers) / hexLen
	ok := func(i int) bool {
		return !slices.Contains(c.used, i) && !bytes.Equal(g.travellers[i*hexLen:(i+1)*hexLen], c.holder())
	}
	for range ringTries {
		if i := g.r.IntN(n); ok(i) {
			return i
		}
	}
	from := g.r.IntN(n)
	for j := range n {
		if i := (from + j) % n; ok(i) {
			return i
		}
	}
	// Unreachable: a card books for at most maxCardUses < minTravellers
	// distinct travellers, and only one can share its holder's name.
	return from
}

// route picks a trip on airline a whose airports are both far from the
// ring's country: one end in a's network, the other anywhere far.
func (g *ring) route(t *tables, a int) (origin, dest int, dist float64) {
	r := g.r
	home := g.networkAirport(t, a)
	for range ringTries {
		other := g.farAirport(t)
		if dist = km(t.airports[home].p, t.airports[other].p); other != home && dist >= minRouteKm {
			return g.orient(home, other, dist)
		}
	}
	far := t.far[g.ipCountry]
	from := r.IntN(len(far))
	for j := range far {
		other := int(far[(from+j)%len(far)])
		if dist = km(t.airports[home].p, t.airports[other].p); other != home && dist >= minRouteKm {
			return g.orient(home, other, dist)
		}
	}
	for _, d := range far { // only airports close together are far: fly anyway
		if int(d) != home {
			return g.orient(home, int(d), km(t.airports[home].p, t.airports[d].p))
		}
	}
	return home, home, 0 // unreachable: ringCountry wants two far airports
}

// orient flies from the network airport or to it, as often.
func (g *ring) orient(network, other int, dist float64) (int, int, float64) {
	if g.r.IntN(2) == 0 {
		return network, other, dist
	}
	return other, network, dist
}

// networkAirport picks an airport of airline a's network far from the
// ring's country, busy ones first.
func (g *ring) networkAirport(t *tables, a int) int {
	if t.airlines[a].all {
		return g.farAirport(t)
	}
	list := t.airlineAirports[a]
	for range ringTries {
		if ap := int(list[g.r.IntN(len(list))]); t.airportFar(g.ipCountry, ap) {
			return ap
		}
	}
	from := g.r.IntN(len(list))
	for j := range list {
		if ap := int(list[(from+j)%len(list)]); t.airportFar(g.ipCountry, ap) {
			return ap
		}
	}
	return g.farAirport(t) // unreachable: the ring only uses airlines with far airports
}

// airlineChoice draws airlines with a network far from one country.
type airlineChoice struct {
	list []int32
	a    alias
}

func (c *airlineChoice) draw(r *rand.Rand) int { return int(c.list[c.a.draw(r)]) }

// airlineChoices caches, per ring country, the airlines a ring there can
// book on: those with airports far from it, weighted by those airports'
// traffic (a global airline's by globalNetwork of it, since it serves all).
type airlineChoices struct {
	byCountry map[int]*airlineChoice
}

func (cs *airlineChoices) far(t *tables, c int) (airlineChoice, error) {
	if ch, ok := cs.byCountry[c]; ok {
		return *ch, nil
	}
	ch := &airlineChoice{}
	var w []float64
	for i := range t.airlines {
		sum := 0.0
		for _, ap := range t.airlineAirports[i] {
			if t.airportFar(c, int(ap)) {
				sum += t.airports[ap].weight
			}
		}
		if t.airlines[i].all {
			sum *= globalNetwork
		}
		if sum > 0 {
			ch.list = append(ch.list, int32(i))
			w = append(w, sum)
		}
	}
	var err error
	if ch.a, err = newAlias(w); err != nil {
		return airlineChoice{}, fmt.Errorf("no airline flies far from %s: %w", t.countries[c].code, err)
	}
	if cs.byCountry == nil {
		cs.byCountry = map[int]*airlineChoice{}
	}
	cs.byCountry[c] = ch
	return *ch, nil
}

// farAirport picks an airport far from the ring's country, busy ones first.
func (g *ring) farAirport(t *tables) int {
	for range ringTries {
		if a := t.anyAirport.draw(g.r); t.airportFar(g.ipCountry, a) {
			return a
		}
	}
	far := t.far[g.ipCountry]
	return int(far[g.r.IntN(len(far))])
}

// ringHeap orders active rings by their next booking, then by number.
type ringHeap []*ring

func (h ringHeap) less(i, j int) bool {
	if h[i].next != h[j].next {
		return h[i].next < h[j].next
	}
	return h[i].num < h[j].num
}

func (h *ringHeap) push(g *ring) {
	*h = append(*h, g)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

// fix restores the order after the top ring's next time grew, or removes
// it when it has no bookings left.
func (h *ringHeap) fix() {
	s := *h
	if s[0].left == 0 {
		s[0] = s[len(s)-1]
		s[len(s)-1] = nil
		s = s[:len(s)-1]
		*h = s
	}
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if l+1 < len(s) && s.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			return
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
}
