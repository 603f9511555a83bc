package hub

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"fusion/internal/match"
)

// Limits bound how much hit/no-hit one organization may ask.
type Limits struct {
	// HitRequests per minute, and HitValues per hour, per organization.
	HitRequests int
	HitValues   int
}

// DefaultLimits allow a partner to check a day's worth of indicators in a
// few requests, but not to enumerate a hub's holdings.
var DefaultLimits = Limits{HitRequests: 60, HitValues: 2_000_000}

// MaxHitValues is the most values one hit/no-hit request may carry.
const MaxHitValues = 100_000

// ErrRateLimited means an organization asked more than its limits allow.
var ErrRateLimited = errors.New("rate limited")

// matching is the state the matching features need.
type matching struct {
	ix       *match.Index
	refKey   cipher.AEAD // seals opaque references to records
	valueKey []byte      // keys the hashes of hit/no-hit values
	limits   Limits

	mu       sync.Mutex
	limiters map[string]*orgLimits
}

type orgLimits struct{ requests, values *rate.Limiter }

// EnableMatching gives the hub an index of its records (kept current by a
// match.Feed) and the secret its opaque references and value hashes are
// keyed with. Until it is called, the matching features answer that the hub
// has no index.
func (h *Hub) EnableMatching(ix *match.Index, secret []byte, limits Limits) error {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("fusion/access-ref/v1"))
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	h.m = &matching{ix: ix, refKey: aead, valueKey: derive("fusion/hit-values/v1"), limits: limits, limiters: map[string]*orgLimits{}}
	return nil
}

// ErrNoIndex means the hub was started without a match index.
var ErrNoIndex = errors.New("hub: matching is not enabled on this hub")

// Index returns the hub's match index, or nil.
func (h *Hub) Index() *match.Index {
	if h.m == nil {
		return nil
	}
	return h.m.ix
}

func (m *matching) allow(org string, values int) error {
	m.mu.Lock()
	l, ok := m.limiters[org]
	if !ok {
		l = &orgLimits{
			requests: rate.NewLimiter(rate.Limit(float64(m.limits.HitRequests)/60), max(1, m.limits.HitRequests)),
			values:   rate.NewLimiter(rate.Limit(float64(m.limits.HitValues)/3600), max(MaxHitValues, m.limits.HitValues)),
		}
		m.limiters[org] = l
	}
	m.mu.Unlock()
	now := time.Now()
	if !l.requests.AllowN(now, 1) || !l.values.AllowN(now, values) {
		return fmt.Errorf("%w: organization %s may ask %d hit/no-hit requests a minute and %d values an hour", ErrRateLimited, org, m.limits.HitRequests, m.limits.HitValues)
	}
	return nil
}

// sealRef returns an opaque reference to a record: sealed with the hub's
// key and a fresh nonce, so two answers about one record cannot be linked.
func (m *matching) sealRef(recordID string) string {
	nonce := make([]byte, m.refKey.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(m.refKey.Seal(nonce, nonce, []byte(recordID), []byte("ref")))
}

func (m *matching) openRef(ref string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(ref)
	if err != nil || len(b) < m.refKey.NonceSize() {
		return "", false
	}
	id, err := m.refKey.Open(nil, b[:m.refKey.NonceSize()], b[m.refKey.NonceSize():], []byte("ref"))
	return string(id), err == nil
}
