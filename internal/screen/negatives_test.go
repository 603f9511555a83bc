package screen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// nb is a booking for the negatives below: from Paris to Rome on a French
// card from a French address unless changed.
func nb(id int, at time.Time, lead time.Duration, holder, traveller, booker, card string) Booking {
	return Booking{ID: fmt.Sprintf("BK%08d", id), Booked: at, Departure: at.Add(lead), Origin: "CDG", Destination: "FCO",
		OriginCountry: "FR", DestinationCountry: "IT", CardBIN: "497010", BINCountry: "FR", IPCountry: "FR",
		ClientIP: netip.MustParseAddr("192.0.2.1"), Cardholder: sha(holder), Traveller: sha(traveller), Booker: sha(booker),
		Card: sha(card), Amount: 200, Currency: "EUR", Channel: "web"}
}

// TestHardNegatives: legitimate patterns that meet some of the criteria are
// not flagged by the built-in package — a travel agency booking for many
// travellers on one card (also last-minute), a family on one card
// departing tomorrow, a traveller abroad buying a last-minute flight home
// for themself — while a ring's card used by one account from far away for
// five travellers is.
func TestHardNegatives(t *testing.T) {
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var bs []Booking
	id := 0
	add := func(b Booking) { bs = append(bs, b); id++ }
	// Agency: 40 travellers over 20 days, a third last-minute.
	for i := range 40 {
		lead := 30 * 24 * time.Hour
		if i%3 == 0 {
			lead = 20 * time.Hour
		}
		add(nb(id, start.Add(time.Duration(i)*12*time.Hour), lead, "AGENCY/CARD", fmt.Sprintf("T%d/X", i), "agency", "agency-card"))
	}
	// Family of five on the father's card, leaving tomorrow.
	for i := range 5 {
		add(nb(id, start.Add(time.Duration(i)*time.Minute), 30*time.Hour, "DUPONT/JEAN", fmt.Sprintf("DUPONT/%d", i), "dupont", "dupont-card"))
	}
	// Abroad: a French traveller in Thailand flies home tomorrow.
	b := nb(id, start, 20*time.Hour, "MARTIN/ANNE", "MARTIN/ANNE", "martin", "martin-card")
	b.IPCountry, b.ClientIP = "TH", netip.MustParseAddr("198.51.100.7")
	add(b)
	legit := len(bs)
	// A ring in Thailand on a French card: five travellers in two days.
	for i := range 5 {
		b := nb(id, start.Add(time.Duration(i)*8*time.Hour), 20*time.Hour, "VICTIM/ONE", fmt.Sprintf("MULE/%d", i), "ring", "stolen")
		b.IPCountry, b.ClientIP = "TH", netip.MustParseAddr("203.0.113.9")
		add(b)
	}
	c, err := Compile(Default())
	if err != nil {
		t.Fatal(err)
	}
	s := New(c, DefaultConfig())
	order := make([]int, len(bs))
	for i := range order {
		order[i] = i
	}
	// Screen in booking-time order.
	sortByTime(bs)
	for i := range bs {
		if _, err := s.Add(&bs[i]); err != nil {
			t.Fatal(err)
		}
	}
	flagged := map[string]bool{}
	for _, f := range s.Findings() {
		flagged[f.Entity] = true
	}
	for i := range id {
		want := i >= legit
		if got := flagged[fmt.Sprintf("BK%08d", i)]; got != want {
			t.Errorf("booking %d: flagged %v, want %v", i, got, want)
		}
	}
}

func sortByTime(bs []Booking) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Booked.Before(bs[j-1].Booked); j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}
