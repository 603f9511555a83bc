package screen

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The geography tables are copies of the transactions scenario's
// (internal/scenario/transactions/data): the same public facts, country
// centres and airport reference points rounded to 0.01°. They are copied,
// not imported, because a screening engine must not depend on the
// generator whose output it is measured against; a test checks the copies
// still equal the originals.
//
//go:embed data/countries.tsv
var countriesTSV string

//go:embed data/airports.tsv
var airportsTSV string

// earthKm is the mean radius of the Earth in kilometres.
const earthKm = 6371.0088

// point is a place on the unit sphere.
type point struct{ x, y, z float64 }

func toPoint(lat, lon float64) point {
	la, lo := lat*math.Pi/180, lon*math.Pi/180
	return point{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

// km is the great-circle distance between a and b.
func km(a, b point) float64 {
	d := a.x*b.x + a.y*b.y + a.z*b.z
	return earthKm * math.Acos(max(-1, min(1, d)))
}

// geo holds the country centres and airport reference points by code.
type geo struct {
	byCode    [26 * 26]int16 // country code: index into centres, -1 if none
	centres   []point
	countries map[string]point // ISO 3166-1 alpha-2
	airports  map[string]point // IATA
}

var world = mustGeo()

func mustGeo() *geo {
	g := &geo{countries: map[string]point{}, airports: map[string]point{}}
	if err := readTable(countriesTSV, 3, g.countries); err != nil {
		panic("screen: countries table: " + err.Error())
	}
	for i := range g.byCode {
		g.byCode[i] = -1
	}
	for c, p := range g.countries {
		g.byCode[int(c[0]-'A')*26+int(c[1]-'A')] = int16(len(g.centres))
		g.centres = append(g.centres, p)
	}
	if err := readTable(airportsTSV, 4, g.airports); err != nil {
		panic("screen: airports table: " + err.Error())
	}
	return g
}

// readTable reads tab-separated rows "code ... lat lon ..." where lat and
// lon are the columns after the code (countries) or after code and country
// (airports): latCol is 1 or 2 accordingly, given as the row's least width.
func readTable(text string, width int, into map[string]point) error {
	latCol := 1
	if width == 4 {
		latCol = 2
	}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < width {
			return fmt.Errorf("line %d: %d columns, want at least %d", i+1, len(f), width)
		}
		lat, err1 := strconv.ParseFloat(f[latCol], 64)
		lon, err2 := strconv.ParseFloat(f[latCol+1], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("line %d: bad coordinates %q %q", i+1, f[latCol], f[latCol+1])
		}
		into[f[0]] = toPoint(lat, lon)
	}
	return nil
}

// countryKm is the distance between two countries' centres, or -1 when
// either is not in the table.
func (g *geo) countryKm(a, b string) float64 {
	pa, ok1 := g.country(a)
	pb, ok2 := g.country(b)
	if !ok1 || !ok2 {
		return -1
	}
	return km(pa, pb)
}

// airportKm is the distance from a country's centre to an airport, or -1
// when either is not in the table.
func (g *geo) airportKm(country, airport string) float64 {
	pc, ok1 := g.country(country)
	pa, ok2 := g.airports[airport]
	if !ok1 || !ok2 {
		return -1
	}
	return km(pc, pa)
}

// country is the centre of the country with code c (two capital letters).
func (g *geo) country(c string) (point, bool) {
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return point{}, false
	}
	i := g.byCode[int(c[0]-'A')*26+int(c[1]-'A')]
	if i < 0 {
		return point{}, false
	}
	return g.centres[i], true
}
