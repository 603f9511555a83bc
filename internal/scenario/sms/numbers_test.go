package sms

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"fusion/internal/observable"
)

// TestRangesOfEveryRegion proves ranges for every region libphonenumber
// knows and checks numbers drawn from them — the first, the last and random
// ones — with fusion's canonicalizer: a wrong proof shows up as an invalid
// number.
func TestRangesOfEveryRegion(t *testing.T) {
	f, err := newRangeFinder()
	if err != nil {
		t.Fatal(err)
	}
	c, err := observable.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	rng := rand.New(rand.NewPCG(1, 2))
	found := 0
	for _, region := range regions {
		ranges, err := f.ranges(rng, region, 3, 3, 6)
		if err != nil {
			// Territories that share a calling code and number plan with a
			// larger neighbour (Åland, Vatican, ...) have no mobile range
			// of their own; they are not used.
			t.Logf("%s: %v", region, err)
			continue
		}
		found++
		for _, r := range ranges {
			if r.Region != region || r.Free < 3 || r.Free > 6 {
				t.Errorf("%s: range %+v", region, r)
			}
			suffixes := []uint64{0, r.Size() - 1}
			for range 20 {
				suffixes = append(suffixes, rng.Uint64N(r.Size()))
			}
			for _, s := range suffixes {
				n := string(r.appendNumber(nil, s))
				o, err := c.Parse(observable.Phone, n)
				if err != nil || o.Value != n || o.Region != region {
					t.Fatalf("%s: range %s (%d free): %s gives %+v, %v", region, r.Prefix, r.Free, n, o, err)
				}
			}
		}
	}
	if found < 220 {
		t.Errorf("ranges for %d regions, want nearly all", found)
	}
}

func TestRangesForEveryCountryAndTarget(t *testing.T) {
	f, err := newRangeFinder()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range countries {
		if _, err := f.ranges(rng, c.Region, minRanges, 3, 6); err != nil {
			t.Errorf("country %s: %v", c.Region, err)
		}
	}
	for _, tg := range targets {
		bs, err := f.ranges(rng, tg.Region, blocksPerLand, 3, 4)
		if err != nil || len(bs) < blocksPerLand {
			t.Errorf("target %s: %d blocks, %v", tg.Region, len(bs), err)
		}
	}
}

func TestNFA(t *testing.T) {
	tests := []struct {
		pattern        string
		fixed          string
		free           int
		constant, want bool
	}{
		{`7\d{3}`, "7", 3, true, true},
		{`7\d{3}`, "8", 3, true, false},
		{`7\d{3}`, "7", 4, true, false}, // too long
		{`7(?:0\d|1[0-4])\d`, "71", 2, false, false},
		{`7(?:0\d|1[0-4])\d`, "710", 1, true, true},
		{`2333[0-8]\d{3}|2(?:[0-24-9]\d\d|3(?:0[07]|[14-9]\d|2[02-9]|3[0-24-9]))\d{4}`, "2123", 4, true, true},
		{`2333[0-8]\d{3}|2(?:[0-24-9]\d\d|3(?:0[07]|[14-9]\d|2[02-9]|3[0-24-9]))\d{4}`, "2333", 4, false, false},
		{`(?:([457]\d{6})$|1)[0-9]*`, "201", 7, true, false}, // the anchor fails: ten digits
		{`(?:([457]\d{6})$|1)[0-9]*`, "4", 6, true, true},    // seven digits, the anchor holds
		{`(?:([457]\d{6})$|1)[0-9]*`, "1", 9, true, true},    // a leading 1
		{`(?:([457]\d{6})$|1)[0-9]*`, "45", 6, true, false},  // eight digits
	}
	for _, tt := range tests {
		m, err := compileNFA(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		constant, matches := m.constant(tt.fixed, tt.free)
		if constant != tt.constant || constant && matches != tt.want {
			t.Errorf("%s on %s + %d digits: constant %v matches %v, want %v %v", tt.pattern, tt.fixed, tt.free, constant, matches, tt.constant, tt.want)
		}
	}
}

func TestNFAPrefix(t *testing.T) {
	tests := []struct {
		pattern string
		fixed   string
		free    int
		want    bool
	}{
		{`0|80?`, "29", 7, false},
		{`0|80?`, "80", 7, true},
		{`0|80?`, "2", 1, false},
		{`0?(?:(11|2[23])?15)?`, "911", 8, false}, // only the empty prefix matches
		{`0?(?:(11|2[23])?15)?`, "111", 8, true},  // 1 then free digits "5..." can make "115"
		{`([457]\d{6})$`, "45", 5, true},
		{`([457]\d{6})$`, "45", 6, false},
	}
	for _, tt := range tests {
		m, err := compileNFA(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if got := m.matchesPrefix(tt.fixed, tt.free); got != tt.want {
			t.Errorf("%s on %s + %d digits: matches a prefix %v, want %v", tt.pattern, tt.fixed, tt.free, got, tt.want)
		}
	}
}

func TestRangeNumbers(t *testing.T) {
	r := numberRange{Prefix: "+3712812", Free: 4}
	if got := string(r.appendNumber(nil, 7)); got != "+37128120007" {
		t.Errorf("suffix 7: %s", got)
	}
	if got := string(r.appendNumber(nil, r.Size()-1)); got != "+37128129999" {
		t.Errorf("last: %s", got)
	}
}
