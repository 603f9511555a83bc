package transactions

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/intel"
	"fusion/internal/scenario"
)

// record is a line of bookings.jsonl, fields in the order they are written.
type record struct {
	ID                 string `json:"id"`
	Booked             string `json:"booked"`
	Departure          string `json:"departure"`
	Origin             string `json:"origin"`
	Destination        string `json:"destination"`
	OriginCountry      string `json:"origin_country"`
	DestinationCountry string `json:"destination_country"`
	CardBIN            string `json:"card_bin"`
	BINCountry         string `json:"bin_country"`
	IPCountry          string `json:"ip_country"`
	ClientIP           string `json:"client_ip"`
	Cardholder         string `json:"cardholder"`
	Traveller          string `json:"traveller"`
	Booker             string `json:"booker"`
	Card               string `json:"card"`
	Amount             string `json:"amount"`
	Currency           string `json:"currency"`
	Channel            string `json:"channel"`

	booked, departure time.Time
}

// dataset is a generated scenario read back.
type dataset struct {
	dir      string
	params   scenario.Params
	bookings []record
	truth    []finding.Finding
	fraud    map[string]finding.Finding // by booking id
	// distinct travellers per card and per booker
	cardTravellers, bookerTravellers map[string]int
}

func generateInto(t testing.TB, dir string, p scenario.Params) *dataset {
	t.Helper()
	p.Kind = Name
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	return readDataset(t, dir)
}

func readDataset(t testing.TB, dir string) *dataset {
	t.Helper()
	d := &dataset{dir: dir, fraud: map[string]finding.Finding{}, cardTravellers: map[string]int{}, bookerTravellers: map[string]int{}}
	meta, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(meta, &d.params); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "bookings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	cards, bookers := map[[2]string]bool{}, map[[2]string]bool{}
	for n := 1; sc.Scan(); n++ {
		var r record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("bookings line %d: %v", n, err)
		}
		// Re-encoding gives the same bytes only if the keys come in the
		// documented order and nothing needed escaping.
		if again, _ := json.Marshal(&r); !bytes.Equal(again, sc.Bytes()) {
			t.Fatalf("bookings line %d: not in the documented form:\n%s\n%s", n, sc.Bytes(), again)
		}
		if r.booked, err = time.Parse(time.RFC3339, r.Booked); err != nil {
			t.Fatalf("bookings line %d: booked: %v", n, err)
		}
		if r.departure, err = time.Parse(time.RFC3339, r.Departure); err != nil {
			t.Fatalf("bookings line %d: departure: %v", n, err)
		}
		d.bookings = append(d.bookings, r)
		if k := [2]string{r.Card, r.Traveller}; !cards[k] {
			cards[k] = true
			d.cardTravellers[r.Card]++
		}
		if k := [2]string{r.Booker, r.Traveller}; !bookers[k] {
			bookers[k] = true
			d.bookerTravellers[r.Booker]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	tf, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	if d.truth, err = finding.Read(tf); err != nil {
		t.Fatal(err)
	}
	for _, tr := range d.truth {
		d.fraud[tr.Entity] = tr
	}
	return d
}

var defaultDataset struct {
	once sync.Once
	dir  string
	d    *dataset
}

// generated returns the default-size scenario for seed 1, generated once.
func generated(t *testing.T) *dataset {
	t.Helper()
	defaultDataset.once.Do(func() {
		dir, err := os.MkdirTemp("", "transactions-test-")
		if err != nil {
			t.Fatal(err)
		}
		defaultDataset.dir = dir
		defaultDataset.d = generateInto(t, dir, scenario.Params{Seed: 1})
	})
	if defaultDataset.d == nil {
		t.Fatal("default scenario failed to generate")
	}
	return defaultDataset.d
}

func TestMain(m *testing.M) {
	code := m.Run()
	if defaultDataset.dir != "" {
		os.RemoveAll(defaultDataset.dir)
	}
	os.Exit(code)
}

// geo computes distances from the tables' degrees, independently of km.
type geo struct{ tb *tables }

func (g geo) haversine(lat1, lon1, lat2, lon2 float64) float64 {
	r := math.Pi / 180
	dl, dn := (lat2-lat1)*r, (lon2-lon1)*r
	a := math.Sin(dl/2)*math.Sin(dl/2) + math.Cos(lat1*r)*math.Cos(lat2*r)*math.Sin(dn/2)*math.Sin(dn/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

func (g geo) countryToCountry(a, b string) float64 {
	ca, cb := g.tb.countries[g.tb.countryOf[a]], g.tb.countries[g.tb.countryOf[b]]
	return g.haversine(ca.lat, ca.lon, cb.lat, cb.lon)
}

func (g geo) countryToAirport(c, a string) float64 {
	co, ap := g.tb.countries[g.tb.countryOf[c]], g.tb.airports[g.tb.airportOf[a]]
	return g.haversine(co.lat, co.lon, ap.lat, ap.lon)
}

// criteria are the action-day criteria a booking meets.
type criteria struct {
	lastMinute     bool // departure less than FraudLead after purchase
	farIP          bool // client country differs from and is far from the BIN country and both airports
	notCardholder  bool // the traveller is not the cardholder
	manyTravellers bool // card and account book for MinCardUses or more travellers
}

func (c criteria) all() bool { return c.lastMinute && c.farIP && c.notCardholder && c.manyTravellers }

func (d *dataset) criteria(g geo, r *record) criteria {
	ip := r.IPCountry
	return criteria{
		lastMinute: r.departure.Sub(r.booked) < FraudLead,
		farIP: ip != r.BINCountry && ip != r.OriginCountry && ip != r.DestinationCountry &&
			g.countryToCountry(ip, r.BINCountry) >= FarKm &&
			g.countryToAirport(ip, r.Origin) >= FarKm && g.countryToAirport(ip, r.Destination) >= FarKm,
		notCardholder:  r.Cardholder != r.Traveller,
		manyTravellers: d.cardTravellers[r.Card] >= MinCardUses && d.bookerTravellers[r.Booker] >= MinCardUses,
	}
}

var (
	idPattern     = regexp.MustCompile(`^BK[A-Z2-7]{8}$`)
	hexPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	amountPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.[0-9]{2}$`)
)

func TestBookingsWellFormed(t *testing.T) {
	d := generated(t)
	tb := mustTables(t)
	if got := int64(len(d.bookings)); got != DefaultCount {
		t.Fatalf("%d bookings, want %d", got, DefaultCount)
	}
	start := scenario.DefaultStart
	end := start.Add(time.Duration(spanDays(DefaultCount)) * 24 * time.Hour)
	ids := map[string]bool{}
	channels := map[string]int{}
	var prev time.Time
	for i := range d.bookings {
		r := &d.bookings[i]
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("booking %d (%s): %s", i+1, r.ID, fmt.Sprintf(format, args...))
		}
		if !idPattern.MatchString(r.ID) || ids[r.ID] {
			fail("id not of the form BK+8 base32 or not unique")
		}
		ids[r.ID] = true
		if r.booked.Before(prev) {
			fail("booked %s before the previous booking %s", r.Booked, prev)
		}
		prev = r.booked
		if r.booked.Before(start) || r.booked.After(end) {
			fail("booked %s outside [%s, %s]", r.Booked, start, end)
		}
		if !r.departure.After(r.booked) {
			fail("departure %s not after booking %s", r.Departure, r.Booked)
		}
		o, ok1 := tb.airportOf[r.Origin]
		dst, ok2 := tb.airportOf[r.Destination]
		if !ok1 || !ok2 || o == dst {
			fail("route %s-%s: not two different airports of the table", r.Origin, r.Destination)
		}
		oc, dc := tb.countries[tb.airports[o].country], tb.countries[tb.airports[dst].country]
		if r.OriginCountry != oc.code || r.DestinationCountry != dc.code {
			fail("countries %s-%s, want %s-%s", r.OriginCountry, r.DestinationCountry, oc.code, dc.code)
		}
		for _, cc := range []string{r.OriginCountry, r.DestinationCountry, r.BINCountry, r.IPCountry} {
			if !intel.IsCountry(cc) {
				fail("country %q is not ISO 3166-1", cc)
			}
		}
		binOK := false
		for _, b := range tb.bins {
			if string(b.code[:]) == r.CardBIN {
				binOK = tb.countries[b.country].code == r.BINCountry
				break
			}
		}
		if !binOK {
			fail("BIN %s of %s: not a BIN of that country", r.CardBIN, r.BINCountry)
		}
		block := tb.countries[tb.countryOf[r.IPCountry]].block
		if want := fmt.Sprintf("%d.%d.", block>>24, block>>16&0xff); !strings.HasPrefix(r.ClientIP, want) {
			fail("client address %s not in %s's block %s", r.ClientIP, r.IPCountry, want)
		}
		for name, h := range map[string]string{"cardholder": r.Cardholder, "traveller": r.Traveller, "booker": r.Booker, "card": r.Card} {
			if !hexPattern.MatchString(h) {
				fail("%s %q: not a hex SHA-256", name, h)
			}
		}
		if !amountPattern.MatchString(r.Amount) || r.Amount == "0.00" {
			fail("amount %q: not a positive decimal with 2 places", r.Amount)
		}
		if r.Currency != oc.currency {
			fail("currency %s, want %s, the currency of %s", r.Currency, oc.currency, oc.code)
		}
		channels[r.Channel]++
	}
	for c := range channels {
		if !strings.Contains(" web mobile-app call-centre travel-agent ", " "+c+" ") {
			t.Errorf("channel %q is not a channel", c)
		}
	}
	if len(channels) != 4 {
		t.Errorf("channels %v: want all four", channels)
	}
}

func TestFraudMeetsCriteria(t *testing.T) {
	d := generated(t)
	g := geo{mustTables(t)}
	wantFraud, wantRings := fraudPlan(DefaultCount)
	if int64(len(d.truth)) != wantFraud {
		t.Fatalf("%d fraudulent bookings, want %d", len(d.truth), wantFraud)
	}
	byID := map[string]*record{}
	for i := range d.bookings {
		byID[d.bookings[i].ID] = &d.bookings[i]
	}
	type ringStats struct {
		first, last time.Time
		cards, bins map[string]bool
	}
	rings := map[string]*ringStats{}
	for _, tr := range d.truth {
		r, ok := byID[tr.Entity]
		if !ok {
			t.Fatalf("truth names booking %s, which is not in bookings.jsonl", tr.Entity)
		}
		if tr.Kind != finding.FraudRing || !strings.HasPrefix(tr.ID, "ring-") || tr.Detail["ring"] != tr.ID {
			t.Fatalf("truth %+v: want kind %s, a ring id and the ring in detail", tr, finding.FraudRing)
		}
		if !tr.Start.Equal(r.booked) || !tr.End.Equal(r.booked) {
			t.Fatalf("truth %s: start %s end %s, want the booking time %s", tr.Entity, tr.Start, tr.End, r.Booked)
		}
		c := d.criteria(g, r)
		if !c.all() {
			t.Fatalf("fraudulent booking %s misses a criterion: %+v\n%+v", r.ID, c, *r)
		}
		rs := rings[tr.ID]
		if rs == nil {
			rs = &ringStats{first: r.booked, cards: map[string]bool{}, bins: map[string]bool{}}
			rings[tr.ID] = rs
		}
		rs.last = r.booked
		rs.cards[r.Card] = true
		rs.bins[r.BINCountry] = true
	}
	if int64(len(rings)) != wantRings || len(rings) < 3 || len(rings) > 10 {
		t.Errorf("%d rings, want %d, a handful", len(rings), wantRings)
	}
	for id, rs := range rings {
		if days := rs.last.Sub(rs.first).Hours() / 24; days < 1 || days > maxRingDays {
			t.Errorf("%s works for %.1f days, want days", id, days)
		}
		if len(rs.cards) < 3 || len(rs.bins) < 2 {
			t.Errorf("%s uses %d cards from %d BIN countries, want several from various", id, len(rs.cards), len(rs.bins))
		}
	}
}

func TestLegitRarelyMeetsCriteria(t *testing.T) {
	d := generated(t)
	g := geo{mustTables(t)}
	var n, lastMinute, farIP, notCardholder, many, all int
	for i := range d.bookings {
		r := &d.bookings[i]
		if _, bad := d.fraud[r.ID]; bad {
			continue
		}
		n++
		c := d.criteria(g, r)
		lastMinute += b2i(c.lastMinute)
		farIP += b2i(c.farIP)
		notCardholder += b2i(c.notCardholder)
		many += b2i(c.manyTravellers)
		all += b2i(c.all())
	}
	rate := func(k int) float64 { return float64(k) / float64(n) }
	t.Logf("legitimate bookings meeting each criterion: last-minute %.3f, far address %.3f, not cardholder %.3f, many travellers %.3f; all %d of %d (%.5f)",
		rate(lastMinute), rate(farIP), rate(notCardholder), rate(many), all, n, rate(all))
	// Each criterion alone flags some honest customers...
	for name, r := range map[string]float64{"last-minute": rate(lastMinute), "far address": rate(farIP), "not cardholder": rate(notCardholder), "many travellers": rate(many)} {
		if r < 0.01 || r > 0.5 {
			t.Errorf("%s: %.3f of legitimate bookings, want some but not most", name, r)
		}
	}
	// ...all of them together hardly any.
	if rate(all) > 0.002 {
		t.Errorf("%.4f of legitimate bookings meet all criteria, want under 0.2%%", rate(all))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestScoring(t *testing.T) {
	d := generated(t)
	g := geo{mustTables(t)}
	if s := finding.Evaluate(d.truth, d.truth).Kinds[finding.FraudRing]; s.F1 != 1 {
		t.Errorf("truth against itself: %+v, want F1 1", s)
	}
	// The reference rule: flag every booking that meets all criteria.
	var found []finding.Finding
	for i := range d.bookings {
		r := &d.bookings[i]
		if d.criteria(g, r).all() {
			found = append(found, finding.Finding{Kind: finding.FraudRing, ID: "rule", Start: r.booked, End: r.booked, Entity: r.ID})
		}
	}
	s := finding.Evaluate(d.truth, found).Kinds[finding.FraudRing]
	t.Logf("reference rule: precision %.4f recall %.4f F1 %.4f", s.Precision, s.Recall, s.F1)
	if s.Recall != 1 || s.Precision < 0.95 {
		t.Errorf("reference rule: precision %.4f recall %.4f, want recall 1 and precision at least 0.95", s.Precision, s.Recall)
	}
}

func TestLegitBehaviour(t *testing.T) {
	d := generated(t)
	var n, self, ipHome, longLead int
	for i := range d.bookings {
		r := &d.bookings[i]
		if _, bad := d.fraud[r.ID]; bad {
			continue
		}
		n++
		self += b2i(r.Cardholder == r.Traveller)
		ipHome += b2i(r.IPCountry == r.BINCountry || r.IPCountry == r.OriginCountry)
		longLead += b2i(r.departure.Sub(r.booked) >= 7*24*time.Hour)
	}
	for name, c := range map[string]struct {
		got int
		min float64
	}{"cardholder travels": {self, 0.5}, "address at home or origin": {ipHome, 0.85}, "booked a week or more ahead": {longLead, 0.75}} {
		if r := float64(c.got) / float64(n); r < c.min {
			t.Errorf("%s: %.3f of legitimate bookings, want at least %.2f", name, r, c.min)
		}
	}
}

func TestDeterministic(t *testing.T) {
	gen := func(seed uint64) string {
		dir := t.TempDir()
		p := scenario.Params{Kind: Name, Seed: seed, Count: 30_000}
		if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a, b, c := gen(7), gen(7), gen(8)
	for _, name := range []string{"bookings.jsonl", "truth.jsonl", "scenario.json"} {
		x, errA := os.ReadFile(filepath.Join(a, name))
		y, errB := os.ReadFile(filepath.Join(b, name))
		z, errC := os.ReadFile(filepath.Join(c, name))
		if errA != nil || errB != nil || errC != nil {
			t.Fatal(errA, errB, errC)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if name != "scenario.json" && bytes.Equal(x, z) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

func TestSmallCounts(t *testing.T) {
	g := geo{mustTables(t)}
	for _, n := range []int64{1, 2, 5, 133, 134, 150, 1000, 25_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := generateInto(t, t.TempDir(), scenario.Params{Seed: 3, Count: n})
			if int64(len(d.bookings)) != n {
				t.Fatalf("%d bookings, want %d", len(d.bookings), n)
			}
			fraud, _ := fraudPlan(n)
			if int64(len(d.truth)) != fraud {
				t.Fatalf("%d fraudulent, want %d", len(d.truth), fraud)
			}
			for i := range d.bookings {
				r := &d.bookings[i]
				if i > 0 && r.booked.Before(d.bookings[i-1].booked) {
					t.Fatalf("booking %d out of order", i+1)
				}
				if _, bad := d.fraud[r.ID]; bad && !d.criteria(g, r).all() {
					t.Fatalf("fraudulent booking %s misses a criterion: %+v", r.ID, d.criteria(g, r))
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		p    scenario.Params
		flag string
	}{
		{scenario.Params{Count: -1}, "--count"},
		{scenario.Params{Count: MaxCount + 1}, "--count"},
		{scenario.Params{Count: 10, Start: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}, "--start"},
	} {
		c.p.Kind = Name
		err := scenario.Generate(context.Background(), c.p, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("count %d start %s: error %v, want one naming %s", c.p.Count, c.p.Start, err, c.flag)
		}
	}
	p := scenario.Params{}
	defaults(&p)
	if p.Count != DefaultCount {
		t.Errorf("default count %d, want %d", p.Count, DefaultCount)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := scenario.Generate(ctx, scenario.Params{Kind: Name, Count: 100_000}, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled generation: %v", err)
	}
}

// TestConstantMemory checks that doubling the bookings hardly changes what
// is allocated: nothing is kept per booking.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 360 MB")
	}
	alloc := func(n int64) uint64 {
		dir := t.TempDir()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := scenario.Generate(context.Background(), scenario.Params{Kind: Name, Seed: 1, Count: n}, dir, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(200_000), alloc(400_000)
	t.Logf("allocated %d MB for 200,000 bookings, %d MB for 400,000", small>>20, large>>20)
	if large > small+16<<20 {
		t.Errorf("allocation grows with the count: %d MB, then %d MB", small>>20, large>>20)
	}
}
