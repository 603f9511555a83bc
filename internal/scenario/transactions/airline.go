package transactions

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The airlines table lists passenger airlines by IATA designator with their
// home country and network; see the comment at its top.
//
//go:embed data/airlines.tsv
var airlinesTSV string

// Airline kinds, as the airlines table names them.
const (
	airlineFlag    = "flag"
	airlineLowCost = "low-cost"
	airlineGlobal  = "global"
)

// Selling weights: how much of a country's traffic an airline of each kind
// sells there, relative to one another.
const (
	weightHomeFlag    = 6.0 // a flag carrier at home
	weightHomeLowCost = 4.0 // a low-cost carrier at home
	weightNetwork     = 1.5 // a carrier in a country of its network abroad
	weightGlobal      = 1.0 // a global carrier abroad
	destCarrier       = 0.3 // international trips sold by a carrier of the destination
)

// airline is one row of the airlines table.
type airline struct {
	code   string
	home   int // index into tables.countries
	kind   string
	all    bool   // serves every country
	serves []bool // per country, when not all: home or network
}

// servesCountry reports whether airline a has a network in country c.
func (a *airline) servesCountry(c int) bool { return a.all || a.serves[c] }

// plausible reports whether airline a plausibly sells a flight from origin
// country oc to destination country dc: it serves oc, or it serves dc and
// the flight is international (a carrier flies from its network to
// airports abroad and sells the tickets back).
func (a *airline) plausible(oc, dc int) bool {
	return a.servesCountry(oc) || oc != dc && a.servesCountry(dc)
}

func (t *tables) parseAirlines(text string) error {
	seen := map[string]bool{}
	global := false
	err := rows("airlines table", text, 4, func(_ int, f []string) error {
		code := f[0]
		if len(code) != 2 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" || code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' {
			return fmt.Errorf("airline %q: not an IATA designator (two letters or digits, not both digits)", code)
		}
		if seen[code] {
			return fmt.Errorf("airline %s: listed twice", code)
		}
		seen[code] = true
		home, ok := t.countryOf[f[1]]
		if !ok {
			return fmt.Errorf("airline %s: home %q is not in the countries table", code, f[1])
		}
		a := airline{code: code, home: home, kind: f[2]}
		switch a.kind {
		case airlineFlag, airlineLowCost, airlineGlobal:
		default:
			return fmt.Errorf("airline %s: kind %q: not flag, low-cost or global", code, a.kind)
		}
		switch f[3] {
		case "*":
			a.all = true
			global = true
		case "-":
		default:
			a.serves = make([]bool, len(t.countries))
			for _, cc := range strings.Split(f[3], ",") {
				c, ok := t.countryOf[cc]
				if !ok {
					return fmt.Errorf("airline %s: network country %q is not in the countries table", code, cc)
				}
				a.serves[c] = true
			}
		}
		if !a.all {
			if a.serves == nil {
				a.serves = make([]bool, len(t.countries))
			}
			a.serves[home] = true
		}
		t.airlines = append(t.airlines, a)
		return nil
	})
	if err != nil {
		return err
	}
	if !global {
		return fmt.Errorf("transactions: airlines table: no global airline (serves *), so some countries would have no carrier")
	}
	return nil
}

// deriveAirlines builds, per country, the samplers of the airlines that
// sell its flights.
func (t *tables) deriveAirlines() error {
	n := len(t.countries)
	t.sellers = make([]alias, n)
	t.sellerList = make([][]int32, n)
	t.domesticSellers = make([]alias, n)
	t.domesticList = make([][]int32, n)
	t.homeCarriers = make([]alias, n)
	t.homeList = make([][]int32, n)
	t.airlineAirports = make([][]int32, len(t.airlines))
	for c := range n {
		var sw, dw, hw []float64
		for i := range t.airlines {
			a := &t.airlines[i]
			w := 0.0
			switch {
			case a.home == c && a.kind == airlineLowCost:
				w = weightHomeLowCost
			case a.home == c:
				w = weightHomeFlag
			case a.all:
				w = weightGlobal
			case a.serves[c]:
				w = weightNetwork
			default:
				continue
			}
			t.sellerList[c] = append(t.sellerList[c], int32(i))
			sw = append(sw, w)
			if a.home == c || !a.all {
				t.domesticList[c] = append(t.domesticList[c], int32(i))
				dw = append(dw, w)
			}
			if a.home == c {
				t.homeList[c] = append(t.homeList[c], int32(i))
				hw = append(hw, w)
			}
		}
		var err error
		if t.sellers[c], err = newAlias(sw); err != nil {
			return fmt.Errorf("transactions: airlines of %s: %w", t.countries[c].code, err)
		}
		if len(dw) > 0 {
			t.domesticSellers[c], _ = newAlias(dw)
		}
		if len(hw) > 0 {
			t.homeCarriers[c], _ = newAlias(hw)
		}
	}
	for i := range t.airlines {
		a := &t.airlines[i]
		for j := range t.airports {
			if a.servesCountry(t.airports[j].country) {
				t.airlineAirports[i] = append(t.airlineAirports[i], int32(j))
			}
		}
	}
	return nil
}

// sellAirline picks the airline that sells a flight from origin to dest:
// a carrier of the destination for some international trips, otherwise a
// carrier that sells in the origin country (on domestic flights, not a
// global carrier from abroad).
func (t *tables) sellAirline(origin, dest int, r *rand.Rand) int {
	oc, dc := t.airports[origin].country, t.airports[dest].country
	if oc != dc {
		if l := t.homeList[dc]; len(l) > 0 && r.Float64() < destCarrier {
			return int(l[t.homeCarriers[dc].draw(r)])
		}
	} else if l := t.domesticList[oc]; len(l) > 0 {
		return int(l[t.domesticSellers[oc].draw(r)])
	}
	return int(t.sellerList[oc][t.sellers[oc].draw(r)])
}
