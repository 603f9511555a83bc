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
	familyPays       = 0.6  // chance the household head pays for a member's trip
	ipHome           = 0.85 // the payer books from home
	ipOrigin         = 0.09 // ... or from the country of departure
	webShare         = 0.63 // of bookings made by customers themselves
	mobileShare      = 0.33 // the rest by call centre
	lastMinuteShare  = 0.07 // booked less than two days ahead
	leadMedianDays   = 35
	leadSpread       = 0.9
	minLeadDays      = 2
	maxLeadDays      = 330
	businessShare    = 0.07
	agencyBusiness   = 0.25
	outboundShare    = 0.55 // trips from home
	returnShare      = 0.30 // trips back home; the rest elsewhere
	destinationTries = 8
)

// legit generates the bookings of the population.
type legit struct {
	t     *tables
	pop   *population
	r     *rand.Rand
	times ordered
	hub   [2]int // the two busiest airports, for the rare route that finds nothing
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

// fill completes b, whose booked time is set, with a legitimate booking.
func (g *legit) fill(b *booking) {
	t, p, r := g.t, g.pop, g.r
	trav := r.IntN(len(p.head))
	var dist float64
	b.origin, b.dest, dist = g.route(int(p.airport[trav]))
	b.traveller = p.person(trav, slotName)
	business := false
	if r.Float64() < agencyShare {
		a := p.agencyFor(int(p.home[trav]), r)
		b.cardholder, b.card, b.booker = p.agency(a, slotName), p.agency(a, slotCard), p.agency(a, slotBooker)
		b.bin, b.ipCountry, b.ip = int(p.agencyBin[a]), int(p.agencyCountry[a]), p.agencyIP[a]
		b.channel = chanTravelAgent
		business = r.Float64() < agencyBusiness
	} else {
		payer := trav
		if h := int(p.head[trav]); h != trav && r.Float64() < familyPays {
			payer = h
		}
		b.cardholder, b.card, b.booker = p.person(payer, slotName), p.person(payer, slotCard), p.person(payer, slotBooker)
		b.bin = int(p.bin[payer])
		switch x := r.Float64(); {
		case x < ipHome:
			b.ipCountry, b.ip = int(p.home[payer]), p.ip[payer]
		case x < ipHome+ipOrigin:
			b.ipCountry = t.airports[b.origin].country
			b.ip = randomIP(t, b.ipCountry, r)
		default:
			b.ipCountry = t.homes.draw(r)
			b.ip = randomIP(t, b.ipCountry, r)
		}
		switch x := r.Float64(); {
		case x < webShare:
			b.channel = chanWeb
		case x < webShare+mobileShare:
			b.channel = chanMobile
		default:
			b.channel = chanCallCentre
		}
		business = r.Float64() < businessShare
	}
	var lead int64
	if r.Float64() < lastMinuteShare {
		lead = 2*3600 + r.Int64N(46*3600)
	} else {
		days := leadMedianDays * math.Exp(leadSpread*r.NormFloat64())
		lead = int64(min(maxLeadDays, max(minLeadDays, days)) * 86400)
	}
	b.departure = departAfter(b.booked, lead)
	b.cents = fareCents(t, b.origin, dist, lead, business, r)
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
