package sms

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
)

// AppConfig is one app's settings.
type AppConfig struct {
	// Mode is what the engine may do: block (default), challenge or
	// record-only.
	Mode Mode
	// Allowed are the destination countries (ISO 3166-1 alpha-2) the app
	// sends to; empty allows every country.
	Allowed []string
	// Shared is the verdict for a number under a prefix in the shared
	// intelligence set: Block (default) or Challenge; Allow ignores it.
	Shared Verdict
	// SafeNumbers and SafePrefixes are never challenged or blocked
	// (E.164 numbers, and E.164 prefixes such as "+4420").
	SafeNumbers  []string
	SafePrefixes []string
}

// Config is what a Guard is told.
type Config struct {
	// Apps holds per-app settings; apps not named get Default.
	Apps    map[string]AppConfig
	Default AppConfig

	// MaxPrefixes bounds the 1,000-number blocks tracked (about 300
	// bytes each, up to 1.2 KB for a busy one), shared by the apps;
	// MaxBusy the blocks among them with counters (busy ones: 16
	// requests within an hour; about 900 bytes more each); MaxIPs the
	// client addresses tracked per app (up to 200 bytes each). At the
	// bound, blocks idle for a day are dropped, then for an hour, then
	// any; counters of blocks idle for an hour, then any; addresses idle
	// for an hour, then any.
	MaxPrefixes int
	MaxBusy     int
	MaxIPs      int
	// MaxEpisodes bounds the block episodes kept for Findings, and the
	// blocked prefixes remembered per app for escalation.
	MaxEpisodes int
	// MaxApps bounds the apps with their own state; requests for apps
	// past it share the state of OtherApps.
	MaxApps int

	// BlockTTL is how long a prefix stays blocked the first time; each
	// repeat within RepeatWithin doubles it, up to MaxBlockTTL.
	BlockTTL, MaxBlockTTL, RepeatWithin time.Duration

	// MatureAfter is how long after a request its code counts as not
	// entered.
	MatureAfter time.Duration
	// MinMatured distinct matured numbers in a prefix within the hour,
	// of which at most MaxConversion were entered, block the prefix.
	MinMatured    int
	MaxConversion float64
	// BurstNumbers distinct numbers of a prefix within a minute challenge;
	// BlockBurst with none entered and a sequential or clustered pattern
	// block the prefix.
	BurstNumbers, BlockBurst int

	// CountryMinMatured matured requests to a country (or carrier) in the
	// hour with a conversion under CountryMaxConversion challenge.
	CountryMinMatured    int
	CountryMaxConversion float64
	// A country's hourly requests above SurgeFactor times its baseline
	// and at least SurgeMin challenge.
	SurgeFactor float64
	SurgeMin    int
	// NewCountryAfter requests to an app make a country it has never
	// sent to suspicious.
	NewCountryAfter int
	// IPCountries distinct destination countries from one client
	// address within the hour challenge.
	IPCountries int
	// Exact analyses every number with libphonenumber instead of caching
	// per 1,000-number block (see Analyser).
	Exact bool
}

// DefaultConfig is the configuration the figures in the package
// documentation were measured with.
func DefaultConfig() Config {
	return Config{
		Default:              AppConfig{Mode: Enforce, Shared: Block},
		MaxPrefixes:          1 << 20,
		MaxBusy:              1 << 16,
		MaxIPs:               1 << 18,
		MaxEpisodes:          1 << 16,
		MaxApps:              1024,
		BlockTTL:             time.Hour,
		MaxBlockTTL:          7 * 24 * time.Hour,
		RepeatWithin:         7 * 24 * time.Hour,
		MatureAfter:          90 * time.Second,
		MinMatured:           3,
		MaxConversion:        0.25,
		BurstNumbers:         4,
		BlockBurst:           8,
		CountryMinMatured:    20,
		CountryMaxConversion: 0.3,
		SurgeFactor:          4,
		SurgeMin:             20,
		NewCountryAfter:      5000,
		IPCountries:          3,
	}
}

// Check reports the first setting that makes no sense.
func (c Config) Check() error {
	switch {
	case c.MaxPrefixes < 1 || c.MaxBusy < 1 || c.MaxIPs < 1 || c.MaxEpisodes < 1 || c.MaxApps < 1:
		return errors.New("max-prefixes, max-busy, max-ips, max-episodes and max-apps must be at least 1")
	case c.BlockTTL <= 0 || c.MaxBlockTTL < c.BlockTTL:
		return fmt.Errorf("block TTL %s, max %s: need 0 < TTL <= max", c.BlockTTL, c.MaxBlockTTL)
	case c.MatureAfter <= 0 || c.MatureAfter > time.Hour:
		return fmt.Errorf("mature-after %s: must be more than 0 and at most an hour", c.MatureAfter)
	case c.MinMatured < 1 || c.CountryMinMatured < 1:
		return errors.New("min-matured and country-min-matured must be at least 1")
	case c.MaxConversion < 0 || c.MaxConversion >= 1 || c.CountryMaxConversion < 0 || c.CountryMaxConversion >= 1:
		return errors.New("max-conversion and country-max-conversion must be in [0, 1)")
	case c.BurstNumbers < 2 || c.BlockBurst < c.BurstNumbers || c.BlockBurst > ringSize:
		return fmt.Errorf("burst %d, block-burst %d: need 2 <= burst <= block-burst <= %d", c.BurstNumbers, c.BlockBurst, ringSize)
	case c.SurgeFactor < 1 || c.SurgeMin < 1:
		return errors.New("surge-factor must be at least 1 and surge-min at least 1")
	case c.IPCountries < 2:
		return errors.New("ip-countries must be at least 2")
	}
	for name, a := range c.Apps {
		if err := a.check(); err != nil {
			return fmt.Errorf("app %q: %w", name, err)
		}
	}
	if err := c.Default.check(); err != nil {
		return fmt.Errorf("default app settings: %w", err)
	}
	return nil
}

func (a AppConfig) check() error {
	if a.Mode > RecordOnly {
		return fmt.Errorf("mode %d: unknown", a.Mode)
	}
	if a.Shared > Block {
		return fmt.Errorf("shared verdict %d: unknown", a.Shared)
	}
	for _, c := range a.Allowed {
		if !isRegion(c) {
			return fmt.Errorf("allowed country %q: not an ISO 3166-1 alpha-2 code", c)
		}
	}
	for _, n := range a.SafeNumbers {
		if !isE164(n) {
			return fmt.Errorf("safe number %q: not E.164", n)
		}
	}
	for _, p := range a.SafePrefixes {
		if err := checkPrefix(p); err != nil {
			return fmt.Errorf("safe list: %w", err)
		}
	}
	return nil
}

// burstBuckets are the newest minute-window buckets (30 seconds) whose
// requests are too young for their codes' absence to count: most people
// enter a code within 30 seconds.
const burstBuckets = 12

// minWindowMatured is the fewest requests in a block's hour window, past
// its newest bucket, whose conversion decides on its own.
const minWindowMatured = 10

// OtherApps names the state that apps past Config.MaxApps share.
const OtherApps = "(other apps)"

// slowSpan is how far either side of a number the numbers of a slow
// campaign are looked for: 300 numbers, as close as a burst's cluster.
const slowSpan = 150

// ringSize is how many recent requests a prefix block remembers.
const ringSize = 16

// A Guard decides on requests one at a time and learns from them and from
// verifications. It is safe for concurrent use (one lock: a decision costs
// about a microsecond).
//
// Memory is bounded by MaxPrefixes × ~300 B + MaxBusy × ~1 KB, per app
// MaxIPs × ~48 B and about 1 KB per destination country and carrier, plus
// MaxEpisodes × ~300 B and the analysis cache (at most 2^20 blocks, ~180 B
// each); see the package documentation.
type Guard struct {
	cfg    Config
	shared *Shared
	nums   Analyser
	// key seeds the hashes of client addresses and user agents (under
	// the lock: hash is one digest reused); it is saved with the state
	// (Save), so that the hashes still compare after a Load.
	key  uint64
	hash *xxhash.Digest

	mu       sync.Mutex
	apps     map[string]*appState
	ranges   *ranges
	busy     int        // blocks with counters
	episodes []*episode // closed, oldest first
	dropped  int        // episodes dropped at the bound
	changes  uint64     // counts the calls that change what Save writes
}

// New returns a Guard; shared may be nil (no shared intelligence).
func New(cfg Config, shared *Shared) (*Guard, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if shared == nil {
		shared = NewShared()
	}
	return &Guard{cfg: cfg, shared: shared, nums: Analyser{Exact: cfg.Exact}, key: rand.Uint64(), hash: xxhash.New(), apps: map[string]*appState{},
		ranges: &ranges{prefixes: map[string]*block{}, blocks: map[string]*episode{}, parents: map[string]int64{}, history: map[string]blockHistory{}}}, nil
}

// Shared is the Guard's shared intelligence set.
func (g *Guard) Shared() *Shared { return g.shared }

// appState is what the Guard knows of one app: its settings, its own
// countries, carriers and client addresses, and (shared with the Guard's
// other apps) the number ranges.
type appState struct {
	name      string
	cfg       AppConfig
	allowed   map[string]bool
	safeNums  map[string]bool
	safePre   map[string]bool
	requests  uint64
	total     baseline
	countries map[string]*country
	carriers  map[string]*Counts
	ips       map[uint64]ipState
	*ranges
}

// ranges is what a Guard knows of destination number ranges, shared by
// its apps: a range pumped through one app of a sender is pumped, and a
// campaign that rotates over a sender's apps (its Android and iOS apps
// and its web site) leaves its evidence in one place. Each app's own mode
// still decides what its requests are answered.
type ranges struct {
	prefixes map[string]*block
	blocks   map[string]*episode // open episodes by prefix
	parents  map[string]int64    // by 10,000-number prefix: when the last block of a 1,000-number block in it ends
	history  map[string]blockHistory
}

type blockHistory struct {
	level int
	last  int64
}

// country is a destination country of an app.
type country struct {
	Counts
	base baseline
}

// baseline is an exponentially weighted hourly volume and conversion,
// updated as each hour closes, with weight 1/24 (about a day).
type baseline struct {
	hour     int64 // the hour being counted
	cur, ver float64
	hourly   float64 // EWMA of requests per hour
	conv     float64 // EWMA of conversion
	hours    int     // hours folded in
}

const (
	hourNS = int64(time.Hour)
	dayNS  = 24 * hourNS
)

func (b *baseline) add(t int64, req, ver float64) {
	h := t / hourNS
	if b.hours == 0 && b.hour == 0 {
		b.hour = h
	}
	if h > b.hour {
		b.fold(h)
	}
	b.cur += req
	b.ver += ver
}

func (b *baseline) fold(h int64) {
	for i := b.hour; i < h && i < b.hour+48; i++ {
		// The plain mean while learning the first day, then a day's
		// exponential weight.
		alpha := max(1.0/24, 1/float64(b.hours+1))
		// A surge is folded in clipped, so that a campaign does not
		// become the baseline.
		r := b.cur
		if b.hours >= 6 {
			r = math.Min(r, 3*b.hourly+10)
		}
		b.hourly += alpha * (r - b.hourly)
		if b.cur > 0 {
			c := math.Min(1, b.ver/b.cur)
			b.conv += alpha * (c - b.conv)
		}
		b.hours++
		b.cur, b.ver = 0, 0
	}
	b.hour = h
}

// Baseline is a country's learnt volume and conversion for an app.
type Baseline struct {
	Hourly     float64 // requests per hour, exponentially weighted over about a day
	Conversion float64 // codes entered ÷ requests, likewise
	Hours      int     // hours learnt
}

// block is a 1,000-number block of a Guard's apps. Most blocks see a
// request or two a day: a block starts with room for four recent requests
// and no counters (about 300 bytes with its map entry); its room grows to
// ringSize, and it gets counters once it has had ringSize requests within
// the hour, when its recent requests no longer tell its hour.
type block struct {
	c      *blockCounts // nil while the recent requests tell it all
	num    Number       // the analysis of the block's numbers of length numLen
	numLen uint8
	// suspect is when the block's requests first gave a reason for
	// suspicion (burst, sequence, cluster, low conversion) in the hour
	// before the latest such request: where a finding starts.
	suspect, suspectLast int64
	recent               []entry // at most ringSize, oldest at next once full
	next                 int
	last                 int64
}

// blockCounts are a busy block's requests and verifications over the
// minute and hour windows (416 bytes).
type blockCounts struct {
	req, ver [2]Window // minute, hour
}

// note records a request sent at t (the ring) and counts it.
func (b *block) note(e entry) {
	if len(b.recent) < ringSize {
		if len(b.recent) == cap(b.recent) {
			b.recent = append(make([]entry, 0, min(ringSize, max(4, 2*cap(b.recent)))), b.recent...)
		}
		b.recent = append(b.recent, e)
		return
	}
	b.recent[b.next] = e
	b.next = (b.next + 1) % ringSize
}

// count counts a request at t in the block's counters, giving it counters
// when its recent requests fill the ring within the hour (the ring's
// requests counted in them, their codes as entered when they were sent).
func (g *Guard) count(b *block, t int64) {
	if b.c == nil {
		if len(b.recent) < ringSize || t-b.recent[b.next].t > hourNS {
			return
		}
		if g.busy >= g.cfg.MaxBusy {
			g.idleCounters(t)
		}
		b.c = &blockCounts{}
		g.busy++
		for i := range ringSize {
			e := b.recent[(b.next+i)%ringSize]
			b.c.req[Minute].Add(e.t, MinuteBucket, 1)
			b.c.req[Hour].Add(e.t, HourBucket, 1)
			if e.verified {
				b.c.ver[Minute].Add(e.t, MinuteBucket, 1)
				b.c.ver[Hour].Add(e.t, HourBucket, 1)
			}
		}
	}
	b.c.req[Minute].Add(t, MinuteBucket, 1)
	b.c.req[Hour].Add(t, HourBucket, 1)
}

// idleCounters takes the counters of blocks that had no request in the
// hour, then of any, down to three quarters of MaxBusy (at least one
// taken): their recent requests tell them again.
func (g *Guard) idleCounters(t int64) {
	for _, pass := range [2]bool{true, false} {
		for _, b := range g.ranges.prefixes {
			if g.busy <= min(g.cfg.MaxBusy*3/4, g.cfg.MaxBusy-1) {
				return
			}
			if b.c != nil && (!pass || t-b.last > hourNS) {
				b.c = nil
				g.busy--
			}
		}
	}
}

// hourMatured is the block's requests in the hour window before its
// newest two buckets, so at least one bucket (2.5 minutes, more than
// MatureAfter) old, and its verifications in the hour: from the counters,
// or the recent requests. A request in the bucket just before the newest
// may be a second old: counted, a burst just past a bucket's edge looked
// like codes not entered (a pumping burst was blocked at its 11th request
// or its 18th depending on the clock).
func (b *block) hourMatured(t int64) (req, ver uint64) {
	if b.c != nil {
		return b.c.req[Hour].Sum(t, HourBucket) - b.c.req[Hour].Recent(t, HourBucket, 2), b.c.ver[Hour].Sum(t, HourBucket)
	}
	newest := floorDiv(t, HourBucket)
	for _, e := range b.recent {
		if k := floorDiv(e.t, HourBucket); k > newest-Buckets && k < newest-1 {
			req++
			if e.verified {
				ver++
			}
		}
	}
	return req, ver
}

// minuteOld is the block's requests in the minute window older than its
// newest burstBuckets buckets (30 to 60 seconds old), and its
// verifications in the minute.
func (b *block) minuteOld(t int64) (req, ver uint64) {
	if b.c != nil {
		return b.c.req[Minute].Sum(t, MinuteBucket) - b.c.req[Minute].Recent(t, MinuteBucket, burstBuckets), b.c.ver[Minute].Sum(t, MinuteBucket)
	}
	newest := floorDiv(t, MinuteBucket)
	for _, e := range b.recent {
		k := floorDiv(e.t, MinuteBucket)
		if k > newest-Buckets && k <= newest-burstBuckets {
			req++
		}
		if k > newest-Buckets && k <= newest && e.verified {
			ver++
		}
	}
	return req, ver
}

// entry is a recent request sent to a block.
type entry struct {
	t        int64
	suffix   uint16
	verified bool
	ip, ua   uint32
}

// ipState is what a client address asked for: the last four
// destination countries and when, in Unix seconds (24 bytes, held in the
// map under a 64-bit hash of the address: two addresses of an app that
// collide, one chance in 2^64 a pair, would pool their countries).
type ipState struct {
	times   [4]uint32
	regions [4][2]byte
}

func (s *ipState) last() uint32 { return max(s.times[0], s.times[1], s.times[2], s.times[3]) }

// seconds is t (Unix nanoseconds) in Unix seconds, from 1 to 2^32-1
// (1970 to 2106).
func seconds(t int64) uint32 { return uint32(min(max(t/1e9, 1), math.MaxUint32)) }

// episode is a prefix blocked from Start until it expired.
type episode struct {
	app, prefix      string
	rule             string
	reasons          Reasons
	country, carrier string
	numberType       NumberType
	start, placed    int64 // first request of the evidence; when blocked
	until, last      int64
	level            int
	free             int // digits after the prefix: 3 or 4
	evidence         int // requests counted when blocked
	matured, entered int
	blocked          int // requests refused while blocked
}

func (g *Guard) app(name string) *appState {
	a := g.apps[name]
	if a != nil {
		return a
	}
	if len(g.apps) >= g.cfg.MaxApps {
		// Past the bound, new apps share one state.
		name = OtherApps
		if a = g.apps[name]; a != nil {
			return a
		}
	}
	cfg, ok := g.cfg.Apps[name]
	if !ok {
		cfg = g.cfg.Default
	}
	a = &appState{name: name, countries: map[string]*country{}, carriers: map[string]*Counts{},
		ips: map[uint64]ipState{}, ranges: g.ranges}
	a.configure(cfg)
	g.apps[name] = a
	return a
}

// configure sets the app's settings.
func (a *appState) configure(cfg AppConfig) {
	a.cfg = cfg
	a.allowed = nil
	if len(cfg.Allowed) > 0 {
		a.allowed = map[string]bool{}
		for _, c := range cfg.Allowed {
			a.allowed[c] = true
		}
	}
	a.safeNums = map[string]bool{}
	for _, n := range cfg.SafeNumbers {
		a.safeNums[n] = true
	}
	a.safePre = map[string]bool{}
	for _, p := range cfg.SafePrefixes {
		a.safePre[p] = true
	}
}

// Prepare analyses a number ahead of its request, outside the Guard's
// lock, so that Check finds the analysis cached: a replay calls it from
// the goroutine that parses requests. It is safe for concurrent use.
func (g *Guard) Prepare(number string) { g.nums.Analyse(number) }

// Check decides on a request and records it. A number that is not E.164
// is blocked as invalid.
func (g *Guard) Check(r *Request) Decision {
	t := r.Time.UnixNano()
	var (
		num Number
		err error
	)
	g.mu.Lock()
	a := g.app(r.App)
	// A block seen before holds its analysis: one map lookup fewer.
	if !g.cfg.Exact && isE164(r.Number) {
		if b := a.prefixes[prefix3(r.Number)]; b != nil && int(b.numLen) == len(r.Number) {
			num = b.num
			num.E164 = r.Number
		}
	}
	if num.E164 == "" {
		g.mu.Unlock()
		num, err = g.nums.Analyse(r.Number)
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	g.changes++
	a.requests++
	d := Decision{Country: num.Region, Carrier: num.Carrier, NumberType: num.Type}
	if err != nil || len(r.Number) < 9 {
		d.Prefix = r.Number
		d.Reasons = ReasonInvalid
		return a.finish(d, Block, ReasonInvalid)
	}
	p3, p4 := prefix3(r.Number), prefix4(r.Number)
	d.Prefix = p3
	if a.safe(r.Number) {
		d.Reasons = ReasonSafeList
		return a.finish(d, Allow, ReasonSafeList)
	}
	switch num.Type {
	case Invalid:
		d.Reasons = ReasonInvalid
		return a.finish(d, Block, ReasonInvalid)
	case PremiumRate:
		d.Reasons |= ReasonPremiumRate
	case TollFree, SharedCost, VoIP, UAN, Pager, Voicemail, Unknown:
		d.Reasons |= ReasonRiskyType
	}
	if a.allowed != nil && !a.allowed[num.Region] {
		d.Reasons |= ReasonGeo
		return a.finish(d, Block, ReasonGeo)
	}
	if a.cfg.Shared != Allow {
		if sp, ok := g.shared.Match(r.Number); ok {
			d.Prefix = sp
			d.Reasons |= ReasonShared
			return a.finish(d, a.cfg.Shared, ReasonShared)
		}
	}
	if d.Reasons.Has(ReasonPremiumRate) {
		return a.finish(d, Block, ReasonPremiumRate)
	}

	// Learning: the country, carrier and block windows count every request.
	c := a.countries[num.Region]
	if c == nil {
		c = &country{}
		a.countries[num.Region] = c
	}
	newCountry := a.requests > uint64(g.cfg.NewCountryAfter) && c.base.hours == 0 && c.Requests(Day, t) == 0
	c.Request(t)
	c.base.add(t, 1, 0)
	a.total.add(t, 1, 0)
	var car *Counts
	if num.Carrier != "" {
		if car = a.carriers[num.Carrier]; car == nil {
			car = &Counts{}
			a.carriers[num.Carrier] = car
		}
		car.Request(t)
	}
	b := a.prefixes[p3]
	if b == nil {
		g.evictPrefixes(a, t)
		b = &block{}
		a.prefixes[p3] = b
	}
	if int(b.numLen) != len(r.Number) && num.E164 == r.Number {
		b.num, b.numLen = num, uint8(len(r.Number))
		b.num.E164 = ""
	}
	g.count(b, t)
	b.last = t
	ipCountries := g.noteIP(a, r.IP, num.Region, t)

	// Blocks in force.
	for _, p := range [2]string{p4, p3} {
		if e := a.blocks[p]; e != nil {
			if t < e.until {
				e.blocked++
				e.last = t
				d.Prefix = p
				d.Reasons |= ReasonBlocked
				return a.finish(d, Block, ReasonBlocked)
			}
			g.close(a, p, e)
		}
	}

	// Signals of the block from its recent sent requests.
	suffix := suffix3(r.Number)
	h, repeat := a.history[p3]
	repeat = repeat && t-h.last <= int64(g.cfg.RepeatWithin)
	s := g.signals(b, suffix, t, repeat)
	d.Reasons |= s.reasons
	if s.reasons&(ReasonBurst|ReasonSequential|ReasonClustered|ReasonLowConversion) != 0 {
		if b.suspect == 0 || t-b.suspectLast > hourNS {
			b.suspect = t
		}
		b.suspectLast = t
	}
	verdict, rule := Allow, Reasons(0)
	if d.Reasons.Has(ReasonRiskyType) {
		verdict, rule = Challenge, ReasonRiskyType
	}
	if s.lowConversion || s.blockBurst {
		r := ReasonLowConversion
		if !s.lowConversion {
			r = ReasonBurst
		}
		g.place(a, b, p3, p4, num, r, d.Reasons, t)
		d.Reasons |= ReasonBlocked
		return a.finish(d, Block, r)
	}
	if s.reasons&(ReasonBurst|ReasonSequential|ReasonClustered) != 0 && verdict == Allow {
		verdict, rule = Challenge, ruleOf(s.reasons&(ReasonBurst|ReasonSequential|ReasonClustered))
	}
	if g.parentBlocked(a, p4, t) {
		d.Reasons |= ReasonNextToBlocked
		if verdict == Allow {
			verdict, rule = Challenge, ReasonNextToBlocked
		}
	}
	matured := c.Requests(Hour, t) - c.Req[Minute].Sum(t, MinuteBucket)
	if matured >= uint64(g.cfg.CountryMinMatured) && float64(c.Verifications(Hour, t)) < g.cfg.CountryMaxConversion*float64(matured) {
		d.Reasons |= ReasonCountryLowConversion
	}
	// A surge alone may be a launch: it counts when conversion fell too.
	if c.base.hours >= 6 {
		if h := c.Requests(Hour, t); h >= uint64(g.cfg.SurgeMin) && float64(h) > g.cfg.SurgeFactor*c.base.hourly &&
			matured >= 5 && float64(c.Verifications(Hour, t)) < 0.6*c.base.conv*float64(matured) {
			d.Reasons |= ReasonCountrySurge
		}
	}
	if car != nil {
		m := car.Requests(Hour, t) - car.Req[Minute].Sum(t, MinuteBucket)
		if m >= uint64(g.cfg.CountryMinMatured) && float64(car.Verifications(Hour, t)) < g.cfg.CountryMaxConversion*float64(m) {
			d.Reasons |= ReasonCarrierLowConversion
		}
	}
	if newCountry {
		d.Reasons |= ReasonNewCountry
	}
	if ipCountries >= g.cfg.IPCountries {
		d.Reasons |= ReasonIPCountries
	}
	if verdict == Allow {
		if q := d.Reasons & (ReasonCountryLowConversion | ReasonCountrySurge | ReasonCarrierLowConversion | ReasonNewCountry | ReasonIPCountries); q != 0 {
			verdict, rule = Challenge, ruleOf(q)
		}
	}
	b.note(entry{t: t, suffix: suffix, ip: g.hashAddr(r.IP), ua: g.hashString(r.UserAgent)})
	return a.finish(d, verdict, rule)
}

func ruleOf(r Reasons) Reasons { return r & -r }

func (a *appState) finish(d Decision, v Verdict, rule Reasons) Decision {
	d.Would = v
	d.Rule = ruleName(rule)
	switch a.cfg.Mode {
	case RecordOnly:
		v = Allow
	case ChallengeOnly:
		v = min(v, Challenge)
	}
	d.Decision = v
	return d
}

func (a *appState) safe(n string) bool {
	if a.safeNums[n] {
		return true
	}
	if len(a.safePre) == 0 {
		return false
	}
	for i := 2; i <= len(n); i++ {
		if a.safePre[n[:i]] {
			return true
		}
	}
	return false
}

func suffix3(n string) uint16 {
	s := n[len(n)-3:]
	return uint16(s[0]-'0')*100 + uint16(s[1]-'0')*10 + uint16(s[2]-'0')
}

func (g *Guard) hashAddr(a netip.Addr) uint32 { return uint32(g.hashAddr64(a)) }

func (g *Guard) hashAddr64(a netip.Addr) uint64 {
	b := a.As16()
	g.hash.ResetWithSeed(g.key)
	g.hash.Write(b[:])
	return g.hash.Sum64()
}

func (g *Guard) hashString(s string) uint32 {
	g.hash.ResetWithSeed(g.key)
	g.hash.WriteString(s)
	return uint32(g.hash.Sum64())
}

type blockSignals struct {
	reasons                   Reasons
	lowConversion, blockBurst bool
}

// signals reads a block's recent requests, with the current one (suffix,
// t) counted in.
//
// A prefix blocked before (repeat) needs no more than MinMatured numbers,
// however spread out, to be blocked again.
func (g *Guard) signals(b *block, suffix uint16, t int64, repeat bool) blockSignals {
	var s blockSignals
	const window = int64(10 * time.Minute)
	mature := t - int64(g.cfg.MatureAfter)
	var (
		inMinute, inWindow, neighbours int
		matured, entered               int
		lo, hi                         = suffix, suffix
		verifiedIn                     int
		ips, uas                       [ringSize]uint32
		nIP, nUA                       int
		seenMin                        [ringSize]uint16
		nMin                           int
	)
	distinctMatured := [ringSize]uint16{}
	nDM := 0
	// The day's matured numbers, for campaigns too slow for the hour: a
	// few requests a day to one block. A block placed on such evidence
	// ends while the campaign goes on: for a range blocked before, the
	// evidence that placed the block counts for as long as its repeats
	// escalate (RepeatWithin).
	slowWindow := dayNS
	if repeat {
		slowWindow = max(dayNS, int64(g.cfg.RepeatWithin))
	}
	var (
		dayNums    [ringSize]uint16
		dayEntered [ringSize]bool
		nDay       int
	)
	for i := range b.recent {
		e := &b.recent[i]
		if e.t == 0 || t-e.t > slowWindow || e.t > t {
			continue
		}
		if e.t <= mature && e.suffix != suffix {
			j := indexU16(dayNums[:nDay], e.suffix)
			if j < 0 {
				j = nDay
				dayNums[j] = e.suffix
				nDay++
			}
			dayEntered[j] = dayEntered[j] || e.verified
		}
		if t-e.t > hourNS {
			continue
		}
		if e.t <= mature {
			if !containsU16(distinctMatured[:nDM], e.suffix) {
				distinctMatured[nDM] = e.suffix
				nDM++
				matured++
				if e.verified {
					entered++
				}
			} else if e.verified {
				entered++ // a later request for the same number was entered
			}
		}
		if t-e.t > window {
			continue
		}
		inWindow++
		if e.verified {
			verifiedIn++
		}

		if d := int(e.suffix) - int(suffix); d != 0 && d >= -3 && d <= 3 {
			neighbours++
		}
		lo, hi = min(lo, e.suffix), max(hi, e.suffix)
		if !containsU32(ips[:nIP], e.ip) {
			ips[nIP] = e.ip
			nIP++
		}
		if !containsU32(uas[:nUA], e.ua) {
			uas[nUA] = e.ua
			nUA++
		}
		if t-e.t <= int64(time.Minute) && e.suffix != suffix && !containsU16(seenMin[:nMin], e.suffix) {
			seenMin[nMin] = e.suffix
			nMin++
			inMinute++
		}
	}
	entered = min(entered, matured)
	// Few numbers are evidence only when they came close together.
	if matured >= g.cfg.MinMatured && float64(entered) <= g.cfg.MaxConversion*float64(matured) &&
		(matured >= 2*g.cfg.MinMatured || inWindow >= g.cfg.MinMatured || repeat) {
		s.lowConversion = true
	}
	// The ring holds the last 16 requests: a fast stream's are all too
	// young. The hour window counts them all: requests at least one bucket
	// (2.5 minutes) old against the codes entered in the hour.
	wm, wv := b.hourMatured(t)
	if wm >= uint64(minWindowMatured) && float64(wv) <= g.cfg.MaxConversion*float64(wm) {
		s.lowConversion = true
	}
	// Low and slow: the day's matured numbers near this one (within 3:
	// neighbours; within 150 either side: close), few entered there and
	// in the block. A
	// neighbour not entered challenges (sequential), as do three close
	// ones (clustered); three close with two neighbours, or four close,
	// block; for a range blocked before, three close. Numbers further
	// away are other traffic of the block, an earlier campaign's or its
	// users'.
	var neighbours3, enteredNeighbours, closeOpen, closeEntered, dayEnt int
	for j, n := range dayNums[:nDay] {
		if dayEntered[j] {
			dayEnt++
		}
		d := int(n) - int(suffix)
		near, close := d >= -3 && d <= 3, d >= -slowSpan && d <= slowSpan
		switch {
		case dayEntered[j] && near:
			enteredNeighbours++
			closeEntered++
		case dayEntered[j] && close:
			closeEntered++
		case near:
			neighbours3++
			closeOpen++
		case close:
			closeOpen++
		}
	}
	// One neighbour not entered is already unusual: legitimate users'
	// numbers are scattered over the block, and nine in ten enter codes.
	if neighbours3 >= 1 && enteredNeighbours == 0 {
		s.reasons |= ReasonSequential
	}
	// Conversion is low near the number and over the block's day: a block
	// whose users mostly enter their codes has the odd cluster of those
	// who did not.
	if closeOpen >= 2 && float64(closeEntered) <= g.cfg.MaxConversion*float64(closeOpen+closeEntered) &&
		float64(dayEnt) <= g.cfg.MaxConversion*float64(nDay) {
		if neighbours3 >= 2 {
			s.reasons |= ReasonSequential
		}
		if closeOpen >= 3 {
			s.reasons |= ReasonClustered
		}
		if closeOpen >= 3 && (neighbours3 >= 2 || closeOpen >= 4 || repeat && closeOpen >= g.cfg.MinMatured) {
			s.lowConversion = true
		}
	}
	if s.lowConversion {
		s.reasons |= ReasonLowConversion
	}
	distinct := inMinute + 1
	if distinct >= g.cfg.BurstNumbers {
		s.reasons |= ReasonBurst
	}
	if neighbours >= 2 {
		s.reasons |= ReasonSequential
	}
	few := float64(verifiedIn) <= g.cfg.MaxConversion*float64(inWindow)
	if inWindow >= 4 && hi-lo <= 300 && few {
		s.reasons |= ReasonClustered
	}
	// A burst blocks once its requests have had time to be entered (a
	// company signing up its staff's consecutive numbers enters them): the
	// minute window's requests 30 to 60 seconds old against the codes
	// entered in the minute.
	old, oldVerified := b.minuteOld(t)
	if distinct >= g.cfg.BlockBurst && old >= 3 && float64(oldVerified) <= g.cfg.MaxConversion*float64(old) && s.reasons&(ReasonSequential|ReasonClustered) != 0 {
		s.blockBurst = true
	}
	if inWindow >= 4 && nIP >= inWindow {
		s.reasons |= ReasonIPRotation
	}
	if inWindow >= 4 && nUA >= 3 {
		s.reasons |= ReasonUARotation
	}
	return s
}

func indexU16(s []uint16, v uint16) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func containsU16(s []uint16, v uint16) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func containsU32(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// noteIP records the destination country for a client address and
// returns the distinct countries it asked for within the hour.
func (g *Guard) noteIP(a *appState, ip netip.Addr, region string, t int64) int {
	if !ip.IsValid() || len(region) != 2 {
		return 0
	}
	key, now := g.hashAddr64(ip), seconds(t)
	s, ok := a.ips[key]
	if !ok && len(a.ips) >= g.cfg.MaxIPs {
		g.evictIPs(a, now)
	}
	code := [2]byte{region[0], region[1]}
	slot, old := -1, 0
	for i := range s.regions {
		if s.regions[i] == code {
			slot = i
		}
		if s.times[i] < s.times[old] {
			old = i
		}
	}
	if slot < 0 {
		slot = old
		s.regions[slot] = code
	}
	s.times[slot] = now
	a.ips[key] = s
	n := 0
	for i := range s.regions {
		if s.times[i] != 0 && now-min(now, s.times[i]) <= 3600 {
			n++
		}
	}
	return n
}

// evictIPs makes room in a's full address map: the addresses idle for
// an hour go, then any, down to three quarters of the bound, so that the
// next MaxIPs/4 new addresses find room. (Dropping only down to the
// bound would make every new address at the bound walk the whole map:
// rotating addresses, as pumping does, at thousands a second.)
func (g *Guard) evictIPs(a *appState, now uint32) {
	for k, v := range a.ips {
		if now-min(now, v.last()) > 3600 {
			delete(a.ips, k)
		}
	}
	for k := range a.ips {
		if len(a.ips) < g.cfg.MaxIPs*3/4 {
			break
		}
		delete(a.ips, k)
	}
}

// evictPrefixes makes room at the bound: blocks idle for a day go, then
// those idle for an hour, then any, down to three quarters of the bound.
func (g *Guard) evictPrefixes(a *appState, t int64) {
	if len(a.prefixes) < g.cfg.MaxPrefixes {
		return
	}
	for _, idle := range [3]int64{dayNS, hourNS, -1} {
		for k, b := range a.prefixes {
			if len(a.prefixes) < g.cfg.MaxPrefixes*3/4 {
				return
			}
			if t-b.last > idle {
				if b.c != nil {
					g.busy--
				}
				delete(a.prefixes, k)
			}
		}
	}
}

// parentBlocked reports whether a 1,000-number block of the 10,000-number
// block p4 is blocked at t.
func (g *Guard) parentBlocked(a *appState, p4 string, t int64) bool {
	return t < a.parents[p4]
}

// place blocks p3 (and p4 when another block of p4 is already blocked).
func (g *Guard) place(a *appState, b *block, p3, p4 string, num Number, rule, reasons Reasons, t int64) {
	sibling := g.parentBlocked(a, p4, t)
	e := g.open(a, p3, 3, num, rule, reasons, t)
	a.parents[p4] = max(a.parents[p4], e.until)
	var start int64 = t
	for i := range b.recent {
		if x := b.recent[i].t; x != 0 && t-x <= dayNS && x < start {
			start = x
		}
	}
	if b.suspect != 0 && t-b.suspect <= 2*hourNS {
		start = min(start, b.suspect)
	}
	e.start = start
	for i := range b.recent {
		x := &b.recent[i]
		if x.t != 0 && t-x.t <= dayNS && x.t <= t-int64(g.cfg.MatureAfter) {
			e.matured++
			if x.verified {
				e.entered++
			}
		}
		if x.t != 0 && t-x.t <= dayNS {
			e.evidence++
		}
	}
	if sibling && a.blocks[p4] == nil {
		p := g.open(a, p4, 4, num, rule, reasons|ReasonNextToBlocked, t)
		p.start = start
		for i := byte('0'); i <= '9'; i++ {
			if s := a.blocks[p4+string(rune(i))]; s != nil && s.start < p.start {
				p.start = s.start
			}
		}
	}
}

func (g *Guard) open(a *appState, prefix string, free int, num Number, rule, reasons Reasons, t int64) *episode {
	h := a.history[prefix]
	level := 0
	if h.last != 0 && t-h.last <= int64(g.cfg.RepeatWithin) {
		level = h.level + 1
	}
	ttl := g.cfg.BlockTTL
	for range level {
		ttl *= 2
		if ttl >= g.cfg.MaxBlockTTL {
			ttl = g.cfg.MaxBlockTTL
			break
		}
	}
	g.sweepBlocks(a, t)
	e := &episode{app: a.name, prefix: prefix, rule: ruleName(rule), reasons: reasons | rule, country: num.Region,
		carrier: num.Carrier, numberType: num.Type, start: t, placed: t, until: t + int64(ttl), last: t, level: level, free: free}
	a.blocks[prefix] = e
	a.history[prefix] = blockHistory{level: level, last: t}
	return e
}

// sweepBlocks closes an app's expired blocks and forgets the history of
// prefixes not blocked within RepeatWithin, when they are many: blocks are
// otherwise closed when their prefix is seen again.
func (g *Guard) sweepBlocks(a *appState, t int64) {
	if len(a.blocks) >= 256 {
		for p, e := range a.blocks {
			if t >= e.until {
				g.close(a, p, e)
			}
		}
	}
	if len(a.history) >= g.cfg.MaxEpisodes {
		// Down to three quarters, as evictIPs does: not one at a time.
		for p, h := range a.history {
			if t-h.last > int64(g.cfg.RepeatWithin) {
				delete(a.history, p)
			}
		}
		for p := range a.history {
			if len(a.history) < g.cfg.MaxEpisodes*3/4 {
				break
			}
			delete(a.history, p)
		}
	}
}

// close moves an expired episode to the closed list.
func (g *Guard) close(a *appState, prefix string, e *episode) {
	delete(a.blocks, prefix)
	if e.free == 3 {
		if p4 := prefix[:len(prefix)-1]; a.parents[p4] <= e.until {
			delete(a.parents, p4)
		}
	}
	g.episodes = append(g.episodes, e)
	if len(g.episodes) > g.cfg.MaxEpisodes {
		n := len(g.episodes) - g.cfg.MaxEpisodes
		g.episodes = append(g.episodes[:0], g.episodes[n:]...)
		g.dropped += n
	}
}

// Verified feeds a verification back: the code sent to v.Number was
// entered. Verifications of numbers the Guard has not seen (or no longer
// remembers) still count for the country and carrier. It gives back the
// number's analysis (from the cache when its block was seen), and false
// for a number that is not valid, which counts nowhere.
func (g *Guard) Verified(v *Verified) (Number, bool) {
	num, err := g.nums.Analyse(v.Number)
	if err != nil || num.Type == Invalid {
		return num, false
	}
	t := v.Time.UnixNano()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.changes++
	a := g.app(v.App)
	if c := a.countries[num.Region]; c != nil {
		c.Verify(t)
		c.base.add(t, 0, 1)
	}
	a.total.add(t, 0, 1)
	if num.Carrier != "" {
		if car := a.carriers[num.Carrier]; car != nil {
			car.Verify(t)
		}
	}
	if b := a.prefixes[prefix3(v.Number)]; b != nil {
		if b.c != nil {
			b.c.ver[Minute].Add(t, MinuteBucket, 1)
			b.c.ver[Hour].Add(t, HourBucket, 1)
		}
		s := suffix3(v.Number)
		for i := range b.recent {
			if e := &b.recent[i]; e.suffix == s && e.t != 0 && e.t <= t {
				e.verified = true
			}
		}
	}
	return num, true
}

// Baseline returns an app's learnt baseline for a country.
func (g *Guard) Baseline(app, region string) (Baseline, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.apps[app]
	if a == nil {
		return Baseline{}, false
	}
	c := a.countries[region]
	if c == nil {
		return Baseline{}, false
	}
	return Baseline{Hourly: c.base.hourly, Conversion: c.base.conv, Hours: c.base.hours}, true
}

// Blocked lists the prefixes an app's requests had blocked that are still
// blocked at t, with when each block ends. A block applies to every app of
// the Guard; each is listed under the app that placed it.
func (g *Guard) Blocked(app string, at time.Time) map[string]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]time.Time{}
	for p, e := range g.ranges.blocks {
		if e.app == app && at.UnixNano() < e.until {
			out[p] = time.Unix(0, e.until).UTC()
		}
	}
	return out
}

// Release lifts a block that app's requests placed on prefix, now (an
// operator's decision), for every app of the Guard; the episode stays for
// Findings. It reports whether a block was lifted.
func (g *Guard) Release(app, prefix string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.changes++
	a := g.apps[app]
	if a == nil {
		return false
	}
	e := a.blocks[prefix]
	if e == nil || e.app != a.name {
		return false
	}
	g.close(a, prefix, e)
	return true
}
