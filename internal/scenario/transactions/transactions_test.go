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
	"slices"
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
	Airline            string `json:"airline"`
	Device             string `json:"device"`

	booked, departure time.Time
}

// dataset is a generated scenario read back.
type dataset struct {
	dir      string
	params   scenario.Params
	bookings []record
	truth    []finding.Finding
	fraud    map[string]finding.Finding // by booking id
	negative map[string]string          // hard-negative kind by booking id
	negOrder []string                   // negatives.jsonl's booking ids in order
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
	d := &dataset{dir: dir, fraud: map[string]finding.Finding{}, negative: map[string]string{}, cardTravellers: map[string]int{}, bookerTravellers: map[string]int{}}
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
	nf, err := os.Open(filepath.Join(dir, "negatives.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Close()
	ns := bufio.NewScanner(nf)
	for n := 1; ns.Scan(); n++ {
		var neg negativeLine
		dec := json.NewDecoder(bytes.NewReader(ns.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&neg); err != nil {
			t.Fatalf("negatives line %d: %v", n, err)
		}
		if again, _ := json.Marshal(&neg); !bytes.Equal(again, ns.Bytes()) {
			t.Fatalf("negatives line %d: not in the documented form:\n%s\n%s", n, ns.Bytes(), again)
		}
		if _, dup := d.negative[neg.Booking]; dup {
			t.Fatalf("negatives line %d: booking %s listed twice", n, neg.Booking)
		}
		d.negative[neg.Booking] = neg.Kind
		d.negOrder = append(d.negOrder, neg.Booking)
	}
	if err := ns.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// negativeLine is a line of negatives.jsonl.
type negativeLine struct {
	Booking string `json:"booking"`
	Kind    string `json:"kind"`
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
	channels, airlines := map[string]int{}, map[string]int{}
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
		if !hexPattern.MatchString(r.Device) {
			fail("device %q: not a hex SHA-256", r.Device)
		}
		a, ok := airlineOf(tb, r.Airline)
		if !ok {
			fail("airline %q: not in the airlines table", r.Airline)
		}
		if !a.plausible(tb.airports[o].country, tb.airports[dst].country) {
			fail("airline %s (based in %s) does not serve %s-%s", r.Airline, tb.countries[a.home].code, r.Origin, r.Destination)
		}
		airlines[r.Airline]++
	}
	if len(airlines) < 60 {
		t.Errorf("%d airlines sell the bookings, want most of the table's %d", len(airlines), len(tb.airlines))
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
		if days := rs.last.Sub(rs.first).Hours() / 24; days < 1 || days > MaxLongDays {
			t.Errorf("%s works for %.1f days, want days to weeks", id, days)
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
	for _, name := range []string{"bookings.jsonl", "truth.jsonl", "negatives.jsonl", "scenario.json"} {
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

// airlineOf finds an airline of the table by designator.
func airlineOf(tb *tables, code string) (*airline, bool) {
	for i := range tb.airlines {
		if tb.airlines[i].code == code {
			return &tb.airlines[i], true
		}
	}
	return nil, false
}

// TestHardNegatives checks each kind's share of the legitimate bookings,
// the criteria it meets, and that no hard negative is fraudulent.
func TestHardNegatives(t *testing.T) {
	d := generated(t)
	g := geo{mustTables(t)}
	byID := map[string]int{}
	for i := range d.bookings {
		byID[d.bookings[i].ID] = i
	}
	legit := len(d.bookings) - len(d.truth)
	type stats struct {
		n, lastMinute, farIP, notCardholder, many, all int
	}
	kinds := map[string]*stats{}
	prev := -1
	for _, id := range d.negOrder {
		i, ok := byID[id]
		if !ok {
			t.Fatalf("negative %s is not in bookings.jsonl", id)
		}
		if i <= prev {
			t.Fatalf("negative %s out of booking order", id)
		}
		prev = i
		if _, bad := d.fraud[id]; bad {
			t.Fatalf("negative %s is in the truth", id)
		}
		kind := d.negative[id]
		st := kinds[kind]
		if st == nil {
			st = &stats{}
			kinds[kind] = st
		}
		r := &d.bookings[i]
		c := d.criteria(g, r)
		st.n++
		st.lastMinute += b2i(c.lastMinute)
		st.farIP += b2i(c.farIP)
		st.notCardholder += b2i(c.notCardholder)
		st.many += b2i(c.manyTravellers)
		st.all += b2i(c.all())
		// What each kind always or never meets; the rest are rates below.
		switch kind {
		case TravelAgent:
			if r.Channel != "travel-agent" || !c.notCardholder || c.farIP {
				t.Errorf("travel-agent booking %s: channel %s, criteria %+v: want an agency's card for others, from its country", id, r.Channel, c)
			}
		case LastMinuteBusiness:
			if !c.lastMinute || c.notCardholder {
				t.Errorf("last-minute-business booking %s: criteria %+v: want last-minute, the cardholder travelling", id, c)
			}
		case Abroad:
			if !c.farIP || c.notCardholder {
				t.Errorf("abroad booking %s: criteria %+v: want a far address and the cardholder travelling", id, c)
			}
		case Family:
		default:
			t.Fatalf("negative %s: kind %q is not a hard-negative kind", id, kind)
		}
	}
	want := map[string][2]float64{ // share of legitimate bookings
		TravelAgent:        {0.06, 0.10},
		Family:             {0.04, 0.10},
		LastMinuteBusiness: {0.01, 0.03},
		Abroad:             {0.02, 0.04},
	}
	for kind, bounds := range want {
		st := kinds[kind]
		if st == nil {
			t.Errorf("no %s bookings", kind)
			continue
		}
		share := float64(st.n) / float64(legit)
		rate := func(k int) float64 { return float64(k) / float64(st.n) }
		t.Logf("%s: %d bookings (%.3f of legitimate); last-minute %.3f, far address %.3f, not cardholder %.3f, many travellers %.3f, all %.4f",
			kind, st.n, share, rate(st.lastMinute), rate(st.farIP), rate(st.notCardholder), rate(st.many), rate(st.all))
		if share < bounds[0] || share > bounds[1] {
			t.Errorf("%s: %.3f of legitimate bookings, want %.2f to %.2f", kind, share, bounds[0], bounds[1])
		}
		if rate(st.all) > 0.002 {
			t.Errorf("%s: %.4f meet all criteria, want hardly any", kind, rate(st.all))
		}
	}
	for _, c := range []struct {
		kind, criterion string
		got             func(*stats) int
		lo, hi          float64
	}{
		{TravelAgent, "last-minute", func(s *stats) int { return s.lastMinute }, 0.08, 0.25},
		{TravelAgent, "many travellers", func(s *stats) int { return s.many }, 0.95, 1},
		{Family, "not cardholder", func(s *stats) int { return s.notCardholder }, 0.6, 0.9},
		{Family, "many travellers", func(s *stats) int { return s.many }, 0.5, 1},
		{Family, "far address", func(s *stats) int { return s.farIP }, 0, 0.01},
		{LastMinuteBusiness, "far address", func(s *stats) int { return s.farIP }, 0, 0.01},
	} {
		if st := kinds[c.kind]; st != nil {
			if r := float64(c.got(st)) / float64(st.n); r < c.lo || r > c.hi {
				t.Errorf("%s: %.3f %s, want %.2f to %.2f", c.kind, r, c.criterion, c.lo, c.hi)
			}
		}
	}
	if ab := kinds[Abroad]; ab != nil {
		if r := float64(ab.lastMinute) / float64(ab.n); r < 0.1 || r > 0.4 {
			t.Errorf("abroad: %.3f last-minute, want sometimes", r)
		}
	}
}

// TestFamilyTrips checks that a family trip is the household head paying,
// in consecutive bookings on one card and device, for 3 to 6 travellers on
// the same flight.
func TestFamilyTrips(t *testing.T) {
	d := generated(t)
	sizes := map[int]int{}
	var run []*record
	flush := func() {
		if len(run) == 0 {
			return
		}
		travellers := map[string]bool{}
		for _, r := range run {
			travellers[r.Traveller] = true
		}
		if len(travellers) != len(run) {
			t.Errorf("family trip from %s: %d tickets for %d travellers", run[0].ID, len(run), len(travellers))
		}
		if !travellers[run[0].Cardholder] {
			t.Errorf("family trip from %s: the cardholder does not travel", run[0].ID)
		}
		sizes[len(run)]++
		run = run[:0]
	}
	for i := range d.bookings {
		r := &d.bookings[i]
		if _, bad := d.fraud[r.ID]; bad {
			continue // a ring's booking between two tickets of a trip
		}
		if d.negative[r.ID] != Family {
			flush()
			continue
		}
		if len(run) > 0 {
			f := run[0]
			if r.Card != f.Card || r.Origin != f.Origin || r.Destination != f.Destination || r.Departure != f.Departure {
				// Two trips, back to back: the next one starts here.
				flush()
			} else if r.Device != f.Device || r.Airline != f.Airline || r.ClientIP != f.ClientIP {
				t.Errorf("family booking %s: device, airline or address differs from the trip's first booking %s", r.ID, f.ID)
			}
		}
		run = append(run, r)
	}
	flush()
	total, bad := 0, 0
	for n, k := range sizes {
		total += k
		if n < minFamily || n > 6 {
			bad += k
		}
	}
	t.Logf("family trips by travellers: %v", sizes)
	if total < 100 || bad > 1 { // the last trip may be cut by the end
		t.Errorf("family trips by size %v: want 3 to 6 travellers each", sizes)
	}
}

// TestDevices checks that households, agencies and rings each book on a
// few devices, and that long rings use fewer than short ones.
func TestDevices(t *testing.T) {
	d := generated(t)
	perCard := map[string]map[string]bool{}
	perRing := map[string]map[string]bool{}
	for i := range d.bookings {
		r := &d.bookings[i]
		key, m := r.Card, perCard
		if tr, bad := d.fraud[r.ID]; bad {
			key, m = tr.ID, perRing
		}
		if m[key] == nil {
			m[key] = map[string]bool{}
		}
		m[key][r.Device] = true
	}
	for card, devs := range perCard {
		if len(devs) > max(householdDevices, agencyDevices) {
			t.Errorf("card %s… books on %d devices, want a few", card[:8], len(devs))
		}
	}
	for ring, devs := range perRing {
		kind := ""
		for _, tr := range d.truth {
			if tr.ID == ring {
				kind = tr.Detail["ring_kind"]
				break
			}
		}
		if hi := map[string]int{ShortRing: 6, LongRing: 2}[kind]; len(devs) < 1 || len(devs) > hi {
			t.Errorf("%s (%s) books on %d devices, want 1 to %d", ring, kind, len(devs), hi)
		}
	}
}

// TestLongRings checks that long rings work for weeks, with gaps, and use
// every card over weeks on two to four airlines, while short rings keep a
// card to one airline and to days.
func TestLongRings(t *testing.T) {
	d := generated(t)
	byID := map[string]*record{}
	for i := range d.bookings {
		byID[d.bookings[i].ID] = &d.bookings[i]
	}
	type cardStats struct {
		first, last time.Time
		airlines    map[string]bool
		detail      string
	}
	type ringStats struct {
		kind        string
		first, last time.Time
		days        map[string]bool
		airlines    map[string]bool
		cards       map[string]*cardStats
	}
	rings := map[string]*ringStats{}
	for _, tr := range d.truth {
		r := byID[tr.Entity]
		kind := tr.Detail["ring_kind"]
		if kind != ShortRing && kind != LongRing {
			t.Fatalf("truth %s: ring_kind %q, want short or long", tr.Entity, kind)
		}
		rs := rings[tr.ID]
		if rs == nil {
			rs = &ringStats{kind: kind, first: r.booked, days: map[string]bool{}, airlines: map[string]bool{}, cards: map[string]*cardStats{}}
			rings[tr.ID] = rs
		}
		if rs.kind != kind {
			t.Fatalf("%s is both %s and %s", tr.ID, rs.kind, kind)
		}
		rs.last = r.booked
		rs.days[r.Booked[:10]] = true
		rs.airlines[r.Airline] = true
		cs := rs.cards[r.Card]
		if cs == nil {
			cs = &cardStats{first: r.booked, airlines: map[string]bool{}, detail: tr.Detail["airlines"]}
			rs.cards[r.Card] = cs
		}
		cs.last = r.booked
		cs.airlines[r.Airline] = true
		if cs.detail != tr.Detail["airlines"] {
			t.Fatalf("card %s… of %s: airlines %s then %s in the truth", r.Card[:8], tr.ID, cs.detail, tr.Detail["airlines"])
		}
	}
	long := 0
	for id, rs := range rings {
		days := rs.last.Sub(rs.first).Hours() / 24
		var cardDays []float64
		for card, cs := range rs.cards {
			if want := fmt.Sprint(len(cs.airlines)); cs.detail != want {
				t.Errorf("%s card %s…: on %s airlines, the truth says %s", id, card[:8], want, cs.detail)
			}
			n := len(cs.airlines)
			if rs.kind == ShortRing && n != 1 || rs.kind == LongRing && (n < MinCardAirlines || n > MaxCardAirlines) {
				t.Errorf("%s (%s) card %s… on %d airlines", id, rs.kind, card[:8], n)
			}
			cardDays = append(cardDays, cs.last.Sub(cs.first).Hours()/24)
		}
		slices.Sort(cardDays)
		median := cardDays[len(cardDays)/2]
		t.Logf("%s: %s, %.1f days (%d with bookings), %d airlines, %d cards, median card life %.1f days", id, rs.kind, days, len(rs.days), len(rs.airlines), len(rs.cards), median)
		switch rs.kind {
		case LongRing:
			long++
			if days < MinLongDays-2 || days > MaxLongDays {
				t.Errorf("%s: long ring works for %.1f days, want %d to %d", id, days, MinLongDays, MaxLongDays)
			}
			if gaps := int(days) + 1 - len(rs.days); gaps < 2 {
				t.Errorf("%s: long ring works on %d of %.0f days, want gaps", id, len(rs.days), days)
			}
			if len(rs.airlines) < 3 {
				t.Errorf("%s: long ring on %d airlines, want several", id, len(rs.airlines))
			}
			if median < 7 {
				t.Errorf("%s: median card used over %.1f days, want weeks", id, median)
			}
		case ShortRing:
			if days > maxRingDays {
				t.Errorf("%s: short ring works for %.1f days, want at most %d", id, days, maxRingDays)
			}
		}
	}
	_, nRings := fraudPlan(DefaultCount)
	if want := longRings(nRings, float64(spanDays(DefaultCount))*86400); int64(long) != want || long == 0 {
		t.Errorf("%d long rings, want %d", long, want)
	}
}
