package hub

import (
	"slices"
	"sync"
	"time"

	"fusion/internal/policy"
)

// DefaultTokenCacheTTL is how long Authenticate trusts a token it has
// verified against the store without asking the store again.
//
// Authentication costs three store queries (the token by its hash, the
// organization's groups, the organization); a sensor's backend that asks
// thousands of times a second (POST /api/v1/sms/check) spent about half
// of each request there. The cache holds, for each token verified in the
// last TTL, the caller it resolved to, keyed by the SHA-256 of the secret
// (the value the store holds: the secret itself is never kept).
//
// Correctness: this hub forgets every cached token at once when it
// revokes a token or changes a group's members, so a revocation made
// through this hub process (API, UI) takes effect on the next request. A
// change made by another process — `fusion admin token revoke` on the
// same SQLite file while the server runs, or another hub process sharing
// a PostgreSQL store — is seen here at most TTL later: a revoked token
// keeps working on this process for up to 5 seconds. Tokens have no
// expiry of their own; sessions of the web UI are not cached here.
const DefaultTokenCacheTTL = 5 * time.Second

// maxCachedTokens bounds the cache: past it, it is emptied. Only tokens
// that authenticated enter it, so its size is the tokens in use.
const maxCachedTokens = 4096

// tokenCache is the authenticated tokens of the last TTL.
// Every authenticated request reads it: readers share the lock (a
// plain mutex was a fifth of the lock waits of the SMS check at 10,000
// requests/s, bench/smsbench).
type tokenCache struct {
	mu      sync.RWMutex
	ttl     time.Duration
	gen     uint64 // bumped by every invalidation
	entries map[[32]byte]cachedToken
}

type cachedToken struct {
	caller policy.Caller
	until  time.Time
}

// get returns a copy of the caller cached for the token whose secret
// hashes to sum, if it was verified less than TTL before now.
// An expired entry stays until put replaces it or the cache is emptied.
func (tc *tokenCache) get(sum [32]byte, now time.Time) (*policy.Caller, bool) {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	e, ok := tc.entries[sum]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	c := e.caller
	c.Groups = slices.Clone(e.caller.Groups)
	return &c, true
}

// generation is read before the store is asked, and given to put: a
// caller resolved before an invalidation is not cached after it.
func (tc *tokenCache) generation() uint64 {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return tc.gen
}

// put caches c for the token whose secret hashes to sum, unless the
// cache was invalidated since gen was read.
func (tc *tokenCache) put(sum [32]byte, c *policy.Caller, gen uint64, now time.Time) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.ttl <= 0 || gen != tc.gen {
		return
	}
	if tc.entries == nil || len(tc.entries) >= maxCachedTokens {
		tc.entries = map[[32]byte]cachedToken{}
	}
	e := cachedToken{caller: *c, until: now.Add(tc.ttl)}
	e.caller.Groups = slices.Clone(c.Groups)
	tc.entries[sum] = e
}

// invalidate forgets every cached token.
func (tc *tokenCache) invalidate() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.gen++
	tc.entries = nil
}

// SetTokenCacheTTL sets how long Authenticate trusts a verified token
// without asking the store (see DefaultTokenCacheTTL); 0 asks the store
// on every request.
func (h *Hub) SetTokenCacheTTL(ttl time.Duration) {
	h.tokens.mu.Lock()
	defer h.tokens.mu.Unlock()
	h.tokens.ttl = max(ttl, 0)
	h.tokens.gen++
	h.tokens.entries = nil
}
