package hub

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fusion/internal/policy"
	"fusion/internal/screen"
)

// Inline screening of card-not-present bookings (POST /api/v1/screen): an
// airline's booking engine asks, before it confirms a booking, whether the
// booking should be held for review. Each organization has its own
// screen.Screener running the built-in rule package (screen.Default),
// made on its first request and kept in memory: its rings link its own
// bookings and no other organization's, and one organization never learns
// anything of another's bookings, rings or decisions. The server saves the
// screeners' bookings, hashed, every two seconds and when it stops
// (screen_state.go), and a screener is rebuilt from them when first needed
// after a restart. Linking
// across organizations (the action day's rings spanning airlines) is not
// part of inline screening yet.
//
// Clear names and card numbers (cardholder_name, traveller_name,
// card_number) are hashed with HMAC-SHA-256 under a key derived from the
// hub's secret (server.Config.Secret, as given to EnableMatching, purpose
// "fusion/screen-hash/v1") as the booking is parsed, and only the hashes
// are kept; a hub without matching enabled refuses clear values and takes
// only hashed fields. Nothing of a booking is logged or written to the
// evidence log, and only its hashed form is stored (as the screener's
// state, shown to nobody): a decision is the rules' answer to the caller
// about its own booking, not a disclosure.
//
// Memory: a screener keeps every booking it screened (the ring of a
// booking added later may reach back to it): 209 bytes of heap a booking
// measured over 200,000 bookings of a generated transactions scenario
// (docs/screen.md), more when most bookings bring a new card and account
// (about 200 bytes each more, estimated from package screen's types). To
// bound it, an organization's screener is replaced by an empty one after
// MaxScreenBookings bookings, which forgets the rings built so far: at the
// bound about 105 MB per organization at the measured rate, up to about
// 250 MB when every booking brings a new card and a new account.
//
// A screener is not safe for concurrent use, so an organization's requests
// take turns on its own lock (a few microseconds each); organizations do
// not wait on one another beyond a map look-up.
//
// The screener takes each booking's booked time as given and expects
// bookings roughly in booking-time order: a booking out of order links as
// package screen says (within the windows of the last booking sharing a
// key), and a wrong time spoils only its own organization's linking.

// MaxScreenBookings is how many bookings an organization's inline
// screener holds before it is replaced by an empty one.
const MaxScreenBookings = 500_000

// screeners holds the organizations' inline screeners, made on first use.
type screeners struct {
	mu   sync.Mutex
	c    *screen.Compiled // the built-in package, compiled on first use
	orgs map[string]*orgScreener
	keep atomic.Bool // the server saves the screeners' state (KeepScreenState)
}

type orgScreener struct {
	mu    sync.Mutex
	s     *screen.Screener
	since time.Time // when s was made: its bookings are those screened since
	// org and scope name the screener's saved state (screen_state.go);
	// keep is set when the hub saves it, and pending then holds the
	// bookings screened since the last save as hashed JSON lines, in
	// blocks of pendingBlock bytes (so that growing never copies what is
	// there), size bytes in all, up to maxPendingScreen; past it,
	// overflow is set and the state saved so far is deleted at the next
	// save rather than left incomplete. line is the encoding's buffer.
	org, scope string
	keep       bool
	pending    [][]byte
	size       int
	overflow   bool
	line       []byte
}

// newOrgScreener returns an empty inline screener running c, made at now.
func newOrgScreener(c *screen.Compiled, now time.Time) *orgScreener {
	return &orgScreener{s: newScreenerOf(c), since: now}
}

// ScreenReason is a rule that fired on a booking.
type ScreenReason struct {
	Rule   string  `json:"rule"`
	Reason string  `json:"reason"`
	Score  float64 `json:"score"`
}

// ScreenRing is the ring a booking is linked into (see screen.Ring).
type ScreenRing struct {
	ID               string  `json:"id"`
	Size             int     `json:"size"`
	CardTravellers   int     `json:"card_travellers"`
	BookerTravellers int     `json:"booker_travellers"`
	CardAirlines     int     `json:"card_airlines"`
	Score            float64 `json:"score"`
}

// Screen decisions.
const (
	ScreenFlag = "flag" // hold the booking for review
	ScreenPass = "pass"
)

// ScreenResult is the answer on one booking: flag when the rules' scores
// plus its ring's score reach the package's threshold.
type ScreenResult struct {
	Booking   string         `json:"booking"`
	Decision  string         `json:"decision"`
	Score     float64        `json:"score"`
	Threshold float64        `json:"threshold"`
	Package   string         `json:"package"` // id@version
	Reasons   []ScreenReason `json:"reasons"`
	Ring      *ScreenRing    `json:"ring,omitempty"` // when linked to other bookings
	// Basis is what the ring rests on: no ring means no link among
	// these bookings only.
	Basis ScreenBasis `json:"basis"`
}

// ScreenBasis is the history an inline answer's ring linking rests on:
// the organization's bookings screened since Since, this one included.
// Since is when its screener was made: the organization's first booking
// (kept across restarts with the saved state, screen_state.go), the
// package's revision, or the screener's replacement at MaxScreenBookings,
// each of which forgets the bookings before.
type ScreenBasis struct {
	Bookings int       `json:"bookings"`
	Since    time.Time `json:"since"`
}

// screenKey is the key clear names and card numbers are hashed under, or
// nil when matching is not enabled.
func (h *Hub) screenKey() []byte {
	if h.m == nil {
		return nil
	}
	return h.m.screenKey
}

// Screen screens one booking of c's organization, given as a JSON object
// with the fields of a bookings.jsonl line (screen.ParseBooking), in the
// organization's own screener, and answers whether to flag it. It needs
// policy.SubmitEvents: a sensor token on the airline's booking engine. A
// malformed booking is a *screen.LineError naming the field, the value
// (withheld for clear names and card numbers) and why.
func (h *Hub) Screen(ctx context.Context, c *policy.Caller, body []byte) (ScreenResult, error) {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return ScreenResult{}, err
	}
	b, err := screen.ParseBooking(body, screen.ReaderOptions{Key: h.screenKey()})
	if err != nil {
		return ScreenResult{}, err
	}
	o, err := h.orgScreener(ctx, c.Org)
	if err != nil {
		return ScreenResult{}, err
	}
	return screenIn(o, h.scr.c, &b, h.now())
}

// screenIn screens b in o, whose screener runs comp.
func screenIn(o *orgScreener, comp *screen.Compiled, b *screen.Booking, now time.Time) (ScreenResult, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.s.Len() >= MaxScreenBookings {
		o.s, o.since = newScreenerOf(comp), now
		o.pending, o.size, o.overflow = nil, 0, false
	}
	r, err := o.s.Add(b)
	if err != nil {
		return ScreenResult{}, err
	}
	o.remember(b)
	g := o.s.Ring()
	out := ScreenResult{Booking: b.ID, Decision: ScreenPass, Threshold: o.s.Threshold(), Reasons: []ScreenReason{},
		Basis: ScreenBasis{Bookings: o.s.Len(), Since: o.since}}
	for i := 0; r.Fired>>i != 0; i++ {
		if r.Fired&(1<<i) != 0 {
			rule := o.s.RuleOf(i)
			out.Reasons = append(out.Reasons, ScreenReason{Rule: rule.ID, Reason: rule.Reason, Score: rule.Score})
		}
	}
	pkg := comp.Package
	out.Package = pkg.ID + "@" + strconv.Itoa(pkg.Version)
	out.Score = round3(r.Score + g.Score)
	if g.Size > 1 {
		out.Ring = &ScreenRing{ID: g.ID, Size: g.Size, CardTravellers: g.CardTravellers, BookerTravellers: g.BookerTravellers,
			CardAirlines: g.CardAirlines, Score: g.Score}
	}
	if r.Score+g.Score >= out.Threshold-1e-9 {
		out.Decision = ScreenFlag
	}
	return out, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// orgScreener returns org's screener, made on first use: rebuilt from its
// saved state when there is one (loadScreener).
func (h *Hub) orgScreener(ctx context.Context, org string) (*orgScreener, error) {
	if _, err := h.builtinPackage(); err != nil {
		return nil, err
	}
	h.scr.mu.Lock()
	defer h.scr.mu.Unlock()
	o := h.scr.orgs[org]
	if o == nil {
		if h.scr.orgs == nil {
			h.scr.orgs = map[string]*orgScreener{}
		}
		var err error
		if o, err = h.loadScreener(ctx, org, "", h.scr.c); err != nil {
			return nil, err
		}
		h.scr.orgs[org] = o
	}
	return o, nil
}

// newScreenerOf returns an empty inline screener running c.
func newScreenerOf(c *screen.Compiled) *screen.Screener {
	cfg := screen.DefaultConfig()
	cfg.Rings = true
	return screen.New(c, cfg)
}
