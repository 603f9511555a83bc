package sms

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"fusion/internal/finding"
)

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// example returns libphonenumber's example number of a type in a region,
// E.164.
func example(t testing.TB, region string, typ phonenumbers.PhoneNumberType) string {
	t.Helper()
	n := phonenumbers.GetExampleNumberForType(region, typ)
	if n == nil {
		t.Fatalf("no example %v number for %s", typ, region)
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// otherP4 is the 10,000-number block next to n's, without its last four
// digits.
func otherP4(n string) string {
	p := []byte(n[:len(n)-4])
	p[len(p)-1] = '0' + (p[len(p)-1]-'0'+1)%10
	return string(p)
}

// withSuffix replaces the last three digits of n.
func withSuffix(n string, s int) string { return fmt.Sprintf("%s%03d", n[:len(n)-3], s) }

func req(app, number string, at time.Time, ip string) *Request {
	return &Request{App: app, Number: number, IP: netip.MustParseAddr(ip), UserAgent: "AzureSkies/7.4.1", Time: at}
}

func newGuard(t testing.TB, cfg Config) *Guard {
	t.Helper()
	g, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// legit sends n legitimate requests from the app spread over span from
// start, each to a fresh number of a different block in one of the bases,
// nine in ten entered 20 s later.
func legit(g *Guard, app string, bases []string, start time.Time, span time.Duration, n int) (blocked int) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range n {
		at := start.Add(span * time.Duration(i) / time.Duration(n))
		base := bases[i%len(bases)]
		// Vary the thousands digit and the suffix, so that blocks differ.
		num := fmt.Sprintf("%s%d%03d", base[:len(base)-4], (i/len(bases))%10, (i*37)%1000)
		d := g.Check(req(app, num, at, fmt.Sprintf("198.51.%d.%d", i%200, i%250+1)))
		if d.Decision == Block {
			blocked++
		}
		if rng.IntN(10) != 0 && d.Decision != Block {
			g.Verified(&Verified{App: app, Number: num, Time: at.Add(20 * time.Second)})
		}
	}
	return blocked
}

func TestSequentialCampaignBlocked(t *testing.T) {
	g := newGuard(t, DefaultConfig())
	lv := example(t, "LV", phonenumbers.MOBILE)
	bases := []string{example(t, "GB", phonenumbers.MOBILE), example(t, "DE", phonenumbers.MOBILE), lv}
	if b := legit(g, "shop", bases, t0, 6*time.Hour, 3000); b != 0 {
		t.Fatalf("%d legitimate requests blocked", b)
	}
	// A campaign: 300 numbers in sequence in one LV block, one every
	// 2 s, from rotating addresses, none entered.
	start := t0.Add(6 * time.Hour)
	first, blocked := 0, 0
	var last Decision
	for i := range 300 {
		d := g.Check(req("shop", withSuffix(lv, 100+i), start.Add(time.Duration(i)*2*time.Second), fmt.Sprintf("203.0.113.%d", i%250+1)))
		if d.Decision != Allow && first == 0 {
			first = i + 1
		}
		if d.Decision == Block {
			blocked++
		}
		last = d
	}
	if first == 0 || first > 10 {
		t.Fatalf("first stopped request %d, want within the first 10", first)
	}
	if blocked < 280 {
		t.Fatalf("%d of 300 blocked", blocked)
	}
	if last.Rule != "prefix-blocked" || last.Prefix != prefix3(lv) || last.Country != "LV" || last.NumberType != Mobile {
		t.Fatalf("last decision %+v", last)
	}
	if !last.Reasons.Has(ReasonBlocked) {
		t.Fatalf("reasons %v", last.Reasons)
	}
	found := g.Findings()
	if len(found) != 1 {
		t.Fatalf("findings %+v", found)
	}
	f := found[0]
	if f.Kind != finding.SMSPumping || f.Entity != prefix3(lv) || f.Start.Before(start.Add(-time.Hour)) || f.End.Before(start.Add(500*time.Second)) ||
		f.Explanation == "" || f.Stats["refused"] < 280 {
		t.Fatalf("finding %+v", f)
	}
	// Legitimate traffic to other blocks goes on.
	if b := legit(g, "shop", bases[:2], start.Add(time.Hour), time.Hour, 500); b != 0 {
		t.Fatalf("%d legitimate requests blocked after the campaign", b)
	}
	// The block expires after its TTL, and a repeat doubles it.
	later := start.Add(3 * time.Hour)
	if d := g.Check(req("shop", withSuffix(lv, 900), later, "203.0.113.1")); d.Decision == Block && d.Rule == "prefix-blocked" {
		t.Fatalf("still blocked after the TTL: %+v", d)
	}
	for i := range 30 {
		g.Check(req("shop", withSuffix(lv, 901+i), later.Add(time.Duration(i+1)*10*time.Second), "203.0.113.2"))
	}
	until, ok := g.Blocked("shop", later.Add(5*time.Minute))[prefix3(lv)]
	if !ok {
		t.Fatal("the block was not placed again")
	}
	if ttl := until.Sub(later); ttl < 2*time.Hour || ttl > 2*time.Hour+10*time.Minute {
		t.Fatalf("second block lasts until %s, %s after the repeat: want twice the TTL", until, ttl)
	}
	if !g.Release("shop", prefix3(lv)) || len(g.Blocked("shop", later.Add(5*time.Minute))) != 0 {
		t.Fatal("release did not lift the block")
	}
	if n := len(g.Findings()); n != 2 {
		t.Fatalf("%d findings after two episodes, want 2", n)
	}
}

// TestBlockDoesNotDependOnTheClock: a pumping burst (30 consecutive
// numbers of a block, 2 s apart, none entered) is blocked at the same
// request, give or take one (the minute window's 2.5 s buckets), wherever
// its start falls between the windows' bucket edges. A request a second
// old is not yet a code not entered: counted as one, a burst straddling an
// hour-window edge was blocked at its 11th request instead of its 18th.
func TestBlockDoesNotDependOnTheClock(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	lo, hi := 31, 0
	for off := time.Duration(0); off < 2*time.Duration(HourBucket); off += time.Second {
		g := newGuard(t, DefaultConfig())
		start := t0.Add(time.Hour + off)
		first := 0
		for i := range 30 {
			d := g.Check(req("shop", withSuffix(lv, 100+i), start.Add(time.Duration(i)*2*time.Second), fmt.Sprintf("203.0.113.%d", i+1)))
			if d.Decision == Block && first == 0 {
				first = i + 1
			}
		}
		if first == 0 {
			t.Fatalf("a burst starting %s past the hour was not blocked", off)
		}
		if lo, hi = min(lo, first), max(hi, first); hi-lo > 1 {
			t.Fatalf("a burst starting %s past the hour first blocked at request %d; others at %d to %d", off, first, lo, hi)
		}
	}
}

func TestEnteredCodesAreNotBlocked(t *testing.T) {
	// A busy block whose codes are entered: many numbers, close together,
	// but verified — never blocked.
	g := newGuard(t, DefaultConfig())
	gb := example(t, "GB", phonenumbers.MOBILE)
	for i := range 400 {
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		num := withSuffix(gb, (i*211)%1000)
		d := g.Check(req("shop", num, at, "198.51.100.7"))
		if d.Decision == Block {
			t.Fatalf("request %d blocked: %+v", i, d)
		}
		g.Verified(&Verified{App: "shop", Number: num, Time: at.Add(10 * time.Second)})
	}
}

func TestNumberRules(t *testing.T) {
	g := newGuard(t, DefaultConfig())
	cases := []struct {
		number string
		want   Verdict
		rule   string
	}{
		{example(t, "GB", phonenumbers.PREMIUM_RATE), Block, "premium-rate"},
		{example(t, "GB", phonenumbers.TOLL_FREE), Challenge, "risky-number-type"},
		{"+37100000000", Block, "invalid-number"},
		{example(t, "GB", phonenumbers.MOBILE), Allow, ""},
	}
	for _, c := range cases {
		d := g.Check(req("shop", c.number, t0, "192.0.2.1"))
		if d.Decision != c.want || d.Rule != c.rule {
			t.Errorf("%s: %+v, want %s by %q", c.number, d, c.want, c.rule)
		}
	}
}

func TestAppSettings(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	gb := example(t, "GB", phonenumbers.MOBILE)
	cfg := DefaultConfig()
	cfg.Apps = map[string]AppConfig{
		"geo":    {Allowed: []string{"GB"}, Shared: Block},
		"safe":   {SafeNumbers: []string{withSuffix(lv, 1)}, SafePrefixes: []string{prefix4(lv)}, Shared: Block},
		"soft":   {Shared: Challenge},
		"record": {Mode: RecordOnly, Allowed: []string{"GB"}},
		"chall":  {Mode: ChallengeOnly, Allowed: []string{"GB"}},
	}
	g := newGuard(t, cfg)
	if err := g.Shared().Add(prefix3(lv)); err != nil {
		t.Fatal(err)
	}
	check := func(app, number string, want Verdict, rule string) {
		t.Helper()
		d := g.Check(req(app, number, t0, "192.0.2.1"))
		if d.Decision != want || d.Rule != rule {
			t.Errorf("%s %s: %+v, want %s by %q", app, number, d, want, rule)
		}
	}
	check("geo", lv, Block, "country-not-allowed")
	check("geo", gb, Allow, "")
	check("safe", withSuffix(lv, 1), Allow, "safe-list")
	check("safe", withSuffix(lv, 2), Allow, "safe-list") // under the safe prefix
	check("other", lv, Block, "shared-intelligence")
	check("soft", lv, Challenge, "shared-intelligence")
	check("record", lv, Allow, "country-not-allowed")
	if d := g.Check(req("record", lv, t0, "192.0.2.1")); d.Would != Block {
		t.Errorf("record-only: would %s, want block", d.Would)
	}
	check("chall", lv, Challenge, "country-not-allowed")
	if !g.Shared().Remove(prefix3(lv)) {
		t.Fatal("remove")
	}
	check("other", withSuffix(lv, 500), Allow, "")
	if err := g.Shared().Add("+0123"); err == nil {
		t.Error("a prefix starting with 0 was added")
	}
}

func TestIPCountries(t *testing.T) {
	g := newGuard(t, DefaultConfig())
	var d Decision
	for i, region := range []string{"GB", "DE", "FR", "IT"} {
		d = g.Check(req("shop", example(t, region, phonenumbers.MOBILE), t0.Add(time.Duration(i)*time.Minute), "192.0.2.9"))
	}
	if d.Decision != Challenge || !d.Reasons.Has(ReasonIPCountries) {
		t.Fatalf("fourth country from one address: %+v", d)
	}
}

func TestMemoryBound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPrefixes = 100
	cfg.MaxBusy = 8
	cfg.MaxIPs = 50
	cfg.MaxApps = 3
	g := newGuard(t, cfg)
	gb := example(t, "GB", phonenumbers.MOBILE)
	busy := 0
	for i := range 4000 {
		// Blocks 0 to 19 get 16 requests in a few minutes each (busy), the
		// rest one.
		k := i % 120
		if k >= 20 {
			k = 20 + i%80
		}
		num := fmt.Sprintf("%s%02d%03d", gb[:len(gb)-5], k, (i*37)%1000)
		at := t0.Add(time.Duration(i) * time.Second)
		g.Check(req("shop", num, at, fmt.Sprintf("10.0.%d.%d", i/250, i%250)))
		g.Verified(&Verified{App: "shop", Number: num, Time: at.Add(100 * time.Millisecond)})
		a := g.apps["shop"]
		if len(a.prefixes) > cfg.MaxPrefixes || len(a.ips) > cfg.MaxIPs || g.busy > cfg.MaxBusy {
			t.Fatalf("after %d requests: %d blocks, %d busy, %d addresses", i+1, len(a.prefixes), g.busy, len(a.ips))
		}
		n := 0
		for _, b := range a.prefixes {
			if b.c != nil {
				n++
			}
			if len(b.recent) > ringSize {
				t.Fatalf("a block remembers %d requests", len(b.recent))
			}
		}
		if n != g.busy {
			t.Fatalf("after %d requests: %d blocks with counters, busy says %d", i+1, n, g.busy)
		}
		busy = max(busy, n)
	}
	if busy == 0 {
		t.Fatal("no block got counters")
	}
	// Addresses all younger than an hour at the bound: one eviction makes
	// room for a quarter of the bound, not for one address (else each new
	// address would walk the whole map).
	at := t0.Add(10 * time.Hour)
	for i := range cfg.MaxIPs + 1 {
		g.Check(req("rotating", gb, at.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("10.1.%d.%d", i/250, i%250)))
	}
	if n := len(g.apps["rotating"].ips); n > cfg.MaxIPs*3/4 {
		t.Fatalf("after an eviction at the bound: %d addresses, want at most %d", n, cfg.MaxIPs*3/4)
	}
	for i := range 10 {
		g.Check(req(fmt.Sprintf("app-%d", i), gb, t0, "192.0.2.1"))
	}
	if len(g.apps) != 4 || g.apps[OtherApps] == nil {
		t.Fatalf("%d apps with state, want 3 and the others'", len(g.apps))
	}
}

func TestConfigCheck(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"ttl":     func(c *Config) { c.BlockTTL = 0 },
		"burst":   func(c *Config) { c.BlockBurst = 99 },
		"country": func(c *Config) { c.Apps = map[string]AppConfig{"a": {Allowed: []string{"Latvia"}}} },
		"prefix":  func(c *Config) { c.Default.SafePrefixes = []string{"44"} },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := DefaultConfig().Check(); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyse(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	n, err := Analyse(lv)
	if err != nil || n.Region != "LV" || n.Type != Mobile || n.E164 != lv {
		t.Fatalf("%+v, %v", n, err)
	}
	var a Analyser
	for i := range 5 {
		m, err := a.Analyse(withSuffix(lv, i))
		if err != nil || m.Region != "LV" || m.Type != Mobile || m.Carrier != n.Carrier || m.E164 != withSuffix(lv, i) {
			t.Fatalf("cached: %+v, %v", m, err)
		}
	}
	if _, err := Analyse("+1"); err == nil || !strings.Contains(err.Error(), "E.164") {
		t.Fatalf("err = %v", err)
	}
}

// TestCampaignShapes runs campaigns of other shapes after a day of
// legitimate traffic: one across a 10,000-number block (reported as the
// 10,000), a slow one (a request every four minutes), and one whose codes
// are entered one time in five, and a low and slow one (two requests an
// hour for two days). Each is stopped within its first 20
// requests, 95% of its requests are stopped and at least half blocked.
func TestCampaignShapes(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	bases := []string{example(t, "GB", phonenumbers.MOBILE), example(t, "DE", phonenumbers.MOBILE), lv}
	cases := []struct {
		name    string
		n       int
		every   time.Duration
		entered int // one in this many entered; 0 none
		first   int // suffix of the first number; numbers run in sequence
		entity  string
		base    string // the campaign's 10,000-number block
	}{
		{"across 10,000", 3000, time.Second, 0, 0, prefix4(lv), ""},
		{"slow", 60, 4 * time.Minute, 0, 200, lv[:len(lv)-4] + "0", ""},
		{"one in five entered", 400, 3 * time.Second, 5, 300, lv[:len(lv)-4] + "0", ""},
		// Low and slow: two requests an hour for two days, to a block the
		// app's users seldom use, as pumpers choose theirs (a block as
		// busy as legit makes its first ten, hundreds of requests a day,
		// hides a campaign this slow: the sixteen requests a block
		// remembers are an hour of its users').
		{"low and slow", 96, 30 * time.Minute, 0, 500, otherP4(lv) + "0", otherP4(lv)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newGuard(t, DefaultConfig())
			if b := legit(g, "shop", bases, t0, 24*time.Hour, 10000); b != 0 {
				t.Fatalf("%d legitimate requests blocked", b)
			}
			start := t0.Add(24 * time.Hour)
			base := lv[:len(lv)-4]
			if c.base != "" {
				base = c.base
			}
			stopped, blocked, allowed := 0, 0, 0
			for i := range c.n {
				num := fmt.Sprintf("%s%04d", base, c.first+i)
				at := start.Add(time.Duration(i) * c.every)
				d := g.Check(req("shop", num, at, fmt.Sprintf("203.0.113.%d", i%250+1)))
				if d.Decision != Allow && stopped == 0 {
					stopped = i + 1
				}
				if d.Decision == Block {
					blocked++
				}
				if d.Decision == Allow {
					allowed++
				}
				if c.entered > 0 && i%c.entered == 0 && d.Decision != Block {
					g.Verified(&Verified{App: "shop", Number: num, Time: at.Add(15 * time.Second)})
				}
			}
			if stopped == 0 || stopped > 20 {
				t.Errorf("first stopped at request %d, want within 20", stopped)
			}
			if allowed > c.n/20 || blocked < c.n/2 {
				t.Errorf("%d of %d allowed, %d blocked: want at most 5%% allowed, at least half blocked", allowed, c.n, blocked)
			}
			found := g.Findings()
			var entities []string
			for _, f := range found {
				entities = append(entities, f.Entity)
			}
			if len(found) == 0 || found[0].Entity != c.entity {
				t.Errorf("findings name %v, want %s first", entities, c.entity)
			}
		})
	}
}

// TestSharedStopsCampaignAtOnce: the prefixes one app's guard found,
// shared, make a second guard block the same campaign from its first
// request.
func TestSharedStopsCampaignAtOnce(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	campaign := func(g *Guard, app string) (firstStopped int, d0 Decision) {
		for i := range 200 {
			d := g.Check(req(app, withSuffix(lv, i), t0.Add(time.Duration(i)*time.Second), "203.0.113.5"))
			if i == 0 {
				d0 = d
			}
			if d.Decision == Block && firstStopped == 0 {
				firstStopped = i + 1
			}
		}
		return firstStopped, d0
	}
	first := newGuard(t, DefaultConfig())
	if n, _ := campaign(first, "bank"); n < 2 {
		t.Fatalf("the first guard blocked at request %d: it has nothing to learn from", n)
	}
	second := newGuard(t, DefaultConfig())
	for _, f := range first.Findings() {
		if err := second.Shared().Add(f.Entity); err != nil {
			t.Fatal(err)
		}
	}
	n, d0 := campaign(second, "airline")
	if n != 1 || d0.Rule != "shared-intelligence" || d0.Prefix != prefix3(lv) {
		t.Fatalf("second guard: first blocked request %d, first decision %+v", n, d0)
	}
}

func TestAnalyserCachesOddNumbers(t *testing.T) {
	var a Analyser
	for _, n := range []string{"+441632960", "00441632960961", "not a number", "+447700900123"} {
		n1, err1 := a.Analyse(n)
		before := a.analysed
		n2, err2 := a.Analyse(n)
		if a.analysed != before {
			t.Errorf("%q analysed again", n)
		}
		if n1 != n2 || (err1 == nil) != (err2 == nil) {
			t.Errorf("%q: %+v %v, then %+v %v", n, n1, err1, n2, err2)
		}
	}
}

// TestRangesSharedByApps: a campaign that rotates over a sender's apps is
// blocked for all of them on the evidence all of them saw; the block is
// listed, and can be released, under the app that placed it only.
func TestRangesSharedByApps(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	apps := []string{"shop-android", "shop-ios", "shop-web"}
	g := newGuard(t, DefaultConfig())
	placedBy, placedAt := "", 0
	for i := range 12 {
		app := apps[i%len(apps)]
		at := t0.Add(time.Duration(i) * 40 * time.Minute)
		d := g.Check(req(app, withSuffix(lv, 100+i), at, fmt.Sprintf("203.0.113.%d", i+1)))
		if d.Decision == Block && placedAt == 0 {
			placedAt = i + 1
		}
		// A block ends after an hour; the next request places it again.
		if d.Decision == Block && d.Rule != "prefix-blocked" {
			placedBy = app
		}
	}
	// One app alone sees a request every two hours.
	if placedBy == "" || placedAt > 6 {
		t.Fatalf("blocked first at request %d (by %q), want within 6", placedAt, placedBy)
	}
	at := t0.Add(12 * 40 * time.Minute)
	for _, app := range apps {
		if d := g.Check(req(app, withSuffix(lv, 900), at, "198.51.100.1")); d.Decision != Block || d.Rule != "prefix-blocked" {
			t.Errorf("%s: %+v, want blocked by the range's block", app, d)
		}
	}
	for _, app := range apps {
		got := g.Blocked(app, at)
		if _, ok := got[prefix3(lv)]; ok != (app == placedBy) {
			t.Errorf("Blocked(%s) = %v: the block should be listed under %s only", app, got, placedBy)
		}
	}
	other := apps[0]
	if other == placedBy {
		other = apps[1]
	}
	if g.Release(other, prefix3(lv)) {
		t.Errorf("%s released a block %s placed", other, placedBy)
	}
	if !g.Release(placedBy, prefix3(lv)) {
		t.Fatalf("%s could not release its block", placedBy)
	}
	if d := g.Check(req(other, withSuffix(lv, 950), at.Add(time.Second), "198.51.100.2")); d.Rule == "prefix-blocked" {
		t.Errorf("after release: %+v", d)
	}
}

// TestScatteredUnenteredNotBlocked: a block's legitimate users, spread
// over its numbers, some of whom never enter their code, over days, are
// never blocked by the day-long rules.
func TestScatteredUnenteredNotBlocked(t *testing.T) {
	lv := example(t, "LV", phonenumbers.MOBILE)
	g := newGuard(t, DefaultConfig())
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3 * 48 {
		at := t0.Add(time.Duration(i) * 30 * time.Minute)
		num := withSuffix(lv, rng.IntN(1000))
		d := g.Check(req("shop", num, at, fmt.Sprintf("198.51.100.%d", i%250+1)))
		if d.Decision == Block {
			t.Fatalf("request %d to %s blocked: %+v", i, num, d)
		}
		if rng.IntN(10) >= 3 { // seven in ten entered: a bad day
			g.Verified(&Verified{App: "shop", Number: num, Time: at.Add(30 * time.Second)})
		}
	}
}
