package sms

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Bounds of a Series.
const (
	// SeriesHours is how many hour buckets a Series keeps: two days, the
	// hour holding the newest event and the 47 before it.
	SeriesHours = 48
	// SeriesMaxApps bounds the apps with their own counts; events of
	// later apps are counted under OtherApps, as the Guard does.
	SeriesMaxApps = 64
	// SeriesMaxCountries bounds the destination countries counted per
	// app (libphonenumber knows about 250 regions, so the bound is not
	// met in practice); events of later countries are counted under "",
	// the key of numbers without a country (invalid ones).
	SeriesMaxCountries = 300
	// SeriesMaxPrefixes bounds the 1,000-number blocks counted per app:
	// the busiest and most blocked ones (see Series).
	SeriesMaxPrefixes = 50
	// SeriesMaxSkew is how far after now an event's time may be: later
	// ones are dropped, so that one wrong clock cannot slide every count
	// out of the window.
	SeriesMaxSkew = 5 * time.Minute
)

// A Tally counts the requests of an hour, or of a span of hours, by the
// verdict answered, and the codes entered (verifications).
type Tally struct {
	Requests   uint32 `json:"requests"`
	Allowed    uint32 `json:"allowed"`
	Challenged uint32 `json:"challenged"`
	Blocked    uint32 `json:"blocked"`
	Entered    uint32 `json:"entered"`
}

func (t *Tally) add(o Tally) {
	t.Requests += o.Requests
	t.Allowed += o.Allowed
	t.Challenged += o.Challenged
	t.Blocked += o.Blocked
	t.Entered += o.Entered
}

func (t *Tally) sub(o Tally) {
	t.Requests -= o.Requests
	t.Allowed -= o.Allowed
	t.Challenged -= o.Challenged
	t.Blocked -= o.Blocked
	t.Entered -= o.Entered
}

// Conversion is codes entered ÷ requests, as Vonage and the issue define
// it; ok is false when there were no requests. It may exceed 1 when codes
// requested before the span were entered in it.
func (t Tally) Conversion() (c float64, ok bool) {
	if t.Requests == 0 {
		return 0, false
	}
	return float64(t.Entered) / float64(t.Requests), true
}

// hourly is SeriesHours hour buckets and their sum: 980 bytes.
type hourly struct {
	h   [SeriesHours]Tally
	sum Tally
}

func (c *hourly) add(slot int, t Tally) {
	c.h[slot].add(t)
	c.sum.add(t)
}

func (c *hourly) clear(slot int) {
	c.sum.sub(c.h[slot])
	c.h[slot] = Tally{}
}

// prefixCounts is a 1,000-number block's hours, with its country and
// carrier (of its first request) and the hour it was last counted in.
type prefixCounts struct {
	hourly
	country, carrier string
	seen             int64
}

// score orders prefixes for keeping: requests in the window, blocked ones
// twice.
func (p *prefixCounts) score() uint64 { return uint64(p.sum.Requests) + uint64(p.sum.Blocked) }

type appCounts struct {
	total     hourly
	countries map[string]*hourly
	prefixes  map[string]*prefixCounts
}

// A Series counts an organization's SMS requests and verifications per
// app and hour, for the last SeriesHours hours: in all, per destination
// country and per 1,000-number block (Decision.Prefix). It does no I/O
// and is safe for concurrent use.
//
// Prefixes: an app counts at most SeriesMaxPrefixes blocks. When a request
// comes to another block and the app counts as many, the block with the
// lowest score (requests in the window plus blocked requests, so that a
// blocked campaign stays; the least recently counted of equals) gives its
// place. A block's counts start when it was last taken in, and a block
// whose traffic is no more than the least kept one's may be missing: the
// per-app and per-country counts are complete, the per-prefix ones are
// the top of the traffic. A verification counts under its block only when
// the block is kept.
//
// Time: the hours are a window sliding with the newest event (of any
// app); an event older than the window is dropped, and so is one more
// than SeriesMaxSkew after the now it is recorded at. Dropped counts
// both.
//
// Memory: an app's counts are 980 bytes for the app, 980 bytes and a map
// entry (~1 KB) per country and ~1.1 KB per block: at most about 365 KB
// per app at the bounds (300 countries), about 75 KB for an app sending
// to 20 countries; at most SeriesMaxApps apps, so at most about 23 MB,
// in practice a few MB.
type Series struct {
	mu      sync.Mutex
	started bool  // an event was counted
	last    int64 // the newest hour (Unix hours) counted; slots before last-SeriesHours+1 are cleared
	apps    map[string]*appCounts
	// Dropped counts the events dropped: too old, or too far ahead.
	dropped uint64
}

// NewSeries returns an empty Series.
func NewSeries() *Series { return &Series{apps: map[string]*appCounts{}} }

func slotOf(hour int64) int { return int(((hour % SeriesHours) + SeriesHours) % SeriesHours) }

// hour returns the bucket of at, sliding the window forward when at is
// newer than every event so far, and reports whether at is counted.
func (s *Series) hour(at, now time.Time) (int, bool) {
	if at.After(now.Add(SeriesMaxSkew)) {
		s.dropped++
		return 0, false
	}
	k := floorDiv(at.UnixNano(), hourNS)
	switch {
	case !s.started:
		s.started, s.last = true, k
	case k > s.last:
		s.slide(k)
	case k <= s.last-SeriesHours:
		s.dropped++
		return 0, false
	}
	return slotOf(k), true
}

// slide moves the window's newest hour to k: the hours that slide out are
// cleared, and countries and prefixes left with nothing are forgotten.
func (s *Series) slide(k int64) {
	from := s.last + 1
	if k-from >= SeriesHours {
		from = k - SeriesHours + 1
	}
	for _, a := range s.apps {
		for j := from; j <= k; j++ {
			sl := slotOf(j)
			a.total.clear(sl)
			for _, c := range a.countries {
				c.clear(sl)
			}
			for _, p := range a.prefixes {
				p.clear(sl)
			}
		}
		for key, c := range a.countries {
			if c.sum == (Tally{}) {
				delete(a.countries, key)
			}
		}
		for key, p := range a.prefixes {
			if p.sum == (Tally{}) {
				delete(a.prefixes, key)
			}
		}
	}
	s.last = k
}

func (s *Series) app(name string) *appCounts {
	a := s.apps[name]
	if a != nil {
		return a
	}
	if len(s.apps) >= SeriesMaxApps {
		name = OtherApps
		if a = s.apps[name]; a != nil {
			return a
		}
	}
	a = &appCounts{countries: map[string]*hourly{}, prefixes: map[string]*prefixCounts{}}
	s.apps[name] = a
	return a
}

func (a *appCounts) country(region string) *hourly {
	c := a.countries[region]
	if c == nil {
		if len(a.countries) >= SeriesMaxCountries {
			region = ""
			if c = a.countries[region]; c != nil {
				return c
			}
		}
		c = &hourly{}
		a.countries[region] = c
	}
	return c
}

// prefix returns the counts of block p, taking it in (and letting the
// lowest-scored block go at the bound) when take is set.
func (a *appCounts) prefix(p string, take bool, d *Decision, hour int64) *prefixCounts {
	pc := a.prefixes[p]
	if pc != nil || !take {
		return pc
	}
	if len(a.prefixes) >= SeriesMaxPrefixes {
		var low string
		var lp *prefixCounts
		for key, q := range a.prefixes {
			if lp == nil || q.score() < lp.score() || q.score() == lp.score() && (q.seen < lp.seen || q.seen == lp.seen && key < low) {
				low, lp = key, q
			}
		}
		delete(a.prefixes, low)
	}
	pc = &prefixCounts{country: d.Country, carrier: d.Carrier, seen: hour}
	a.prefixes[p] = pc
	return pc
}

func tallyOf(d Verdict) Tally {
	t := Tally{Requests: 1}
	switch d {
	case Allow:
		t.Allowed = 1
	case Challenge:
		t.Challenged = 1
	default:
		t.Blocked = 1
	}
	return t
}

// Check counts a request to number for app at time at, answered d, as
// recorded at now (see Series on time). The request counts by the verdict
// answered (d.Decision: in record-only mode, allow). A number Check could
// not parse (d.Prefix is the number itself) counts for the app and its
// country but under no block.
func (s *Series) Check(app, number string, at, now time.Time, d Decision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.hour(at, now)
	if !ok {
		return
	}
	t := tallyOf(d.Decision)
	a := s.app(app)
	a.total.add(sl, t)
	a.country(d.Country).add(sl, t)
	if d.Prefix != "" && d.Prefix != number {
		k := floorDiv(at.UnixNano(), hourNS)
		p := a.prefix(d.Prefix, true, &d, k)
		p.add(sl, t)
		p.seen = max(p.seen, k)
	}
}

// Verified counts a code entered for number of app at time at, as
// recorded at now; num is the number's analysis (as Guard.Verified gives it back). An
// invalid number counts nowhere, as the Guard ignores it.
func (s *Series) Verified(app, number string, at, now time.Time, num Number) {
	if num.Type == Invalid || !isE164(number) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.hour(at, now)
	if !ok {
		return
	}
	t := Tally{Entered: 1}
	a := s.app(app)
	a.total.add(sl, t)
	a.country(num.Region).add(sl, t)
	if p := a.prefix(prefix3(number), false, nil, 0); p != nil {
		p.add(sl, t)
	}
}

// Dropped is how many events the Series dropped (see Series on time).
func (s *Series) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// AppSeries is a copy of an app's counts for the SeriesHours hours ending
// with the hour of the now it was taken at (or with the newest event's,
// when that is later).
type AppSeries struct {
	App string `json:"app"`
	// Start is the first hour: Hours[i] counts the hour from Start + i h.
	Start time.Time `json:"start"`
	Hours []Tally   `json:"hours"`
	Total Tally     `json:"total"`
	// Countries (by ISO 3166-1 code; "" for numbers without one) and
	// Prefixes (1,000-number blocks), busiest first; empty in a listing
	// of apps (Series.Apps).
	Countries []SeriesLine `json:"countries,omitempty"`
	Prefixes  []SeriesLine `json:"prefixes,omitempty"`
}

// SeriesLine is a country's or a block's counts in an AppSeries.
type SeriesLine struct {
	Key string `json:"key"`
	// Country and Carrier are a block's, from its first request counted.
	Country string  `json:"country,omitempty"`
	Carrier string  `json:"carrier,omitempty"`
	Hours   []Tally `json:"hours"`
	Total   Tally   `json:"total"`
}

// Last is the sum of the last n hours (all of them when n is more).
func (a AppSeries) Last(n int) Tally {
	var t Tally
	for _, h := range a.Hours[max(0, len(a.Hours)-n):] {
		t.add(h)
	}
	return t
}

// end is the newest hour a copy taken at now shows.
func (s *Series) end(now time.Time) int64 { return max(s.last, floorDiv(now.UnixNano(), hourNS)) }

// copyHours copies c's hours oldest first for the window ending at end.
func (s *Series) copyHours(c *hourly, end int64) ([]Tally, Tally) {
	out := make([]Tally, SeriesHours)
	var sum Tally
	for i := range out {
		k := end - SeriesHours + 1 + int64(i)
		if k > s.last || k <= s.last-SeriesHours {
			continue // not yet, or slid out
		}
		out[i] = c.h[slotOf(k)]
		sum.add(out[i])
	}
	return out, sum
}

// Apps lists the apps counted, by name, with their hours but no countries
// or prefixes.
func (s *Series) Apps(now time.Time) []AppSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.end(now)
	out := make([]AppSeries, 0, len(s.apps))
	for name, a := range s.apps {
		as := AppSeries{App: name, Start: time.Unix(0, (end-SeriesHours+1)*hourNS).UTC()}
		as.Hours, as.Total = s.copyHours(&a.total, end)
		out = append(out, as)
	}
	slices.SortFunc(out, func(x, y AppSeries) int { return cmp.Compare(x.App, y.App) })
	return out
}

// App returns a copy of app's counts with its countries and prefixes,
// busiest first (then by key); ok is false when the app was never counted
// (or only slid out since).
func (s *Series) App(app string, now time.Time) (AppSeries, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[app]
	if a == nil {
		return AppSeries{}, false
	}
	end := s.end(now)
	as := AppSeries{App: app, Start: time.Unix(0, (end-SeriesHours+1)*hourNS).UTC()}
	as.Hours, as.Total = s.copyHours(&a.total, end)
	as.Countries = make([]SeriesLine, 0, len(a.countries))
	for key, c := range a.countries {
		l := SeriesLine{Key: key}
		l.Hours, l.Total = s.copyHours(c, end)
		as.Countries = append(as.Countries, l)
	}
	as.Prefixes = make([]SeriesLine, 0, len(a.prefixes))
	for key, p := range a.prefixes {
		l := SeriesLine{Key: key, Country: p.country, Carrier: p.carrier}
		l.Hours, l.Total = s.copyHours(&p.hourly, end)
		as.Prefixes = append(as.Prefixes, l)
	}
	busiest := func(x, y SeriesLine) int {
		return cmp.Or(cmp.Compare(y.Total.Requests, x.Total.Requests), cmp.Compare(x.Key, y.Key))
	}
	slices.SortFunc(as.Countries, busiest)
	slices.SortFunc(as.Prefixes, busiest)
	return as, true
}
