package transactions

import (
	_ "embed"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"sync"

	"fusion/internal/intel"
)

// The airports table is a subset of the world's major passenger airports:
// public facts (IATA code, country, reference-point coordinates rounded to
// 0.01°) with a weight approximating annual passengers in millions, which
// makes hubs busier than regional airports.
//
//go:embed data/airports.tsv
var airportsTSV string

// The countries table gives each country's approximate geographic centre,
// the ISO 4217 currency its airline sites price in, and an approximate
// exchange rate; a subset of the world.
//
//go:embed data/countries.tsv
var countriesTSV string

// airport is one row of the airports table.
type airport struct {
	code    string
	country int // index into tables.countries
	lat     float64
	lon     float64
	weight  float64
	p       vec3
}

// country is one row of the countries table.
type country struct {
	code     string
	lat      float64
	lon      float64
	currency string
	perUSD   float64
	p        vec3
	weight   float64 // sum of its airports' weights: how much it flies
	airports []int   // indexes into tables.airports
	bins     []int   // indexes into tables.bins
	block    uint32  // the /16 its synthetic client addresses come from
}

// bin is a card issuer identification number and the country of its issuer.
type bin struct {
	code    [6]byte
	country int
}

// tables are the parsed reference tables with what generation derives from
// them once.
type tables struct {
	airports  []airport
	countries []country
	bins      []bin
	airportOf map[string]int
	countryOf map[string]int

	anyAirport      alias   // all airports by weight
	countryAirports []alias // per country, its airports by weight
	homes           alias   // countries by how much they fly
	households      alias   // household sizes less one
	domestic        []float64
	// far[c] lists the airports at least FarKm from country c's centre
	// and outside it; farCountries[c] the countries whose centres are.
	far          [][]int32
	farCountries [][]int32

	airlines []airline
	// Per country, the airlines that sell its flights (sellers), its
	// domestic flights (domestic), and that are based there (home), each
	// as a list of indexes into airlines and a sampler over the list.
	sellers, domesticSellers, homeCarriers []alias
	sellerList, domesticList, homeList     [][]int32
	// airlineAirports[a] lists the airports in airline a's network.
	airlineAirports [][]int32
}

// householdSizes are the chances of a household of 1, 2, ... people.
var householdSizes = []float64{0.33, 0.30, 0.15, 0.13, 0.06, 0.03}

// loadTables parses the embedded tables once.
var loadTables = sync.OnceValues(func() (*tables, error) {
	return buildTables(airportsTSV, countriesTSV, airlinesTSV)
})

func buildTables(airportsText, countriesText, airlinesText string) (*tables, error) {
	t := &tables{airportOf: map[string]int{}, countryOf: map[string]int{}}
	if err := t.parseCountries(countriesText); err != nil {
		return nil, err
	}
	if err := t.parseAirports(airportsText); err != nil {
		return nil, err
	}
	if len(t.airports) < 2 {
		return nil, fmt.Errorf("transactions: airports table: need at least 2 airports, have %d", len(t.airports))
	}
	if len(t.countries) > 256 {
		return nil, fmt.Errorf("transactions: countries table: %d countries, at most 256 get address blocks", len(t.countries))
	}
	if err := t.parseAirlines(airlinesText); err != nil {
		return nil, err
	}
	if err := t.derive(); err != nil {
		return nil, err
	}
	if err := t.deriveAirlines(); err != nil {
		return nil, err
	}
	return t, nil
}

// rows splits a tab-separated table into rows of at least n fields,
// skipping blank lines and # comments.
func rows(name, text string, n int, each func(line int, f []string) error) error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < n {
			return fmt.Errorf("transactions: %s line %d: %d fields, want %d", name, i+1, len(f), n)
		}
		if err := each(i+1, f); err != nil {
			return fmt.Errorf("transactions: %s line %d: %w", name, i+1, err)
		}
	}
	return nil
}

func parseCoord(lat, lon string) (float64, float64, error) {
	la, err := strconv.ParseFloat(lat, 64)
	if err != nil || la < -90 || la > 90 || math.IsNaN(la) {
		return 0, 0, fmt.Errorf("latitude %q: not a number in [-90, 90]", lat)
	}
	lo, err := strconv.ParseFloat(lon, 64)
	if err != nil || lo < -180 || lo > 180 || math.IsNaN(lo) {
		return 0, 0, fmt.Errorf("longitude %q: not a number in [-180, 180]", lon)
	}
	return la, lo, nil
}

func (t *tables) parseCountries(text string) error {
	return rows("countries table", text, 5, func(_ int, f []string) error {
		cc := f[0]
		if !intel.IsCountry(cc) {
			return fmt.Errorf("country %q: not an ISO 3166-1 alpha-2 code", cc)
		}
		if _, dup := t.countryOf[cc]; dup {
			return fmt.Errorf("country %s: listed twice", cc)
		}
		lat, lon, err := parseCoord(f[1], f[2])
		if err != nil {
			return err
		}
		cur := f[3]
		if len(cur) != 3 || strings.ToUpper(cur) != cur || strings.Trim(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("currency %q: not an ISO 4217 code", cur)
		}
		rate, err := strconv.ParseFloat(f[4], 64)
		if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
			return fmt.Errorf("rate %q: not a positive number", f[4])
		}
		t.countryOf[cc] = len(t.countries)
		t.countries = append(t.countries, country{code: cc, lat: lat, lon: lon, currency: cur, perUSD: rate, p: toVec(lat, lon)})
		return nil
	})
}

func (t *tables) parseAirports(text string) error {
	return rows("airports table", text, 5, func(_ int, f []string) error {
		code := f[0]
		if len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("airport %q: not an IATA code", code)
		}
		if _, dup := t.airportOf[code]; dup {
			return fmt.Errorf("airport %s: listed twice", code)
		}
		c, ok := t.countryOf[f[1]]
		if !ok {
			return fmt.Errorf("airport %s: country %q is not in the countries table", code, f[1])
		}
		lat, lon, err := parseCoord(f[2], f[3])
		if err != nil {
			return err
		}
		w, err := strconv.ParseFloat(f[4], 64)
		if err != nil || !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("airport %s: weight %q: not a positive number", code, f[4])
		}
		i := len(t.airports)
		t.airportOf[code] = i
		t.airports = append(t.airports, airport{code: code, country: c, lat: lat, lon: lon, weight: w, p: toVec(lat, lon)})
		t.countries[c].airports = append(t.countries[c].airports, i)
		t.countries[c].weight += w
		return nil
	})
}

// derive builds the samplers, BINs, address blocks and distance lists.
func (t *tables) derive() error {
	weights := make([]float64, len(t.airports))
	for i, a := range t.airports {
		weights[i] = a.weight
	}
	var err error
	if t.anyAirport, err = newAlias(weights); err != nil {
		return fmt.Errorf("transactions: airports: %w", err)
	}
	t.countryAirports = make([]alias, len(t.countries))
	t.domestic = make([]float64, len(t.countries))
	cw := make([]float64, len(t.countries))
	for c := range t.countries {
		co := &t.countries[c]
		cw[c] = co.weight
		if len(co.airports) == 0 {
			continue
		}
		w := make([]float64, len(co.airports))
		maxKm := 0.0
		for j, a := range co.airports {
			w[j] = t.airports[a].weight
			for _, b := range co.airports[j+1:] {
				maxKm = max(maxKm, km(t.airports[a].p, t.airports[b].p))
			}
		}
		if t.countryAirports[c], err = newAlias(w); err != nil {
			return fmt.Errorf("transactions: airports of %s: %w", co.code, err)
		}
		// Big countries with many airports fly much of their traffic at
		// home; small ones hardly any.
		n := float64(len(co.airports))
		t.domestic[c] = 0.8 * (1 - math.Exp(-(n-1)/10)) * min(1, maxKm/2000)
	}
	if t.homes, err = newAlias(cw); err != nil {
		return fmt.Errorf("transactions: countries: %w", err)
	}
	if t.households, err = newAlias(householdSizes); err != nil {
		return fmt.Errorf("transactions: household sizes: %w", err)
	}
	if err := t.assignBINs(); err != nil {
		return err
	}
	t.assignBlocks()
	t.far = make([][]int32, len(t.countries))
	t.farCountries = make([][]int32, len(t.countries))
	for c := range t.countries {
		for i := range t.airports {
			if t.airportFar(c, i) {
				t.far[c] = append(t.far[c], int32(i))
			}
		}
		for d := range t.countries {
			if t.countryFar(c, d) {
				t.farCountries[c] = append(t.farCountries[c], int32(d))
			}
		}
	}
	return nil
}

// airportFar reports whether airport a is outside country c and at least
// FarKm from its centre.
func (t *tables) airportFar(c, a int) bool {
	return t.airports[a].country != c && km(t.countries[c].p, t.airports[a].p) >= FarKm
}

// countryFar reports whether countries c and d differ and their centres are
// at least FarKm apart.
func (t *tables) countryFar(c, d int) bool {
	return c != d && km(t.countries[c].p, t.countries[d].p) >= FarKm
}

// assignBINs gives every country a few fictional six-digit BINs, Visa-like
// (4xxxxx) or Mastercard-like (51xxxx to 55xxxx): more for countries that
// fly more. They are derived from the country code alone, so the same
// country always has the same BINs.
func (t *tables) assignBINs() error {
	seen := map[[6]byte]bool{}
	for c := range t.countries {
		co := &t.countries[c]
		n := min(8, 1+int(math.Log2(1+co.weight)))
		for j := 0; j < n; j++ {
			for attempt := 0; ; attempt++ {
				if attempt == 1000 {
					return fmt.Errorf("transactions: no free BIN for %s", co.code)
				}
				h := fnv.New64a()
				fmt.Fprintf(h, "%s/%d/%d", co.code, j, attempt)
				b := binDigits(h.Sum64())
				if seen[b] {
					continue
				}
				seen[b] = true
				co.bins = append(co.bins, len(t.bins))
				t.bins = append(t.bins, bin{code: b, country: c})
				break
			}
		}
	}
	return nil
}

func binDigits(h uint64) [6]byte {
	var b [6]byte
	rest := 1
	if h&1 == 0 {
		b[0] = '4'
	} else {
		b[0], b[1] = '5', byte('1'+(h>>1)%5)
		rest = 2
	}
	h >>= 8
	for i := rest; i < 6; i++ {
		b[i] = byte('0' + h%10)
		h /= 10
	}
	return b
}

// assignBlocks gives every country its own /16 of public unicast space for
// synthetic client addresses. The blocks are fictional: they do not follow
// any registry's allocation.
func (t *tables) assignBlocks() {
	var firsts []uint32
	for o := uint32(1); o <= 223; o++ {
		switch o {
		case 10, 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		firsts = append(firsts, o)
	}
	for c := range t.countries {
		first := firsts[(c*13+5)%len(firsts)]
		second := uint32(c*71+17) & 0xff // 71 is odd: distinct for c < 256
		t.countries[c].block = first<<24 | second<<16
	}
}
