package evidence

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
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
	m := hmac.New(sha256.New, key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	m.Write(n[:])
	m.Write(data)
	return m.Sum(nil)
}

// checkMAC reports whether mac is the MAC of data at seq under key.
func checkMAC(key []byte, seq int64, data, mac []byte) bool {
	return hmac.Equal(mac, LeafMAC(key, seq, data))
}
