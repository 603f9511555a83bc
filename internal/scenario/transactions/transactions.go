// Package transactions generates the "transactions" scenario: airline
// card-not-present bookings with injected fraud rings, in the shape of the
// data screened on the airline action days that Europol coordinates with
// airlines, card schemes and police.
//
// # Files
//
// bookings.jsonl holds one JSON object per booking, ordered by booking time,
// with keys in this order: id ("BK" and 8 base32 characters), booked and
// departure (RFC 3339 UTC), origin and destination (IATA airport codes),
// origin_country and destination_country, card_bin (6 digits), bin_country,
// ip_country (ISO 3166-1 alpha-2), client_ip, cardholder and traveller (hex
// SHA-256 of normalised names, SURNAME/GIVEN), booker (hex SHA-256 of the
// booking account), card (hex SHA-256 identifying the card: never a card
// number), amount (decimal, 2 places), currency (ISO 4217 of the point of
// sale, taken as the country of departure) and channel (web, mobile-app,
// call-centre, travel-agent).
//
// truth.jsonl holds one "fraud-ring" line per fraudulent booking: entity is
// the booking id, id the ring ("ring-3"), start and end the booking time.
//
// # Legitimate traffic
//
// A bounded population of customers (households sharing a surname, a home
// airport and a home network) and travel agencies books flights out of and
// back to their home airports, weighted towards hubs, domestically in big
// countries. Lead times are mostly days to months (log-normal, median about
// five weeks); a few percent are last-minute. The household head often pays
// for the family; agencies book on a corporate card for many travellers. The
// client address is mostly in the payer's home country, sometimes in the
// country of departure or elsewhere. Fares follow the great-circle distance
// and rise close to departure. Bookings follow a daily and weekly rhythm.
//
// # Fraud rings
//
// A ring works for several days from one country, through a few proxies,
// with one to three booking accounts and a succession of compromised cards
// (some belonging to customers of the population, others not) whose BINs
// come from various countries. Each card buys tickets for at least
// MinCardUses different travellers before it is dropped. Every fraudulent
// booking meets all the criteria of the action days:
//   - departure less than FraudLead after the purchase;
//   - the client address's country differs from the card's BIN country and
//     from both airports' countries, and its centre is at least FarKm from
//     the BIN country's centre and from both airports;
//   - the cardholder is not the traveller;
//   - the account and the card book for many different travellers.
//
// Legitimate bookings rarely meet all of them at once, so a rule that
// combines them finds the rings with few false alarms.
//
// # Sizes
//
// --count bookings (default 100,000) over a span of count/7,000 days,
// between 7 and 366. FraudShare of them (3%: 3,000 by default) are
// fraudulent, in rings of about 600 bookings (5 by default) that last up to
// 8 days each. The population holds count/3 customers, between 1,024 and
// 65,536, and memory does not grow with the count beyond that.
package transactions

import (
	"fmt"
	"time"

	"fusion/internal/scenario"
)

// Name is the scenario kind.
const Name = "transactions"

// Sizes and the fraud criteria.
const (
	// DefaultCount is the number of bookings unless asked otherwise.
	DefaultCount = 100_000
	// MaxCount is the most bookings a scenario may hold (about 600 GB).
	MaxCount = 1_000_000_000
	// FraudShare is the share of bookings that are fraudulent.
	FraudShare = 0.03
	// FarKm is how far, in kilometres, the client address's country must be
	// from the card's BIN country and from both airports to count as far.
	FarKm = 2500
	// FraudLead bounds the time from purchase to departure of a fraudulent
	// booking.
	FraudLead = 48 * time.Hour
	// MinCardUses is the fewest different travellers a ring's card books for.
	MinCardUses = 4
)

// Span and ring sizes.
const (
	bookingsPerDay = 7000
	minSpanDays    = 42
	maxSpanDays    = 366
	ringBookings   = 600 // average bookings per ring
	maxRingDays    = 8
)

func init() {
	scenario.Register(scenario.Kind{
		Name:     Name,
		Summary:  "airline card-not-present bookings with fraud rings (--count, default 100,000)",
		Defaults: defaults,
		Check:    check,
		Generate: generate,
	})
}

func defaults(p *scenario.Params) {
	if p.Count == 0 {
		p.Count = DefaultCount
	}
}

func check(p *scenario.Params) error {
	if p.Count < 1 {
		return fmt.Errorf("--count %d: transactions needs at least 1 booking", p.Count)
	}
	if p.Count > MaxCount {
		return fmt.Errorf("--count %d: transactions writes at most %d bookings", p.Count, MaxCount)
	}
	if y := p.Start.Year(); y < 1970 || y > 9000 {
		return fmt.Errorf("--start %s: transactions needs a start between 1970 and 9000", p.Start.Format("2006-01-02T15:04:05Z07:00"))
	}
	return nil
}

// spanDays is how many days count bookings cover.
func spanDays(count int64) int {
	return int(min(maxSpanDays, max(minSpanDays, (count+bookingsPerDay-1)/bookingsPerDay)))
}

// fraudPlan returns how many fraudulent bookings count bookings hold and
// in how many rings.
func fraudPlan(count int64) (fraud, rings int64) {
	fraud = int64(float64(count)*FraudShare + 0.5)
	if fraud < MinCardUses {
		return 0, 0
	}
	rings = max(1, (fraud+ringBookings/2)/ringBookings)
	rings = min(rings, fraud/MinCardUses)
	return fraud, rings
}
