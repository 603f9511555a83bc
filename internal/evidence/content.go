package evidence

import (
	"encoding/hex"
	"slices"

	"fusion/internal/intel"
)

// The canonical content of each kind of object, as its leaves hash it. A
// record's content is its stored body (store.Encode); the others are
// defined here, and the verifier recomputes them from the store.

// ReportContent is a report with the ids of every record it groups.
func ReportContent(r intel.Report) ([]byte, error) {
	r.Records = slices.Sorted(slices.Values(r.Records))
	r.RecordCount = 0
	return Canonical(&r)
}

// OrgContent is an organization as stored.
func OrgContent(o intel.Org) ([]byte, error) { return Canonical(&o) }

// GroupContent is a group with its members.
func GroupContent(g intel.Group) ([]byte, error) {
	g.Members = slices.Sorted(slices.Values(g.Members))
	return Canonical(&g)
}

// TokenContent is a token with the hash of its secret (so that swapping a
// token's secret in the database is detected) and without its last use,
// which changes without a leaf.
func TokenContent(t intel.Token, hash []byte) ([]byte, error) {
	t.LastUsed = nil
	return Canonical(&struct {
		intel.Token
		Hash string `json:"hash"`
	}{t, hex.EncodeToString(hash)})
}
