package transactions

import (
	"math"
	"strings"
	"testing"

	"fusion/internal/intel"
)

func mustTables(t testing.TB) *tables {
	t.Helper()
	tb, err := loadTables()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestTablesValid(t *testing.T) {
	tb := mustTables(t)
	if n := len(tb.airports); n < 300 {
		t.Errorf("%d airports, want a few hundred", n)
	}
	for _, a := range tb.airports {
		if cc := tb.countries[a.country].code; !intel.IsCountry(cc) {
			t.Errorf("airport %s: country %q is not ISO 3166-1", a.code, cc)
		}
	}
	for c, co := range tb.countries {
		if !intel.IsCountry(co.code) {
			t.Errorf("country %q is not ISO 3166-1", co.code)
		}
		if len(co.bins) == 0 {
			t.Errorf("country %s has no BIN", co.code)
		}
		if len(tb.farCountries[c]) == 0 {
			t.Errorf("country %s: no country is far from it", co.code)
		}
	}
	if n := len(tb.airlines); n < 100 {
		t.Errorf("%d airlines, want a hundred or more", n)
	}
	for c, co := range tb.countries {
		if len(tb.sellerList[c]) == 0 {
			t.Errorf("country %s: no airline sells its flights", co.code)
		}
		for _, a := range tb.domesticList[c] {
			if al := &tb.airlines[a]; al.home != c && !al.serves[c] {
				t.Errorf("country %s: %s sells its domestic flights but does not serve it", co.code, al.code)
			}
		}
	}
	for i, a := range tb.airlines {
		if len(tb.airlineAirports[i]) == 0 {
			t.Errorf("airline %s: no airport in its network", a.code)
		}
	}
	seen := map[[6]byte]bool{}
	for _, b := range tb.bins {
		s := string(b.code[:])
		if seen[b.code] {
			t.Errorf("BIN %s assigned twice", s)
		}
		seen[b.code] = true
		if !(s[0] == '4' || s[0] == '5' && s[1] >= '1' && s[1] <= '5') || strings.Trim(s, "0123456789") != "" {
			t.Errorf("BIN %s: not a 4xxxxx or 51xxxx-55xxxx number", s)
		}
	}
	blocks := map[uint32]string{}
	for _, co := range tb.countries {
		if other, dup := blocks[co.block]; dup {
			t.Errorf("countries %s and %s share address block %x", other, co.code, co.block)
		}
		blocks[co.block] = co.code
		switch first := co.block >> 24; first {
		case 0, 10, 100, 127, 169, 172, 192, 198, 203:
			t.Errorf("country %s: block %d.x is reserved", co.code, first)
		default:
			if first >= 224 {
				t.Errorf("country %s: block %d.x is not unicast", co.code, first)
			}
		}
	}
}

// TestAirportFacts spot-checks the table against well-known airports.
func TestAirportFacts(t *testing.T) {
	tb := mustTables(t)
	for _, c := range []struct {
		code, cc string
		lat, lon float64
	}{
		{"AMS", "NL", 52.31, 4.76},
		{"FRA", "DE", 50.03, 8.57},
		{"LHR", "GB", 51.47, -0.45},
		{"JFK", "US", 40.64, -73.78},
		{"DXB", "AE", 25.25, 55.36},
		{"LOS", "NG", 6.58, 3.32},
		{"SYD", "AU", -33.95, 151.18},
		{"GRU", "BR", -23.44, -46.47},
		{"HND", "JP", 35.55, 139.78},
		{"SIN", "SG", 1.36, 103.99},
	} {
		i, ok := tb.airportOf[c.code]
		if !ok {
			t.Errorf("%s: not in the table", c.code)
			continue
		}
		a := tb.airports[i]
		if cc := tb.countries[a.country].code; cc != c.cc || math.Abs(a.lat-c.lat) > 0.05 || math.Abs(a.lon-c.lon) > 0.05 {
			t.Errorf("%s: %s %.2f %.2f, want %s %.2f %.2f", c.code, cc, a.lat, a.lon, c.cc, c.lat, c.lon)
		}
	}
	// Every airport lies within a plausible distance of its country's
	// centre: catches swapped signs and wrong countries.
	for _, a := range tb.airports {
		co := tb.countries[a.country]
		limit := 2500.0
		switch co.code {
		case "US", "RU", "CA", "AU", "CN", "BR", "FR", "ID", "AR", "CL", "IN", "ES", "PT", "NZ", "KZ":
			limit = 6500 // large, or with islands far from the mainland
		}
		if d := km(co.p, a.p); d > limit {
			t.Errorf("airport %s is %.0f km from the centre of %s", a.code, d, co.code)
		}
	}
}

func TestKm(t *testing.T) {
	tb := mustTables(t)
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"LHR", "JFK", 5540},
		{"AMS", "FRA", 365},
		{"SYD", "LAX", 12050},
		{"DXB", "LOS", 5900},
	} {
		got := km(tb.airports[tb.airportOf[c.a]].p, tb.airports[tb.airportOf[c.b]].p)
		if math.Abs(got-c.want)/c.want > 0.02 {
			t.Errorf("%s-%s: %.0f km, want about %.0f", c.a, c.b, got, c.want)
		}
	}
}

func TestNamesDistinct(t *testing.T) {
	for name, list := range map[string][]string{"given": givenNames, "surnames": surnames} {
		seen := map[string]bool{}
		for _, n := range list {
			if seen[n] {
				t.Errorf("%s: %s listed twice", name, n)
			}
			seen[n] = true
			if strings.ToUpper(n) != n || strings.ContainsAny(n, "/\"\\") {
				t.Errorf("%s: %q is not normalised", name, n)
			}
		}
	}
}

func TestBuildTablesRejects(t *testing.T) {
	const countries = "NL\t52.2\t5.5\tEUR\t0.92\nDE\t51.2\t10.4\tEUR\t0.92\n"
	const airports = "AMS\tNL\t52.31\t4.76\t70\nFRA\tDE\t50.03\t8.57\t62\n"
	const airlines = "KL\tNL\tflag\t-\nLH\tDE\tflag\tNL\nTK\tDE\tglobal\t*\n"
	if _, err := buildTables(airports, countries, airlines); err != nil {
		t.Fatalf("valid tables: %v", err)
	}
	for name, c := range map[string]struct{ airports, countries, airlines string }{
		"unknown country":   {airports, countries + "XX\t0\t0\tEUR\t1\n", ""},
		"bad currency":      {airports, countries + "FR\t46\t2\teuro\t1\n", ""},
		"duplicate country": {airports, countries + "NL\t52.2\t5.5\tEUR\t0.92\n", ""},
		"short row":         {airports + "LHR\tGB\n", countries, ""},
		"airport country":   {airports + "LHR\tGB\t51.47\t-0.45\t80\n", countries, ""},
		"duplicate airport": {airports + "AMS\tNL\t52.31\t4.76\t70\n", countries, ""},
		"latitude":          {airports + "RTM\tNL\t152\t4.4\t2\n", countries, ""},
		"weight":            {airports + "RTM\tNL\t51.96\t4.44\t-2\n", countries, ""},
		"code":              {airports + "rtm\tNL\t51.96\t4.44\t2\n", countries, ""},
		"one airport":       {"AMS\tNL\t52.31\t4.76\t70\n", countries, ""},
		"airline code":      {airports, countries, airlines + "KLM\tNL\tflag\t-\n"},
		"airline digits":    {airports, countries, airlines + "12\tNL\tflag\t-\n"},
		"airline twice":     {airports, countries, airlines + "KL\tNL\tflag\t-\n"},
		"airline home":      {airports, countries, airlines + "BA\tGB\tflag\t-\n"},
		"airline kind":      {airports, countries, airlines + "HV\tNL\tcharter\t-\n"},
		"airline network":   {airports, countries, airlines + "HV\tNL\tlow-cost\tNL,XX\n"},
		"no global airline": {airports, countries, "KL\tNL\tflag\t-\n"},
	} {
		if c.airlines == "" && name != "no global airline" {
			c.airlines = airlines
		}
		if _, err := buildTables(c.airports, c.countries, c.airlines); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "transactions: ") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
	}
}

// FuzzBuildTables feeds the table parser arbitrary text: it must return
// tables or an error, never panic.
func FuzzBuildTables(f *testing.F) {
	f.Add("AMS\tNL\t52.31\t4.76\t70\nFRA\tDE\t50.03\t8.57\t62\n", "NL\t52.2\t5.5\tEUR\t0.92\nDE\t51.2\t10.4\tEUR\t0.92\n", "KL\tNL\tflag\t-\nTK\tDE\tglobal\t*\n")
	f.Add("# c\n\nAMS\tNL\t52.31\t4.76\t1e308\n", "NL\t-90\t180\tEUR\tNaN\n", "KL\tNL\tlow-cost\tNL,DE,\n")
	f.Fuzz(func(t *testing.T, airports, countries, airlines string) {
		tb, err := buildTables(airports, countries, airlines)
		if err == nil && len(tb.airports) < 2 {
			t.Fatalf("accepted %d airports", len(tb.airports))
		}
	})
}
