package hub

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/store"
)

// MaxHitValues is the most values one hit/no-hit request may carry.
const MaxHitValues = 100_000

// matching is the state the matching features need.
type matching struct {
	ix       *match.Index
	refKey   cipher.AEAD // seals opaque references to records
	valueKey []byte      // keys the hashes of hit/no-hit values
	anonKey  []byte      // keys the STIX ids of anonymous observers' sightings
	// screenKey keys the hashes of clear names and card numbers in
	// bookings screened inline (screen.go).
	screenKey []byte
}

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
	h.m = &matching{ix: ix, refKey: aead, valueKey: derive("fusion/hit-values/v1"), anonKey: derive("fusion/stix-sighting-anonymity/v1"),
		screenKey: derive("fusion/screen-hash/v1")}
	h.SetLimits(limits)
	return nil
}

// indexOnCommit puts records into the match index once tx commits, so
// that a change made through this hub is matched on by its next request;
// the feed brings in changes made by other processes, and applying one
// twice is harmless (the index keeps the newest version). The SMS guards'
// shared ranges are rebuilt then too when a phone-range record changed.
func (h *Hub) indexOnCommit(tx *store.Tx, recs ...*intel.Record) {
	h.smsShareOnCommit(tx, recs...)
	if h.m == nil || len(recs) == 0 {
		return
	}
	ix := h.m.ix
	tx.OnCommit(func() {
		for _, r := range recs {
			_ = ix.Put(r) // the only error is a malformed id, which the feed reports
		}
	})
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
