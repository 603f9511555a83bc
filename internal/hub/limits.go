package hub

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound how much one organization may ask of the hub: hit/no-hit
// queries, and lookups of single records by id or by value. A value or an
// id that is hidden and one that does not exist get the same answer along
// the same code path, and that path takes at least LookupTime, so that the
// store's extra work on a hidden record (a few microseconds) does not
// show; the limits keep anyone from asking often enough to enumerate a
// hub's holdings.
type Limits struct {
	// HitRequests per minute, and HitValues per hour, per organization.
	HitRequests int
	HitValues   int
	// Lookups per minute per organization: getting a record, its history,
	// a report, and searching records by value.
	Lookups int
	// LookupTime is the least time a lookup takes, answered early or not.
	LookupTime time.Duration
}

// DefaultLimits allow a partner to check a day's worth of indicators in a
// few requests and an analyst to browse freely, but not to enumerate a
// hub's holdings.
var DefaultLimits = Limits{HitRequests: 60, HitValues: 2_000_000, Lookups: 1200, LookupTime: 2 * time.Millisecond}

// ErrRateLimited means an organization asked more than its limits allow.
var ErrRateLimited = errors.New("rate limited")

type limiter struct {
	limits Limits
	mu     sync.Mutex
	orgs   map[string]*orgLimits
}

type orgLimits struct{ requests, values, lookups *rate.Limiter }

// SetLimits replaces the hub's limits (counting starts afresh).
func (h *Hub) SetLimits(l Limits) {
	h.lim.Store(&limiter{limits: l, orgs: map[string]*orgLimits{}})
}

func (h *Hub) limits() *limiter { return h.lim.Load() }

func (l *limiter) of(org string) *orgLimits {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orgs[org]
	if !ok {
		o = &orgLimits{
			requests: rate.NewLimiter(rate.Limit(float64(l.limits.HitRequests)/60), max(1, l.limits.HitRequests)),
			values:   rate.NewLimiter(rate.Limit(float64(l.limits.HitValues)/3600), max(MaxHitValues, l.limits.HitValues)),
			lookups:  rate.NewLimiter(rate.Limit(float64(l.limits.Lookups)/60), max(1, l.limits.Lookups)),
		}
		l.orgs[org] = o
	}
	return o
}

func (l *limiter) allowHits(org string, values int) error {
	o, now := l.of(org), time.Now()
	if !o.requests.AllowN(now, 1) || !o.values.AllowN(now, values) {
		return fmt.Errorf("%w: organization %s may ask %d hit/no-hit requests a minute and %d values an hour", ErrRateLimited, org, l.limits.HitRequests, l.limits.HitValues)
	}
	return nil
}

func (l *limiter) allowLookup(org string) error {
	if !l.of(org).lookups.Allow() {
		return fmt.Errorf("%w: organization %s may look up %d records or values a minute", ErrRateLimited, org, l.limits.Lookups)
	}
	return nil
}

// padLookup waits until a lookup that began at start has taken the
// hub's LookupTime. The wait must end at that time to the microsecond, not
// at the runtime's next timer tick (which on Linux comes in whole
// milliseconds after the wait began, and so would pass on the difference):
// see sleepExactly.
func (h *Hub) padLookup(start time.Time) {
	if d := h.limits().limits.LookupTime - time.Since(start); d > 0 {
		sleepExactly(d)
	}
}
