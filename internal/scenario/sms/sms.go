// Package sms generates the "sms" scenario kind: the stream of one-time
// password requests an app that sends SMS codes receives, with SMS pumping
// (artificially inflated traffic) campaigns hidden in it.
//
// # Output
//
// requests.jsonl holds one request per line, in time order, with its keys
// always in this order:
//
//	{"time":"2026-11-02T00:00:10.97298589Z","id":"req-bba53689fe69ac13","number":"+17815202646",
//	 "country":"US","client_ip":"194.124.119.180","user_agent":"AzureSkies/7.4.1 (com.azureskies.app;
//	 iPhone14,5; iOS 17.5.1) Alamofire/5.9.1","app":"azureskies-ios","verified":true,
//	 "verified_at":"2026-11-02T00:00:47.155517049Z"}
//
// time and verified_at are RFC 3339 with nanoseconds, in UTC; verified_at is
// absent when the code was never entered. number is E.164 and country the
// ISO 3166-1 alpha-2 region libphonenumber gives it. truth.jsonl holds one
// sms-pumping line per campaign: entity is the E.164 prefix shared by every
// number of the targeted block, start and end the campaign's first and last
// request; detail gives the campaign kind (campaign: burst, low-and-slow,
// in-country or verifying), the country, operator, block, number pattern,
// requests and codes entered (verified), and cut_short when the end of
// the run cut the campaign short. negatives.jsonl holds one line per
// legitimate surge, the hard negatives a guard should let through:
//
//	{"kind":"launch","country":"CR","start":"2026-11-03T06:41:52.932671203Z",
//	 "end":"2026-11-06T17:22:12.372572565Z","requests":3042,"verified":2664}
//
// kind is launch or marketing-push, start and end the surge's first and
// last request, requests and verified its own (the country's usual traffic
// goes on beside a marketing push).
//
// # Defaults
//
// --count is the number of requests, 100,000 by default. The app receives
// 100,000 requests a day on average, so the default covers about a day
// from --start and larger counts cover proportionally more days.
//
// Legitimate traffic (about 95%) comes from 71 countries weighted like a
// global consumer app's users (US 16%, India 9%, Brazil 6%, UK 5%, ...;
// see data.go),
// each following a diurnal rhythm in its local time; 85% to 95% of codes
// are entered, 3 seconds to 10 minutes later, and some users ask again
// after a minute or two when the first code did not arrive. Numbers are
// valid mobile numbers of the country, client addresses are spread over the
// public IPv4 space with some carrier-grade NAT addresses shared per
// country, and user agents are the Android and iOS apps' and current
// browsers'.
//
// One pumping campaign is placed per 20,000 requests (five in the default
// run), at random in successive slots, its kind in turn burst,
// low-and-slow, burst, in-country, verifying (a 500,000-request run has
// ten bursts and five of each other kind). No two running campaigns share
// a block.
//
//   - burst: 200 to 2,500 requests over 5 to 60 minutes to a block of
//     1,000 or 10,000 consecutive mobile numbers of one operator in one of
//     twelve favoured destinations (Uzbekistan, Latvia, Kyrgyzstan, ...),
//     in sequence or in clusters, from addresses rotating through a few
//     hosting networks, with scripting-client, stale-browser or
//     retired-app user agents, and at most 1.5% of codes entered;
//   - low-and-slow: 1 to 4 requests an hour for 24 to 72 hours to such a
//     block, from 256 to 1,024 residential addresses (a new one almost
//     every request) with stale browsers, the retired app or the current
//     apps on any device, at most 4% entered;
//   - in-country: 30% to 100% of a large market's own volume (a country
//     with at least 2% of the traffic: US, India, Brazil, ...) for 1 to
//     4 hours, to a block of that country apart from its users' ranges,
//     from 64 to 512 addresses with the current apps' user agents, at
//     most 4% entered;
//   - verifying: 200 to 1,500 requests over 30 minutes to 6 hours to a
//     favoured destination's block from a farm of real phones (10 to 60
//     devices with the current apps, 4 to 31 addresses) that enters 20% to
//     40% of the codes, to pass conversion checks.
//
// One legitimate surge is placed per 100,000 requests, in turn a
// marketing push and a launch, each in its own slot (a 500,000-request
// run has three pushes and two launches; the default run one push):
//
//   - marketing-push: a large market's rate rises by 1.5 to 4 times its
//     own for 2 to 8 hours;
//   - launch: a country the app did not serve (Costa Rica, Uruguay,
//     Ecuador, ..., in turn from a point the seed chooses) starts from nothing and rises linearly over 2 to 4
//     days to 1% to 2.5% of the legitimate rate, then stays, to the end of
//     the run.
//
// Surge users are legitimate users of their country in every respect:
// numbers, addresses, apps, and 86% to 95% of codes entered.
//
// # Numbers
//
// Every number is valid for its region according to libphonenumber.
// Validating each number would cost microseconds; instead the generator
// proves whole blocks valid at start-up (see numbers.go) and draws from
// them.
package sms

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// Kind is the sms scenario kind.
var Kind = scenario.Kind{
	Name:     "sms",
	Summary:  "OTP requests to an SMS-sending app with pumping campaigns (requests.jsonl)",
	Defaults: defaults,
	Check:    check,
	Generate: generate,
}

func init() { scenario.Register(Kind) }

// Sizes and rates; see the package documentation.
const (
	DefaultCount = 100_000
	// MaxCount bounds --count.
	MaxCount = 1_000_000_000

	requestsPerDay  = 100_000
	requestsPerPump = 20_000 // one campaign per this many requests
	minPumpSize     = 200
	maxPumpSize     = 2_500
	minPumpMinutes  = 5
	maxPumpMinutes  = 60
	// retryShare is the share of unverified legitimate requests followed
	// by a second request for the same number.
	retryShare = 0.5
	// natShare is the share of legitimate requests from one of a few
	// carrier-grade NAT addresses per country.
	natShare      = 0.25
	natPerCountry = 24
	proxyNetworks = 8
	// Legitimate number ranges per country: 1.5 per percent of traffic,
	// within these bounds.
	minRanges     = 4
	maxRanges     = 24
	blocksPerLand = 3 // pumping blocks per target country

	// Low-and-slow campaigns: a few requests an hour over days.
	minSlowHours, maxSlowHours     = 24, 72
	minSlowPerHour, maxSlowPerHour = 1.0, 4.0
	// In-country campaigns: a fraction of the country's own volume.
	minInCountryMinutes, maxInCountryMinutes = 60, 240
	minInCountryShare, maxInCountryShare     = 0.3, 1.0
	inCountryMinShare                        = 2.0 // percent of traffic a market needs to be targeted
	// Verifying campaigns: a farm of phones enters some of the codes.
	minFarmVerify, maxFarmVerify   = 0.20, 0.40
	minFarmSize, maxFarmSize       = 200, 1_500
	minFarmMinutes, maxFarmMinutes = 30, 360

	// requestsPerSurge places one legitimate surge per this many requests.
	requestsPerSurge = 100_000
	// Launch: a new market's traffic rises from nothing to a peak share of
	// the legitimate rate over two to four days.
	minLaunchPeak, maxLaunchPeak = 0.01, 0.025
	minRampDays, maxRampDays     = 2.0, 4.0
	// Marketing push: an existing market's rate rises by a factor for a
	// few hours.
	minPushFactor, maxPushFactor   = 1.5, 4.0
	minPushMinutes, maxPushMinutes = 120, 480
)

// Campaign kinds, as truth lines name them in detail.campaign.
const (
	Burst      = "burst"
	LowAndSlow = "low-and-slow"
	InCountry  = "in-country"
	Verifying  = "verifying"
)

// campaignKinds is the rotation of kinds over successive campaigns: two in
// five are bursts, one in five of each other kind.
var campaignKinds = [...]string{Burst, LowAndSlow, Burst, InCountry, Verifying}

// Legitimate surge kinds, as negatives.jsonl names them.
const (
	Launch        = "launch"
	MarketingPush = "marketing-push"
)

func defaults(p *scenario.Params) {
	if p.Count == 0 {
		p.Count = DefaultCount
	}
}

func check(p *scenario.Params) error {
	if p.Count < 1 || p.Count > MaxCount {
		return fmt.Errorf("--count %d: the sms kind needs 1 to %d requests", p.Count, MaxCount)
	}
	return nil
}

// meanPumpSize is the mean of the log-uniform campaign size.
var meanPumpSize = (maxPumpSize - minPumpSize) / math.Log(maxPumpSize/minPumpSize)

// world is everything drawn once per run.
type world struct {
	start      time.Time
	countries  []land
	targets    []target
	targetW    []float64 // cumulative target weights
	blocks     map[string][]numberRange
	proxies    []uint32 // hosting network bases, /20
	legitRate  float64  // legitimate requests per minute, on average
	pumps      int      // campaigns in the run
	slot       float64  // minutes per campaign slot
	idKey      uint64
	totalShare float64
	// inCountry lists the large markets in-country campaigns target, as
	// indices into countries, with their blocks in inBlocks.
	inCountry []int
	inBlocks  map[string][]numberRange
	// Surges: how many, the minutes per surge slot, the large markets a
	// push may hit and the lands of the new markets launches add.
	surgeSlots int
	surgeSlot  float64
	markets    []int
	launches   []int
}

// land is a country with its number ranges and shared addresses.
type land struct {
	country
	ranges []numberRange
	nat    []uint32
	verify float64 // share of codes entered
}

func generate(ctx context.Context, r *scenario.Run) (err error) {
	w, err := newWorld(r)
	if err != nil {
		return err
	}
	out, err := r.Create("requests.jsonl")
	if err != nil {
		return err
	}
	bar := r.Bar("sms", r.Params.Count, "requests")
	defer bar.Finish()
	p := scenario.NewPipe(out)
	defer func() {
		if werr := p.Close(); werr != nil && err == nil {
			err = fmt.Errorf("write requests.jsonl: %w", werr)
		}
	}()
	g := newGenerator(w, r)
	g.buf = p.Buffer()
	for minute := int64(0); g.written < g.count; minute++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		before := g.written
		if err := g.minute(minute); err != nil {
			return err
		}
		if len(g.buf) >= scenario.PipeChunk || g.written == g.count {
			p.Send(g.buf)
			g.buf = p.Buffer()
		}
		bar.Add(g.written - before)
	}
	// Campaigns cut short by the end of the run.
	for _, c := range g.active {
		if err := g.truth(c); err != nil {
			return err
		}
	}
	return g.negatives()
}

// Negative is a line of negatives.jsonl: a legitimate surge, which a guard
// should let through.
type Negative struct {
	Kind     string    `json:"kind"` // Launch or MarketingPush
	Country  string    `json:"country"`
	Start    time.Time `json:"start"` // the surge's first request
	End      time.Time `json:"end"`   // its last
	Requests int       `json:"requests"`
	Verified int       `json:"verified"`
}

// negatives writes negatives.jsonl, one line per surge that sent requests.
func (g *generator) negatives() error {
	out, err := g.run.Create("negatives.jsonl")
	if err != nil {
		return err
	}
	for _, s := range g.surges {
		if s.written == 0 {
			continue
		}
		line, err := json.Marshal(Negative{
			Kind: s.kind, Country: g.countries[s.land].Region,
			Start: time.Unix(0, s.first).UTC(), End: time.Unix(0, s.last).UTC(),
			Requests: s.written, Verified: s.verified,
		})
		if err != nil {
			return err
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return nil
}

func newWorld(r *scenario.Run) (*world, error) {
	finder, err := newRangeFinder()
	if err != nil {
		return nil, err
	}
	rng := r.Rand("sms/world")
	w := &world{start: r.Params.Start, blocks: map[string][]numberRange{}, idKey: rng.Uint64()}
	for _, c := range countries {
		want := min(max(int(math.Round(c.Share*1.5)), minRanges), maxRanges)
		ranges, err := finder.ranges(rng, c.Region, want, 3, 6)
		if err != nil {
			return nil, err
		}
		l := land{country: c, ranges: ranges, verify: 0.86 + 0.09*rng.Float64()}
		for range natPerCountry {
			l.nat = append(l.nat, publicIPv4(rng))
		}
		w.countries = append(w.countries, l)
		w.totalShare += c.Share
	}
	total := 0.0
	for _, t := range targets {
		// Blocks of 1,000 or 10,000 numbers: three or four free digits.
		blocks, err := finder.ranges(rng, t.Region, blocksPerLand, 3, 3+rng.IntN(2))
		if err != nil {
			return nil, err
		}
		w.blocks[t.Region] = blocks
		w.targets = append(w.targets, t)
		total += t.Weight
		w.targetW = append(w.targetW, total)
	}
	for len(w.proxies) < proxyNetworks {
		if a := publicIPv4(rng) &^ 0xfff; !slices.Contains(w.proxies, a) {
			w.proxies = append(w.proxies, a)
		}
	}
	// Blocks for in-country campaigns: apart from the ranges the
	// country's users have, so that a block's requests are the campaign's.
	w.inBlocks = map[string][]numberRange{}
	for i := range w.countries {
		l := &w.countries[i]
		if l.Share < inCountryMinShare {
			continue
		}
		blocks, err := finder.ranges(rng, l.Region, blocksPerLand+2, 3, 3+rng.IntN(2))
		if err != nil {
			return nil, err
		}
		blocks = slices.DeleteFunc(blocks, func(b numberRange) bool {
			return slices.ContainsFunc(l.ranges, func(r numberRange) bool { return overlap(b.Prefix, r.Prefix) })
		})
		if len(blocks) > 0 {
			w.inCountry = append(w.inCountry, i)
			w.inBlocks[l.Region] = blocks
		}
	}
	n := r.Params.Count
	if err := w.planSurges(r, finder, n); err != nil {
		return nil, err
	}
	w.pumps = int(n / requestsPerPump)
	if w.pumps == 0 && n >= 2_000 {
		w.pumps = 1
	}
	days := float64(n) / requestsPerDay
	w.legitRate = (requestsPerDay - requestsPerDay/requestsPerPump*meanPumpSize) / (24 * 60)
	if w.pumps > 0 {
		w.slot = days * 24 * 60 / float64(w.pumps)
	}
	return w, nil
}

// overlap reports whether two number prefixes share numbers.
func overlap(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }

// surge is a legitimate rise in traffic, not an attack: the hard negatives
// that negatives.jsonl lists.
type surge struct {
	kind  string
	land  int     // index into countries
	start int64   // Unix nanoseconds
	end   int64   // planned end; a launch lasts to the end of the run
	ramp  float64 // launch: minutes from nothing to the full rate
	rate  float64 // launch: requests a minute at the full rate; push: the factor added to the country's rate

	written, verified int
	first, last       int64
}

// planSurges prepares one surge per requestsPerSurge requests: the
// markets a marketing push may hit and a land for each new market a launch
// will add (at most one launch per new market; later launch slots hold
// pushes).
func (w *world) planSurges(r *scenario.Run, finder *rangeFinder, n int64) error {
	w.surgeSlots = int(n / requestsPerSurge)
	if w.surgeSlots == 0 {
		return nil
	}
	w.surgeSlot = float64(n) / requestsPerDay * 24 * 60 / float64(w.surgeSlots)
	for i, c := range w.countries {
		if c.Share >= inCountryMinShare {
			w.markets = append(w.markets, i)
		}
	}
	// The launches take the new markets in turn from a point of the seed's.
	first := r.Rand("sms/surges").IntN(len(newMarkets))
	for j := range min(w.surgeSlots/2, len(newMarkets)) {
		rng := r.Rand("sms/launch/" + strconv.Itoa(j))
		c := newMarkets[(first+j)%len(newMarkets)]
		ranges, err := finder.ranges(rng, c.Region, minRanges, 3, 6)
		if err != nil {
			return err
		}
		l := land{country: c, ranges: ranges, verify: 0.86 + 0.09*rng.Float64()}
		for range natPerCountry {
			l.nat = append(l.nat, publicIPv4(rng))
		}
		w.launches = append(w.launches, len(w.countries))
		w.countries = append(w.countries, l) // Share 0: no traffic but the launch's
	}
	return nil
}

// newSurge plans surge i, in its slot, from its own random stream: a
// marketing push when i is even, a launch when it is odd and a new market
// is left.
func (g *generator) newSurge(i int) *surge {
	rng := g.run.Rand("sms/surge/" + strconv.Itoa(i))
	s := &surge{}
	at := (float64(i) + 0.05 + 0.5*rng.Float64()) * g.surgeSlot
	s.start = g.start.UnixNano() + int64(at*float64(time.Minute))
	if i%2 == 1 && i/2 < len(g.launches) {
		s.kind = Launch
		s.land = g.launches[i/2]
		peak := minLaunchPeak + (maxLaunchPeak-minLaunchPeak)*rng.Float64()
		s.rate = peak * g.legitRate
		s.ramp = (minRampDays + (maxRampDays-minRampDays)*rng.Float64()) * 24 * 60
		s.end = math.MaxInt64
		return s
	}
	s.kind = MarketingPush
	s.land = g.markets[rng.IntN(len(g.markets))]
	s.rate = minPushFactor + (maxPushFactor-minPushFactor)*rng.Float64()
	minutes := minPushMinutes + (maxPushMinutes-minPushMinutes)*rng.Float64()
	s.end = s.start + int64(minutes*float64(time.Minute))
	return s
}

func newGenerator(w *world, r *scenario.Run) *generator {
	return &generator{
		world:  w,
		run:    r,
		emit:   r.Truth,
		rng:    r.Rand("sms/traffic"),
		count:  r.Params.Count,
		weight: make([]float64, len(w.countries)),
	}
}

// publicIPv4 draws a public unicast IPv4 address.
func publicIPv4(rng *rand.Rand) uint32 {
	for {
		if a := rng.Uint32(); isPublic(a) {
			return a
		}
	}
}

// generator is the state of the stream.
type generator struct {
	*world
	run     *scenario.Run
	emit    func(finding.Finding) error // writes a truth line
	rng     *rand.Rand                  // legitimate traffic and per-request choices
	count   int64
	written int64
	seq     uint32

	weight  []float64 // cumulative country weights of the current minute
	batch   []event   // this minute's requests
	carry   []event   // retries due in later minutes
	active  []*campaign
	plan    *campaign // the next campaign, planned but not started
	nextPmp int       // index of the next campaign to start
	surges  []*surge  // the surges started, in order
	live    []*surge  // the surges started and not over
	splan   *surge    // the next surge, planned but not started
	nextSrg int       // index of the next surge to start
	buf     []byte
}

// event is one request before it is written.
type event struct {
	at     int64 // Unix nanoseconds
	seq    uint32
	camp   *campaign // nil for legitimate traffic
	surge  *surge    // the legitimate surge the request belongs to, if any
	land   int16
	rng    int16 // index into the land's ranges
	app    uint8
	ua     uint16
	retry  bool
	suffix uint64
	ip     uint32
}

// minute generates and writes the requests of one minute.
func (g *generator) minute(m int64) error {
	t0 := g.start.Add(time.Duration(m) * time.Minute).UnixNano()
	t1 := t0 + int64(time.Minute)
	g.batch = g.batch[:0]
	keep := g.carry[:0]
	for _, e := range g.carry {
		if e.at < t1 {
			g.batch = append(g.batch, e)
		} else {
			keep = append(keep, e)
		}
	}
	g.carry = keep
	g.legit(t0)
	g.campaigns(t0, t1)
	slices.SortFunc(g.batch, func(a, b event) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return int(int64(a.seq) - int64(b.seq))
	})
	for i := range g.batch {
		if g.written == g.count {
			break
		}
		g.write(&g.batch[i])
	}
	// Campaigns that are done.
	keepC := g.active[:0]
	for _, c := range g.active {
		if c.remaining == 0 && c.written == c.created {
			if err := g.truth(c); err != nil {
				return err
			}
			continue
		}
		keepC = append(keepC, c)
	}
	g.active = keepC
	return nil
}

// legit adds the minute's legitimate requests, the surges' among them.
func (g *generator) legit(t0 int64) {
	minuteOfDay := float64(((t0/int64(time.Minute))%(24*60) + 24*60) % (24 * 60))
	total := 0.0
	for i := range g.countries {
		c := &g.countries[i]
		total += c.Share * rhythm(c.UTCOffset, minuteOfDay)
		g.weight[i] = total
	}
	k := poisson(g.rng, g.legitRate*total/g.totalShare)
	for range k {
		li := sort.SearchFloat64s(g.weight, g.rng.Float64()*total)
		li = min(li, len(g.countries)-1)
		at := t0 + g.rng.Int64N(int64(time.Minute))
		g.batch = append(g.batch, g.legitEvent(at, li))
	}
	t1 := t0 + int64(time.Minute)
	for g.nextSrg < g.surgeSlots {
		if g.splan == nil {
			g.splan = g.newSurge(g.nextSrg)
		}
		if g.splan.start >= t1 {
			break
		}
		g.surges = append(g.surges, g.splan)
		g.live = append(g.live, g.splan)
		g.splan = nil
		g.nextSrg++
	}
	g.live = slices.DeleteFunc(g.live, func(s *surge) bool { return s.end <= t0 })
	for _, s := range g.live {
		if s.start >= t1 {
			continue
		}
		from, to := max(s.start, t0), min(s.end, t1)
		c := &g.countries[s.land]
		rate := rhythm(c.UTCOffset, minuteOfDay) * float64(to-from) / float64(time.Minute)
		if s.kind == Launch {
			rate *= s.rate * min(1, float64(to-s.start)/float64(time.Minute)/s.ramp)
		} else {
			rate *= s.rate * g.legitRate * c.Share / g.totalShare
		}
		for range poisson(g.rng, rate) {
			e := g.legitEvent(from+g.rng.Int64N(to-from), s.land)
			e.surge = s
			g.batch = append(g.batch, e)
		}
	}
}

// rhythm is the diurnal factor (mean 1) of a country with the given UTC
// offset at a minute of the UTC day.
func rhythm(offset int, minuteOfDay float64) float64 {
	const day = 24 * 60
	local := math.Mod(minuteOfDay+float64(offset)+day, day) / 60
	h := int(local)
	frac := local - float64(h)
	return diurnal[h]*(1-frac) + diurnal[(h+1)%24]*frac
}

// legitEvent draws a legitimate request at a time from country li.
func (g *generator) legitEvent(at int64, li int) event {
	l := &g.countries[li]
	e := event{at: at, seq: g.nextSeq(), land: int16(li)}
	e.rng = int16(g.rng.IntN(len(l.ranges)))
	e.suffix = g.rng.Uint64N(l.ranges[e.rng].Size())
	if g.rng.Float64() < natShare {
		e.ip = l.nat[g.rng.IntN(len(l.nat))]
	} else {
		e.ip = publicIPv4(g.rng)
	}
	switch p := g.rng.Float64(); {
	case p < webShare:
		e.app, e.ua = 2, uint16(g.rng.IntN(len(browsers)))
	case p < webShare+(1-webShare)*l.IOS:
		e.app, e.ua = 1, uint16(g.rng.IntN(1<<16))
	default:
		e.app, e.ua = 0, uint16(g.rng.IntN(1<<16))
	}
	return e
}

func (g *generator) nextSeq() uint32 {
	g.seq++
	return g.seq
}

// poisson draws from a Poisson distribution with mean lambda.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// write appends one request line to the buffer.
func (g *generator) write(e *event) {
	b := g.buf
	b = append(b, `{"time":"`...)
	b = time.Unix(0, e.at).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","id":"req-`...)
	b = appendHex64(b, mix(uint64(g.written)^g.idKey))
	b = append(b, `","number":"`...)
	var (
		region  string
		verifyP float64
		rng     = g.rng
	)
	if c := e.camp; c != nil {
		b = c.block.appendNumber(b, c.number())
		region = c.block.Region
		verifyP, rng = c.verify, c.rng
		e.ip = c.ips[c.rng.IntN(len(c.ips))]
		if c.written == 0 {
			c.first = e.at
		}
		c.last = e.at
		c.written++
	} else {
		l := &g.countries[e.land]
		b = l.ranges[e.rng].appendNumber(b, e.suffix)
		region, verifyP = l.Region, l.verify
	}
	b = append(b, `","country":"`...)
	b = append(b, region...)
	b = append(b, `","client_ip":"`...)
	b = appendIPv4(b, e.ip)
	b = append(b, `","user_agent":"`...)
	if c := e.camp; c != nil {
		var app uint8
		b, app = c.appendUA(b)
		b = append(b, `","app":"`...)
		b = append(b, apps[app]...)
	} else {
		b = appendLegitUA(b, e.app, e.ua)
		b = append(b, `","app":"`...)
		b = append(b, apps[e.app]...)
	}
	if s := e.surge; s != nil {
		if s.written == 0 {
			s.first = e.at
		}
		s.last = e.at
		s.written++
	}
	if rng.Float64() < verifyP {
		if e.camp != nil {
			e.camp.verified++
		}
		if e.surge != nil {
			e.surge.verified++
		}
		b = append(b, `","verified":true,"verified_at":"`...)
		// Log-normal delay, median 20 s, clamped to 3 s to 10 min.
		d := 20 * math.Exp(0.8*rng.NormFloat64())
		d = min(max(d, 3), 600)
		at := e.at + int64(d*float64(time.Second))
		b = time.Unix(0, at).UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, "\"}\n"...)
	} else {
		b = append(b, `","verified":false}`+"\n"...)
		if e.camp == nil && !e.retry && g.rng.Float64() < retryShare {
			// The code did not come: the user asks again, 60 to 180 s later.
			r := *e
			r.retry = true
			r.seq = g.nextSeq()
			r.at = e.at + int64(time.Minute) + g.rng.Int64N(int64(2*time.Minute))
			g.carry = append(g.carry, r)
		}
	}
	g.buf = b
	g.written++
}

// appendLegitUA appends the user agent of a legitimate client; pick
// selects the device, versions or browser.
func appendLegitUA(b []byte, app uint8, pick uint16) []byte {
	p := int(pick)
	switch app {
	case 0:
		b = append(b, "AzureSkies/"...)
		b = append(b, appVersions[p%len(appVersions)]...)
		b = append(b, " (Linux; Android "...)
		b = append(b, androidVersions[(p/7)%len(androidVersions)]...)
		b = append(b, "; "...)
		b = append(b, androidDevices[(p/49)%len(androidDevices)]...)
		return append(b, ") okhttp/4.12.0"...)
	case 1:
		v := appVersions[p%len(appVersions)]
		b = append(b, "AzureSkies/"...)
		b = append(b, v...)
		b = append(b, " (com.azureskies.app; "...)
		b = append(b, iosDevices[(p/7)%len(iosDevices)]...)
		b = append(b, "; iOS "...)
		b = append(b, iosVersions[(p/49)%len(iosVersions)]...)
		return append(b, ") Alamofire/5.9.1"...)
	}
	return append(b, browsers[p%len(browsers)]...)
}

// Number patterns of a campaign.
const (
	sequential = "sequential"
	clustered  = "clustered"
)

// User agent behaviours of a campaign.
const (
	uaFixed      = iota // one scripting client throughout
	uaRotating          // a stale or headless browser per request
	uaStaleApp          // the Android app's user agent, a retired version, device per request
	uaCurrentApp        // the current apps' user agents, from a set of devices (a phone farm) or any
)

// campaign is one pumping campaign.
type campaign struct {
	n       int
	kind    string // Burst, LowAndSlow, InCountry or Verifying
	block   numberRange
	pattern string
	next    uint64 // sequential: the next suffix
	cluster uint64 // clustered: first suffix and width of the cluster
	width   uint64
	start   int64
	end     int64   // planned end; requests continue until remaining is 0
	rate    float64 // requests per minute
	size    int
	ips     []uint32
	uaMode  int
	ua      string
	app     uint8
	devices []uint16 // uaCurrentApp: the farm's devices; empty for any
	verify  float64
	rng     *rand.Rand

	remaining, created, written, verified int
	first, last                           int64
}

// campaigns starts the campaigns due this minute and adds their requests.
func (g *generator) campaigns(t0, t1 int64) {
	for g.nextPmp < g.pumps {
		if g.plan == nil {
			g.plan = g.newCampaign(g.nextPmp)
		}
		if g.plan.start >= t1 {
			break
		}
		g.active = append(g.active, g.plan)
		g.plan = nil
		g.nextPmp++
	}
	for _, c := range g.active {
		if c.remaining == 0 {
			continue
		}
		from := max(c.start, t0)
		share := float64(t1-from) / float64(time.Minute)
		k := poisson(c.rng, c.rate*share)
		if t1 > c.end {
			k = max(k, int(math.Ceil(c.rate))) // past its plan: finish
		}
		k = min(k, c.remaining)
		for range k {
			g.batch = append(g.batch, event{at: from + c.rng.Int64N(t1-from), seq: g.nextSeq(), camp: c})
		}
		c.remaining -= k
		c.created += k
	}
}

// newCampaign plans campaign i from its own random stream, so that plans
// do not depend on the traffic around them. Its kind comes in turn from
// campaignKinds.
func (g *generator) newCampaign(i int) *campaign {
	rng := g.run.Rand("sms/campaign/" + strconv.Itoa(i))
	c := &campaign{n: i + 1, rng: rng, kind: campaignKinds[i%len(campaignKinds)]}
	if c.kind == InCountry && len(g.inCountry) == 0 {
		c.kind = Burst // no market with a free block
	}
	c.start = g.start.UnixNano() + int64((float64(i)+0.05+0.65*rng.Float64())*g.slot*float64(time.Minute))
	var minutes float64
	switch c.kind {
	case LowAndSlow:
		minutes = 60 * (minSlowHours + (maxSlowHours-minSlowHours)*rng.Float64())
		perHour := minSlowPerHour + (maxSlowPerHour-minSlowPerHour)*rng.Float64()
		c.size = int(math.Round(perHour * minutes / 60))
	case InCountry:
		li := g.inCountry[rng.IntN(len(g.inCountry))]
		l := &g.countries[li]
		minutes = minInCountryMinutes + (maxInCountryMinutes-minInCountryMinutes)*rng.Float64()
		f := minInCountryShare + (maxInCountryShare-minInCountryShare)*rng.Float64()
		c.size = max(1, int(f*g.legitRate*l.Share/g.totalShare*minutes))
		blocks := g.inBlocks[l.Region]
		c.block = g.freeBlock(rng, blocks)
	case Verifying:
		minutes = minFarmMinutes * math.Pow(maxFarmMinutes/minFarmMinutes, rng.Float64())
		c.size = int(minFarmSize * math.Pow(maxFarmSize/minFarmSize, rng.Float64()))
	default:
		minutes = minPumpMinutes * math.Pow(maxPumpMinutes/minPumpMinutes, rng.Float64())
		c.size = int(minPumpSize * math.Pow(maxPumpSize/minPumpSize, rng.Float64()))
	}
	c.end = c.start + int64(minutes*float64(time.Minute))
	c.size = max(1, min(c.size, int(g.count/20)))
	c.rate = float64(c.size) / minutes
	c.remaining = c.size

	if c.kind != InCountry {
		t := g.targets[sort.SearchFloat64s(g.targetW, rng.Float64()*g.targetW[len(g.targetW)-1])]
		c.block = g.freeBlock(rng, g.blocks[t.Region])
	}
	size := c.block.Size()
	if rng.IntN(3) < 2 {
		c.pattern, c.next = sequential, rng.Uint64N(size)
	} else {
		c.pattern = clustered
		c.width = min(size, 50+rng.Uint64N(250))
		c.cluster = rng.Uint64N(size - c.width + 1)
	}

	switch c.kind {
	case LowAndSlow:
		// Residential proxies: a new address for almost every request.
		for range 256 + rng.IntN(768) {
			c.ips = append(c.ips, publicIPv4(rng))
		}
		c.uaMode = []int{uaRotating, uaStaleApp, uaCurrentApp}[rng.IntN(3)]
	case InCountry:
		// Addresses and apps like the country's users'.
		for range 64 + rng.IntN(448) {
			c.ips = append(c.ips, publicIPv4(rng))
		}
		c.uaMode = uaCurrentApp
	case Verifying:
		// A farm of real phones behind a few mobile connections.
		for range 4 + rng.IntN(28) {
			c.ips = append(c.ips, publicIPv4(rng))
		}
		c.uaMode = uaCurrentApp
		for range 10 + rng.IntN(50) {
			c.devices = append(c.devices, uint16(rng.IntN(1<<16)))
		}
	default:
		// Rotating addresses in one to three hosting networks.
		first, nets := rng.IntN(len(g.proxies)), 1+rng.IntN(3)
		for range 16 + rng.IntN(240) {
			base := g.proxies[(first+rng.IntN(nets))%len(g.proxies)]
			c.ips = append(c.ips, base|uint32(1+rng.IntN(0xffe)))
		}
		c.uaMode = rng.IntN(3)
	}
	switch c.uaMode {
	case uaFixed:
		c.ua, c.app = botClients[rng.IntN(len(botClients))], 2
	case uaRotating:
		c.app = 2
	case uaStaleApp:
		c.app = 0
	}
	switch c.kind {
	case Verifying:
		c.verify = minFarmVerify + (maxFarmVerify-minFarmVerify)*rng.Float64()
	case InCountry, LowAndSlow:
		c.verify = 0.04 * rng.Float64()
	default:
		c.verify = 0.015 * rng.Float64()
	}
	return c
}

// freeBlock draws one of blocks that no running campaign targets, so that
// each campaign's requests are the only ones under its prefix while it
// runs; when every block is taken it draws any.
func (g *generator) freeBlock(rng *rand.Rand, blocks []numberRange) numberRange {
	first := rng.IntN(len(blocks))
	for j := range blocks {
		b := blocks[(first+j)%len(blocks)]
		if !slices.ContainsFunc(g.active, func(c *campaign) bool { return overlap(c.block.Prefix, b.Prefix) }) {
			return b
		}
	}
	return blocks[first]
}

// number returns the suffix of the campaign's next number.
func (c *campaign) number() uint64 {
	if c.pattern == sequential {
		s := c.next
		c.next = (c.next + 1) % c.block.Size()
		return s
	}
	return c.cluster + c.rng.Uint64N(c.width)
}

// appendUA appends the user agent of the campaign's next request and
// returns the app it claims to be.
func (c *campaign) appendUA(b []byte) ([]byte, uint8) {
	switch c.uaMode {
	case uaFixed:
		return append(b, c.ua...), c.app
	case uaRotating:
		return append(b, staleBrowsers[c.rng.IntN(len(staleBrowsers))]...), c.app
	case uaCurrentApp:
		pick := uint16(c.rng.IntN(1 << 16))
		if len(c.devices) > 0 {
			pick = c.devices[c.rng.IntN(len(c.devices))]
		}
		app := uint8(pick & 1) // the device decides Android or iOS
		return appendLegitUA(b, app, pick), app
	}
	b = append(b, "AzureSkies/"...)
	b = append(b, staleAppVersions[c.rng.IntN(len(staleAppVersions))]...)
	b = append(b, " (Linux; Android "...)
	b = append(b, []string{"7.0", "8.1.0", "9", "10"}[c.rng.IntN(4)]...)
	b = append(b, "; "...)
	b = append(b, androidDevices[c.rng.IntN(len(androidDevices))]...)
	return append(b, ") okhttp/3.12.1"...), c.app
}

// truth writes the truth line of a campaign that sent at least one request.
func (g *generator) truth(c *campaign) error {
	if c.written == 0 {
		return nil
	}
	detail := map[string]string{
		"country":  c.block.Region,
		"pattern":  c.pattern,
		"requests": strconv.Itoa(c.written),
		"block":    c.block.Prefix + strings.Repeat("x", c.block.Free),
		"campaign": c.kind,
		"verified": strconv.Itoa(c.verified),
	}
	if c.remaining > 0 || c.written < c.created {
		detail["cut_short"] = "true" // by the end of the run
	}
	if c.block.Operator != "" {
		detail["operator"] = c.block.Operator
	}
	return g.emit(finding.Finding{
		Kind:   finding.SMSPumping,
		ID:     "pump-" + strconv.Itoa(c.n),
		Start:  time.Unix(0, c.first),
		End:    time.Unix(0, c.last),
		Entity: c.block.Prefix,
		Detail: detail,
	})
}

// mix is a bijection on 64-bit integers that scatters its input
// (SplitMix64's finaliser): request ids look random but never repeat.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const hexDigits = "0123456789abcdef"

func appendHex64(b []byte, x uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(x>>uint(shift))&0xf])
	}
	return b
}

func appendIPv4(b []byte, a uint32) []byte {
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(a>>(8*uint(i))&0xff), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return b
}
