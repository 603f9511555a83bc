package hub

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// actor is who a leaf names: an organization through a token, or the hub's
// operator at its own machine (both empty).
type actor struct {
	org, token, purpose string
}

func actorOf(c *policy.Caller) actor { return actor{c.Org, c.TokenID, c.Purpose} }

var operator = actor{}

func (a actor) leaf(action evidence.Action, objs ...evidence.Object) evidence.Leaf {
	return evidence.Leaf{Org: a.org, Token: a.token, Purpose: a.purpose, Action: action, Objects: objs}
}

func recordObject(enc store.Encoded) evidence.Object {
	r := enc.Record
	return evidence.Object{Kind: evidence.KindRecord, ID: r.ID, Owner: r.Originator, SHA256: hex.EncodeToString(enc.Sum[:])}
}

// recordChange is the object of a change of a record whose body was prev.
func recordChange(prev []byte, enc store.Encoded) evidence.Object {
	o := recordObject(enc)
	o.Prev = evidence.Sum(prev)
	return o
}

// logged appends one leaf about a change of kind/id from content before
// (nil when the change created it) to the content that after reads back in
// tx.
func (h *Hub) logged(tx *store.Tx, a actor, action evidence.Action, kind, id, owner string, before []byte, after func() ([]byte, error)) error {
	c, err := after()
	if err != nil {
		return err
	}
	return h.ev.Append(tx, a.leaf(action, evidence.ChangeOf(kind, id, owner, before, c)))
}

// changing takes the evidence lock and reads the content of an object
// about to change, for its leaf's chain (see evidence.Object.Prev).
func changing(tx *store.Tx, content func() ([]byte, error)) ([]byte, error) {
	if err := tx.LockEvidence(); err != nil {
		return nil, err
	}
	return content()
}

// The content readers below read an object back inside the transaction
// that changed it, so that its leaf hashes exactly what is stored.

func orgContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.OrgRow(id)
		return evidence.OrgContent(r), err
	}
}

func groupContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.GroupRow(id)
		return evidence.GroupContent(r), err
	}
}

func tokenContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.TokenRow(id)
		return evidence.TokenContent(r), err
	}
}

func reportContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		body, records, err := tx.ReportRaw(id)
		return evidence.ReportContent(body, records), err
	}
}

// discloseRecords writes, before the caller sees them, one leaf per owner for
// the records shown to c that are neither c's own nor TLP:CLEAR, with the
// hash of the form in which each was shown.
func (h *Hub) discloseRecords(ctx context.Context, c *policy.Caller, shown []intel.Record) error {
	byOwner := map[string][]evidence.Object{}
	for i := range shown {
		r := &shown[i]
		if r.Originator == c.Org || r.TLP == intel.Clear {
			continue
		}
		// The hash store.Encode gives, without the search text it also
		// builds (a third of the cost of a TAXII page's disclosures).
		byOwner[r.Originator] = append(byOwner[r.Originator], evidence.Object{Kind: evidence.KindRecord, ID: r.ID, Owner: r.Originator,
			SHA256: evidence.Sum(r.MarshalCanonical())})
	}
	return h.disclose(ctx, c, byOwner)
}

// discloseReport writes the leaf for a report shown to c.
func (h *Hub) discloseReport(ctx context.Context, c *policy.Caller, r intel.Report) error {
	if r.Originator == c.Org || r.TLP == intel.Clear {
		return nil
	}
	// The hash of the form in which it was shown: the report as c sees it.
	shown, err := evidence.Canonical(&r)
	if err != nil {
		return err
	}
	return h.disclose(ctx, c, map[string][]evidence.Object{r.Originator: {evidence.ObjectOf(evidence.KindReport, r.ID, r.Originator, shown)}})
}

func (h *Hub) disclose(ctx context.Context, c *policy.Caller, byOwner map[string][]evidence.Object) error {
	if len(byOwner) == 0 {
		return nil
	}
	owners := make([]string, 0, len(byOwner))
	for o := range byOwner {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	leaves := make([]evidence.Leaf, len(owners))
	for i, o := range owners {
		leaves[i] = actorOf(c).leaf(evidence.Disclose, byOwner[o]...)
	}
	if err := h.ev.Record(ctx, leaves...); err != nil {
		return fmt.Errorf("hub: disclosure not logged, so not made: %w", err)
	}
	return nil
}

// Evidence returns the hub's evidence log.
func (h *Hub) Evidence() *evidence.Log { return h.ev }

// Entry is an evidence log entry as a caller may see it.
type Entry struct {
	Index int64         `json:"index"`
	Leaf  evidence.Leaf `json:"leaf"`
	// Data is the leaf's exact bytes, which the tree hashes.
	Data string `json:"data"`
}

// MaxEntries bounds the range of one EvidenceEntries call.
const MaxEntries = 1000

// EvidenceEntries returns the entries with from <= index < to that c may see.
func (h *Hub) EvidenceEntries(ctx context.Context, c *policy.Caller, from, to int64) ([]Entry, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	if from < 0 || to < from || to-from > MaxEntries {
		return nil, &intel.FieldError{Field: "from", Value: fmt.Sprintf("%d..%d", from, to), Reason: fmt.Sprintf("a range of 0 to %d entries from 0 up", MaxEntries)}
	}
	out := []Entry{}
	err := h.ev.Leaves(ctx, from, to, func(seq int64, data []byte) error {
		leaf, err := evidence.ParseLeaf(data)
		if err != nil {
			return fmt.Errorf("evidence leaf %d: %w", seq, err)
		}
		if policy.Entry(c, &leaf) {
			out = append(out, Entry{Index: seq, Leaf: leaf, Data: string(data)})
		}
		return nil
	})
	return out, err
}

// EvidenceEntryVisible reports whether c may see the entry at index (and so
// an inclusion proof for it); entries c may not see do not exist for it.
func (h *Hub) EvidenceEntryVisible(ctx context.Context, c *policy.Caller, index int64) error {
	found := false
	err := h.ev.Leaves(ctx, index, index+1, func(_ int64, data []byte) error {
		leaf, err := evidence.ParseLeaf(data)
		if err != nil {
			return err
		}
		found = policy.Entry(c, &leaf)
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("evidence entry %d: %w", index, intel.ErrNotFound)
	}
	return nil
}

// EvidenceBundle returns the evidence bundle of record id (evidence.Log.Export,
// what `fusion evidence export` writes) to a caller who may have all of it:
// the record's owner, who sees the record in full and every entry about it.
// A record c may not see is not found; to anyone else who may see it the
// bundle is forbidden, for it holds the record unredacted and entries about
// other organizations. Every entry is checked against policy.Entry besides,
// so that the bundle fails closed if the two rules ever disagree.
func (h *Hub) EvidenceBundle(ctx context.Context, c *policy.Caller, id string) (*evidence.Bundle, error) {
	stored, _, err := h.lookupRecord(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if stored.Originator != c.Org {
		return nil, fmt.Errorf("the evidence bundle of record %s is for its owner only: %w", id, intel.ErrForbidden)
	}
	b, err := h.ev.Export(ctx, id)
	if err != nil {
		return nil, err
	}
	for i, e := range b.Entries {
		leaf, err := evidence.ParseLeaf([]byte(e.Leaf))
		if err != nil {
			return nil, fmt.Errorf("evidence bundle entry %d: %w", i, err)
		}
		if !policy.Entry(c, &leaf) {
			return nil, fmt.Errorf("the evidence bundle of record %s holds entry %d, which %s may not see: %w", id, leaf.Seq, c.Org, intel.ErrForbidden)
		}
	}
	return b, nil
}
