package evidence

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// Every leaf is stored with a MAC: HMAC-SHA256 over its sequence number
// (8 bytes, big-endian) and its exact bytes, under a key derived from the
// hub's checkpoint signing key, which lives in the hub's data directory and
// never in the database. Whoever can write the database but cannot read the
// hub's secrets cannot forge a leaf, edit one, or move one to another
// position without the MAC failing. The MAC is not part of the tree: bundles
// and proofs do not carry it, and offline checkers rely on checkpoints.

// deriveMACKey derives the leaf MAC key from the Ed25519 seed of the
// signing key.
func deriveMACKey(seed []byte) []byte {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte("fusion/evidence/leaf-mac/v1"))
	return m.Sum(nil)
}

// LeafMAC returns the MAC of leaf data at seq under key.
func LeafMAC(key []byte, seq int64, data []byte) []byte {
	return newMACer(key).mac(seq, data)
}

// macer computes leaf MACs under one key, reusing its keyed state.
type macer struct{ h hash.Hash }

func newMACer(key []byte) *macer { return &macer{hmac.New(sha256.New, key)} }

func (m *macer) mac(seq int64, data []byte) []byte {
	m.h.Reset()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	m.h.Write(n[:])
	m.h.Write(data)
	return m.h.Sum(make([]byte, 0, sha256.Size))
}
