package transactions

import (
	"math"
	"math/rand/v2"
)

// Fares, in US dollars before conversion to the currency of sale.
const (
	fareBase       = 45    // taxes and fees
	farePerKm      = 0.085 // economy, per great-circle kilometre
	fareSpread     = 0.25  // log-normal noise
	lastMinuteRise = 0.9   // how much dearer a ticket bought at departure is
	lastMinuteDays = 4     // how fast the rise fades with lead time
	businessFactor = 3.2
	minRouteKm     = 150 // shorter hops are not flown
	fiveMinutes    = 300
)

// fareCents returns the price of a ticket sold in origin's country, in
// hundredths of that country's currency.
func fareCents(t *tables, origin int, dist float64, lead int64, business bool, r *rand.Rand) int64 {
	usd := (fareBase + farePerKm*dist) * math.Exp(fareSpread*r.NormFloat64())
	if lead < 10*lastMinuteDays*86400 { // beyond, the rise is under 0.01%
		usd *= 1 + lastMinuteRise*math.Exp(-float64(lead)/(lastMinuteDays*86400))
	}
	if business {
		usd *= businessFactor
	}
	return int64(usd*t.countries[t.airports[origin].country].perUSD*100 + 0.5)
}

// departAfter returns the first departure slot (on five minutes) after
// booked+lead.
func departAfter(booked, lead int64) int64 {
	return (booked + lead + fiveMinutes) / fiveMinutes * fiveMinutes
}
