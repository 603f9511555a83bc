package transactions

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// Legitimate behaviour.
const (
	agencyShare      = 0.08 // bookings made by travel agencies
	agencyLastMinute = 0.15 // of agency bookings, booked less than two days ahead
	familyTrip       = 0.03 // chance a booking starts a family trip (household of 3 or more)
	minFamily        = 3    // fewest travellers on a family trip
	businessTrip     = 0.02 // bookings that are last-minute business trips
	businessIPAway   = 0.3  // ... booked from the destination country
	abroadShare      = 0.03 // bookings made by a traveller staying far abroad
	abroadLastMinute = 0.25 // ... of them for a flight within two days
	familyPays       = 0.6  // chance the household head pays for a member's trip
	ipHome           = 0.9  // the payer books from home, else from the country of departure
	webShare         = 0.63 // of bookings made by customers themselves
	mobileShare      = 0.33 // the rest by call centre
	lastMinuteShare  = 0.05 // booked less than two days ahead
	leadMedianDays   = 35
	leadSpread       = 0.9
	minLeadDays      = 2
	maxLeadDays      = 330
	businessShare    = 0.07
	agencyBusiness   = 0.25
	outboundShare    = 0.55 // trips from home
	returnShare      = 0.30 // trips back home; the rest elsewhere
	destinationTries = 8
	deviceOwn        = 0.8 // a customer books on their own device, else on the household head's
)

// Hard negatives: legitimate bookings that meet some of the action-day
// criteria, as negatives.jsonl names them.
const (
	TravelAgent        = "travel-agent"
	Family             = "family"
	LastMinuteBusiness = "last-minute-business"
	Abroad             = "abroad"
)

// negativeKinds are the hard-negative kinds by number; 0 is none.
var negativeKinds = [...]string{"", TravelAgent, Family, LastMinuteBusiness, Abroad}

const (
	negNone = iota
	negTravelAgent
	negFamily
	negBusiness
	negAbroad
)

// legit generates the bookings of the population.
type legit struct {
	t     *tables
	pop   *population
	r     *rand.Rand
	times ordered
	hub   [2]int // the two busiest airports, for the rare route that finds nothing
	trip  groupTrip
}

// groupTrip is a family trip being booked: the household head buys one
// ticket per member in consecutive bookings, for the same flight.
type groupTrip struct {
	left         int // tickets still to buy
	next         int // the next member to get one
	payer        int
	origin, dest int
	dist         float64
	departure    int64
	ipCountry    int
	ip           uint32
	device       []byte
	channel      int
	airline      int
}

func newLegit(t *tables, pop *population, r *rand.Rand, times ordered) *legit {
	g := &legit{t: t, pop: pop, r: r, times: times}
	order := make([]int, len(t.airports))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.airports[b].weight, t.airports[a].weight) })
	g.hub = [2]int{order[0], order[1]}
	return g
}

// fill completes b, whose booked time is set, with a legitimate booking,
// and returns its hard-negative kind (negNone for an ordinary booking).
func (g *legit) fill(b *booking) int {
	if g.trip.left > 0 {
		g.familyTicket(b)
		return negFamily
	}
	t, p, r := g.t, g.pop, g.r
	trav := r.IntN(len(p.head))
	x := r.Float64()
	switch {
	case x < agencyShare:
		g.agency(b, trav)
		return negTravelAgent
	case x < agencyShare+familyTrip:
		if first, n := p.household(trav); n >= minFamily {
			g.startFamily(b, first, n)
			return negFamily
		}
	case x < agencyShare+familyTrip+businessTrip:
		g.business(b, trav)
		return negBusiness
	case x < agencyShare+familyTrip+businessTrip+abroadShare:
		if g.abroad(b, trav) {
			return negAbroad
		}
	}
	var dist float64
	b.origin, b.dest, dist = g.route(int(p.airport[trav]))
	b.traveller = p.person(trav, slotName)
	payer := trav
	if h := int(p.head[trav]); h != trav && r.Float64() < familyPays {
		payer = h
	}
	g.payer(b, payer)
	if r.Float64() < ipHome {
		b.ipCountry, b.ip = int(p.home[payer]), p.ip[payer]
	} else {
		b.ipCountry = t.airports[b.origin].country
		b.ip = randomIP(t, b.ipCountry, r)
	}
	business := r.Float64() < businessShare
	lead := g.lead(lastMinuteShare)
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, business, r)
	b.airline = t.sellAirline(b.origin, b.dest, r)
	return negNone
}

// payer sets the cardholder, card, account, BIN, channel and device of a
// booking paid by person i.
func (g *legit) payer(b *booking, i int) {
	p, r := g.pop, g.r
	b.cardholder, b.card, b.booker = p.person(i, slotName), p.person(i, slotCard), p.person(i, slotBooker)
	b.bin = int(p.bin[i])
	b.device = p.person(i, slotDevice)
	if r.Float64() >= deviceOwn {
		b.device = p.person(int(p.head[i]), slotDevice)
	}
	switch x := r.Float64(); {
	case x < webShare:
		b.channel = chanWeb
	case x < webShare+mobileShare:
		b.channel = chanMobile
	default:
		b.channel = chanCallCentre
	}
}

// lead draws the time from booking to departure, last-minute (two to 48
// hours) with chance lastMinute, otherwise days to months.
func (g *legit) lead(lastMinute float64) int64 {
	r := g.r
	if r.Float64() < lastMinute {
		return lastMinuteLead(r)
	}
	days := leadMedianDays * math.Exp(leadSpread*r.NormFloat64())
	return int64(min(maxLeadDays, max(minLeadDays, days)) * 86400)
}

// lastMinuteLead draws a lead time from two hours to just under 48, so
// that the departure slot falls within FraudLead of the booking.
func lastMinuteLead(r *rand.Rand) int64 {
	return 2*3600 + r.Int64N(46*3600-fiveMinutes)
}

// agency books a trip for trav through a travel agency of their country,
// on its corporate card from one of its office's devices.
func (g *legit) agency(b *booking, trav int) {
	t, p, r := g.t, g.pop, g.r
	var dist float64
	b.origin, b.dest, dist = g.route(int(p.airport[trav]))
	b.traveller = p.person(trav, slotName)
	a := p.agencyFor(int(p.home[trav]), r)
	b.cardholder, b.card, b.booker = p.agency(a, slotName), p.agency(a, slotCard), p.agency(a, slotBooker)
	b.bin, b.ipCountry, b.ip = int(p.agencyBin[a]), int(p.agencyCountry[a]), p.agencyIP[a]
	b.device = p.agencyDevice(a, r.IntN(agencyDevices))
	b.channel = chanTravelAgent
	business := r.Float64() < agencyBusiness
	lead := g.lead(agencyLastMinute)
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, business, r)
	b.airline = t.sellAirline(b.origin, b.dest, r)
}

// startFamily begins a family trip for the n members of the household
// starting at first, and books its first ticket.
func (g *legit) startFamily(b *booking, first, n int) {
	t, p, r := g.t, g.pop, g.r
	f := &g.trip
	f.left, f.next, f.payer = n, first, first
	f.origin, f.dest, f.dist = g.route(int(p.airport[first]))
	g.payer(b, first)
	f.device, f.channel = b.device, b.channel
	f.ipCountry, f.ip = int(p.home[first]), p.ip[first]
	f.departure = departAfter(b.booked, g.lead(lastMinuteShare))
	f.airline = t.sellAirline(f.origin, f.dest, r)
	g.familyTicket(b)
}

// familyTicket books the next member's ticket on the family trip.
func (g *legit) familyTicket(b *booking) {
	t, p, f := g.t, g.pop, &g.trip
	b.traveller = p.person(f.next, slotName)
	b.cardholder, b.card, b.booker = p.person(f.payer, slotName), p.person(f.payer, slotCard), p.person(f.payer, slotBooker)
	b.bin = int(p.bin[f.payer])
	b.device, b.channel = f.device, f.channel
	b.ipCountry, b.ip = f.ipCountry, f.ip
	b.origin, b.dest, b.airline = f.origin, f.dest, f.airline
	b.departure = max(f.departure, departAfter(b.booked, 2*3600))
	b.cents = fareCents(t, b.origin, f.dist, b.departure-b.booked, false, g.r)
	f.next++
	f.left--
}

// business books a last-minute business trip: trav pays for themselves,
// from home or from the destination country.
func (g *legit) business(b *booking, trav int) {
	t, p, r := g.t, g.pop, g.r
	var dist float64
	b.origin, b.dest, dist = g.route(int(p.airport[trav]))
	b.traveller = p.person(trav, slotName)
	g.payer(b, trav)
	if r.Float64() < businessIPAway {
		b.ipCountry = t.airports[b.dest].country
		b.ip = randomIP(t, b.ipCountry, r)
	} else {
		b.ipCountry, b.ip = int(p.home[trav]), p.ip[trav]
	}
	lead := lastMinuteLead(r)
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, true, r)
	b.airline = t.sellAirline(b.origin, b.dest, r)
}

// abroad books a trip for trav, who pays for it while staying in a country
// far from their card's and from both airports (on holiday, on a posting);
// it reports false, leaving b for an ordinary booking, when the trip drawn
// has no such country.
func (g *legit) abroad(b *booking, trav int) bool {
	t, p, r := g.t, g.pop, g.r
	origin, dest, dist := g.route(int(p.airport[trav]))
	binCountry := t.bins[p.bin[trav]].country
	ok := func(c int) bool {
		return t.countryFar(binCountry, c) && t.airportFar(c, origin) && t.airportFar(c, dest)
	}
	stay := -1
	for range destinationTries {
		if c := t.homes.draw(r); ok(c) {
			stay = c
			break
		}
	}
	if stay < 0 {
		return false
	}
	b.origin, b.dest = origin, dest
	b.traveller = p.person(trav, slotName)
	g.payer(b, trav)
	b.device = p.person(trav, slotDevice) // they travel with their own
	b.ipCountry = stay
	b.ip = randomIP(t, stay, r)
	lead := g.lead(abroadLastMinute)
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, r.Float64() < businessShare, r)
	b.airline = t.sellAirline(b.origin, b.dest, r)
	return true
}

// route picks a trip for someone living near home: out, back, or onwards.
func (g *legit) route(home int) (origin, dest int, dist float64) {
	switch x := g.r.Float64(); {
	case x < outboundShare:
		origin = home
		dest, dist = g.destination(origin)
	case x < outboundShare+returnShare:
		dest = home
		origin, dist = g.destination(dest)
	default:
		origin = g.t.anyAirport.draw(g.r)
		dest, dist = g.destination(origin)
	}
	return origin, dest, dist
}

// destination picks where a trip from (or to) airport a goes: at home in
// countries that fly domestically, otherwise anywhere, busy airports first.
func (g *legit) destination(a int) (int, float64) {
	t, r := g.t, g.r
	c := t.airports[a].country
	for range destinationTries {
		var d int
		if r.Float64() < t.domestic[c] {
			d = t.countries[c].airports[t.countryAirports[c].draw(r)]
		} else {
			d = t.anyAirport.draw(r)
		}
		if dist := km(t.airports[a].p, t.airports[d].p); d != a && dist >= minRouteKm {
			return d, dist
		}
	}
	d := g.hub[0]
	if d == a {
		d = g.hub[1]
	}
	return d, km(t.airports[a].p, t.airports[d].p)
}
