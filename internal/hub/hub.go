// Package hub is fusion's service layer: every interface (API, CLI, later
// TAXII and the web UI) calls it, and it is the only code that reads intel
// from the store on a caller's behalf. Each read passes through the policy
// gate; each change runs in one store transaction.
package hub

import (
	"strings"
	"sync/atomic"

	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"fusion/internal/tor"
	"fusion/internal/warninglist"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// Limits on what one call may carry.
const (
	// MaxBatch is the most records one CreateRecords call accepts.
	MaxBatch = 10000
	// MaxPage is the largest page a list returns.
	MaxPage = 1000
	// DefaultPage is the page size when none is asked for.
	DefaultPage = 100
)

// Errors beyond the domain sentinels of package intel.
var (
	// ErrUnauthenticated means no valid, unrevoked token was presented.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrTooMany means a batch exceeds MaxBatch.
	ErrTooMany = errors.New("too many items")

	errNoCanonicalizer = errors.New("hub: opened without a card key, so it cannot parse records")
)

// Hub is the service. It is safe for concurrent use.
type Hub struct {
	store *store.Store
	canon *observable.Canonicalizer
	ev    *evidence.Log
	m     *matching // nil until EnableMatching
	tor   atomic.Pointer[tor.Directory]
	lim   atomic.Pointer[limiter]
	warn  atomic.Pointer[warninglist.Set]
	log   *slog.Logger
	now   func() time.Time

	people *people // users' sessions, sign-in throttle, password hashing

	det detectors    // each organization's C2 detector (detect.go)
	sms smsGuards    // each organization's SMS-pumping guard (sms.go)
	scr screeners    // each organization's inline booking screener (screen.go)
	rp  rulePackages // compiled rule packages and the screeners running them (rulepackages.go)
	// smsShare keeps the guards' shared ranges current (sms_share.go).
	smsShare smsSharing
	// smsSeries holds each organization's SMS traffic per app and hour
	// (sms_apps.go).
	smsSeries smsSeriesSet

	touchMu sync.Mutex
	touched map[string]time.Time // token id -> last time last_used was written

	tokens tokenCache // tokens verified in the last TTL (tokencache.go)
}

// New returns a hub over st, logging evidence to ev. canon canonicalizes
// observables (it holds the card key); it may be nil for a hub that only
// administers the directory.
func New(st *store.Store, canon *observable.Canonicalizer, ev *evidence.Log, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	h := &Hub{store: st, canon: canon, ev: ev, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }, touched: map[string]time.Time{}, people: newPeople()}
	h.SetLimits(DefaultLimits)
	h.SetWarningLists(warninglist.Default())
	h.tokens.ttl = DefaultTokenCacheTTL
	return h
}

// SetWarningLists sets the lists submitted values are checked against
// (nil: none).
func (h *Hub) SetWarningLists(s *warninglist.Set) { h.warn.Store(s) }

// WarningListError refuses a value that is on warning lists.
type WarningListError struct {
	Value string
	Hits  []warninglist.Hit
}

func (e *WarningListError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "value: %q: on the warning list", e.Value)
	if len(e.Hits) > 1 {
		b.WriteString("s")
	}
	for i, h := range e.Hits {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %q (%s)", h.List, h.Reason)
	}
	b.WriteString(`; send "force": true to share it anyway, marked with the lists`)
	return b.String()
}

// Unwrap makes a WarningListError an input error.
func (e *WarningListError) Unwrap() error { return intel.ErrInvalid }

// Close stops the evidence committer, then closes the store.
func (h *Hub) Close() error {
	h.ev.Close()
	return h.store.Close()
}

// Canonicalizer returns the observable parser the hub uses.
func (h *Hub) Canonicalizer() *observable.Canonicalizer { return h.canon }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Authenticate resolves a bearer token to a caller.
func (h *Hub) Authenticate(ctx context.Context, secret string) (*policy.Caller, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: no token", ErrUnauthenticated)
	}
	sum := sha256.Sum256([]byte(secret))
	if c, ok := h.tokens.get(sum, h.now()); ok {
		h.touch(ctx, c.TokenID)
		return c, nil
	}
	gen := h.tokens.generation()
	tok, err := h.store.TokenByHash(ctx, sum[:])
	if errors.Is(err, intel.ErrNotFound) {
		return nil, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	if tok.Revoked != nil {
		return nil, fmt.Errorf("%w: token %s was revoked at %s", ErrUnauthenticated, tok.ID, tok.Revoked.Format(time.RFC3339))
	}
	groups, err := h.store.GroupsOf(ctx, tok.Org)
	if err != nil {
		return nil, err
	}
	org, err := h.store.Org(ctx, tok.Org)
	if err != nil {
		return nil, err
	}
	h.touch(ctx, tok.ID)
	c := &policy.Caller{Org: tok.Org, Role: tok.Role, TokenID: tok.ID, Groups: groups, Operator: org.Operator}
	h.tokens.put(sum, c, gen, h.now())
	return c, nil
}

// touch writes a token's last use at most once a minute: a write per request
// would serialize every reader on SQLite's write lock.
func (h *Hub) touch(ctx context.Context, id string) {
	if h.ev.Halted() != nil {
		return // a halted hub writes nothing
	}
	now := h.now()
	h.touchMu.Lock()
	last, ok := h.touched[id]
	if ok && now.Sub(last) < time.Minute {
		h.touchMu.Unlock()
		return
	}
	h.touched[id] = now
	h.touchMu.Unlock()
	if err := h.store.TouchToken(ctx, id, now.UnixMicro()); err != nil {
		h.log.Warn("token last_used not written", "token", id, "err", err)
	}
}

// visibility is the store prefilter for c; the gate still decides.
func visibility(c *policy.Caller) *store.Visibility {
	return &store.Visibility{Org: c.Org, Groups: c.Groups}
}
