// Package transactions generates the "transactions" scenario: airline
// card-not-present bookings with injected fraud rings and labelled hard
// negatives, in the shape of the data screened on the airline action days
// that Europol coordinates with airlines, card schemes and police.
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
// sale, taken as the country of departure), channel (web, mobile-app,
// call-centre, travel-agent), airline and device:
//
//	{"id":"BKYPCXCWGS","booked":"2026-11-02T00:00:22Z","departure":"2026-11-27T09:30:00Z","origin":"PMI","destination":"FCO","origin_country":"ES","destination_country":"IT","card_bin":"512060","bin_country":"IT","ip_country":"IT","client_ip":"58.84.236.5","cardholder":"2792…a869","traveller":"2792…a869","booker":"a7db…2990","card":"3f66…9832","amount":"109.70","currency":"EUR","channel":"call-centre","airline":"AZ","device":"5c63…1d8a"}
//
// (hashes shortened here; they are 64 hex digits). airline is the IATA
// designator of the carrier that sold the booking, from a fixed table of
// 149 airlines (data/airlines.tsv: flag carriers, low-cost carriers with
// their networks, and three global carriers, EK, QR and TK, that sell
// everywhere). The seller plausibly serves the trip: it serves the origin
// country, or it serves the destination country and the flight is
// international. Domestic flights are sold by the country's own carriers
// and the low-cost carriers of its network; 30% of international ones by a
// carrier of the destination country, when it has one in the table. device
// is the hex SHA-256 of the buyer's
// device fingerprint: a household shares one to three devices, a
// travel-agency office has four, a short ring three to six, a long ring
// one or two.
//
// truth.jsonl holds one "fraud-ring" line per fraudulent booking: entity is
// the booking id, id the ring ("ring-3"), start and end the booking time,
// and detail {"ring": the ring id, "ring_kind": "short" or "long",
// "airlines": how many airlines the booking's card is used on ("1" for a
// short ring's card, "2" to "4" for a long ring's)}.
//
// negatives.jsonl holds one line per hard-negative booking, in booking
// order: {"booking": its id, "kind": "travel-agent", "family",
// "last-minute-business" or "abroad"}. A booking has at most one kind; no
// hard negative is in truth.jsonl.
//
// # Legitimate traffic
//
// A bounded population of customers (households of one to six sharing a
// surname, a home airport, a home network and a few devices) and travel
// agencies books flights out of and back to their home airports, weighted
// towards hubs, domestically in big countries. Lead times are mostly days
// to months (log-normal, median about five weeks); 5% of ordinary bookings
// are last-minute. The household head often pays for a member's trip. The
// client address is the payer's home network (90%) or in the country of
// departure. Fares follow the great-circle distance and rise close to
// departure. Bookings follow a daily and weekly rhythm.
//
// # Hard negatives
//
// Legitimate bookings that meet some of the action-day criteria (below),
// by kind, with their shares of the legitimate bookings and how often they
// meet each criterion, as measured on the default scenario (seed 1; the
// tests check ranges around them):
//   - travel-agent (7.6%): an agency books for a traveller of its country
//     on its corporate card and account, from its office's network and
//     devices. The cardholder is never the traveller (100%), the card and
//     account book for many travellers (99.9%), and 14% are last-minute;
//     the address is in the card's country, never far.
//   - family (7.5%): the household head pays for the whole household,
//     three to six travellers, in consecutive bookings on one card, device
//     and address for the same flight. Not the cardholder 76% (all but the
//     head's own ticket), many travellers 78%, last-minute 5%, far address
//     0.4% (a foreign-issued card and a trip away from home).
//   - last-minute-business (2.0%): a traveller pays for their own business
//     trip departing in two to 48 hours, from home (70%) or from the
//     destination country. Last-minute 100%, not the cardholder never, far
//     address 0.2%, many travellers 6.5%.
//   - abroad (2.8%): a traveller pays for their own trip from a country
//     far from their card's country and from both airports, where they are
//     staying. Far address 100%, last-minute 24%, not the cardholder never,
//     many travellers 7%.
//
// No hard negative meets all criteria at once in the default scenario; all
// legitimate bookings together, 2 in 97,000.
//
// # Fraud rings
//
// A ring works from one country, through a few proxies, with one to three
// booking accounts and compromised cards (some belonging to customers of
// the population, others not) whose BINs come from various countries. Each
// card buys tickets for at least MinCardUses different travellers before
// it is dropped, on airlines with a network far from the ring's country.
// There are two kinds:
//   - short (3 rings in 5): works for three to eight days, with one to
//     three cards at a time, each used within hours on one airline, and
//     hides behind two to five addresses and three to six devices.
//   - long (LongRingShare, 2 rings in 5; none when fewer than two rings):
//     works for MinLongDays to MaxLongDays days (two to six weeks, cut at
//     the end of the scenario) in bursts, on about half of its days; it
//     holds all its cards from the start and spreads each card's uses over
//     its whole life, so a card is reused over weeks with gaps (a median of
//     about two weeks), taking MinCardAirlines to MaxCardAirlines airlines
//     in turn; it keeps one or two addresses and one or two devices.
//
// Every fraudulent booking, of either kind, meets all the criteria of the
// action days (none is relaxed for long rings):
//   - departure less than FraudLead after the purchase;
//   - the client address's country differs from the card's BIN country and
//     from both airports' countries, and its centre is at least FarKm from
//     the BIN country's centre and from both airports;
//   - the cardholder is not the traveller;
//   - the account and the card book for many different travellers.
//
// Legitimate bookings rarely meet all of them at once, so a rule that
// combines them finds the rings with few false alarms; the hard negatives
// are what a rule on fewer criteria trips on.
//
// # Sizes
//
// --count bookings (default 100,000) over a span of count/7,000 days,
// between 42 and 366 (so a long ring fits). FraudShare of them (3%: 3,000
// by default) are fraudulent, in rings of about 600 bookings (5 by
// default, 2 of them long). The population holds count/3 customers,
// between 1,024 and 65,536, and 32 to 512 agencies, in at most 18 MB.
// Beyond that, memory grows only with the rings at work at once: a long
// ring keeps all its cards and an hourly schedule for its life, about 85 KB
// allocated for the largest (840 bookings, 42 days; a short ring, a few
// KB). Rings overlap in proportion to count/span, so at MaxCount about
// 1,600 long rings overlap, some 140 MB. TestConstantMemory measures 31 MB
// allocated in all for 200,000 bookings and 35 MB for 400,000.
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
		Summary:  "airline card-not-present bookings with short and long fraud rings and hard negatives (bookings.jsonl, negatives.jsonl; --count, default 100,000)",
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
